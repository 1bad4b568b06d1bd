"""Referral to admission, a placement assessment and a step-down, in a real browser."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import naloxone_and_education, screenshot
from tests.test_browser_foundation import follow_nav, sign_in
from waypoint.placements import referrals
from waypoint.placements.models import PlacementAssessment, Referral

pytestmark = pytest.mark.browser

RATINGS = {"d1": 1, "d2": 1, "d3": 2, "d4": 2, "d5": 3, "d6": 3}  # default table: 3.5 (two dimensions at 3)
LATER = {"d1": 0, "d2": 0, "d3": 1, "d4": 1, "d5": 2, "d6": 1}  # default table: 2.1


def seed_census_history(program, nurse):
    """A month of stays of other patients (rows written directly: history, not today's admissions)."""
    from waypoint.accounts.models import ProgramLevel
    from waypoint.patients import services
    from waypoint.patients.models import Episode, LevelOfCareStay

    ProgramLevel.objects.filter(program=program, code="3.7-WM").update(capacity=4)
    ProgramLevel.objects.filter(program=program, code="3.5").update(capacity=6)
    ProgramLevel.objects.filter(program=program, code="2.1").update(capacity=10)
    team = nurse.care_teams.first()
    now = timezone.now()
    path = (("3.7-WM", 5), ("3.5", 14), ("2.1", None))  # days at each level; None: still there
    for n in range(14):
        patient = services.register_patient(
            acting_user=nurse,
            program=program,
            care_team=team,
            mrn=f"H-{n}",
            given_name=f"Pat{n}",
            family_name="Census",
            birth_date=date(1990, 1, 1),
            sex_at_birth="unknown",
        )
        start = now - timedelta(days=34 - 2 * n, hours=n)
        episode = Episode.objects.create(program=program, patient=patient, admitted_at=start, admitted_by=nurse)
        for code, days in path:
            end = start + timedelta(days=days) if days is not None else None
            if end is not None and end > now:
                end = None
            LevelOfCareStay.objects.create(
                program=program,
                patient=patient,
                episode=episode,
                level_code=code,
                asam_edition=3,
                started_at=start,
                ended_at=end,
                recorded_by=nurse,
            )
            if end is None:
                break
            start = end


def local(program, when):
    return timezone.localtime(when, program.tz).strftime("%Y-%m-%dT%H:%M")


def test_a_referral_is_admitted_placed_and_stepped_down(browser_page, live_server, nurse, patient, program):
    now = timezone.now()
    referrals.create_referral(
        acting_user=nurse,
        program=program,
        name="Dee Park",
        contact="555-0142",
        source="self",
        received_at=now - timedelta(days=6),
        requested_level="2.1",
    )
    referrals.create_referral(
        acting_user=nurse,
        program=program,
        name="Luis Ortega",
        contact="555-0177",
        source="court",
        received_at=now - timedelta(days=3),
        requested_level="3.5",
        urgency="urgent",
    )
    page = browser_page
    sign_in(page, live_server, "nurse")

    # First contact: a hospital refers Maria, who injects and survived an overdose last week.
    follow_nav(page, "Waitlist")
    page.click("text=New referral")
    page.fill("#id_name", "Maria Rivera")
    page.fill("#id_contact", "555-0100 (mobile)")
    page.select_option("#id_source", "hospital")
    page.fill("#id_source_detail", "St. Luke's ED, Dr. Amin")
    page.fill("#id_received_at", local(program, now - timedelta(days=2)))
    page.select_option("#id_urgency", "urgent")
    page.select_option("#id_requested_level", "3.5")
    page.check("input[name=priority_flags][value=injects]")
    page.check("input[name=priority_flags][value=recent_overdose]")
    screenshot(page, "referral-form")
    page.click("button:has-text('Save referral')")
    expect(page.locator("h1")).to_contain_text("Referral · Maria Rivera")

    page.click("text=Back to the waitlist")
    expect(page.locator("table.waitlist tbody tr").first).to_contain_text("Maria Rivera")  # flagged first
    expect(page.locator("table.waitlist")).to_contain_text("Recent overdose survivor")
    screenshot(page, "waitlist")

    # Admission of the registered patient from the referral.
    page.locator("table.waitlist").locator("text=Maria Rivera").click()
    page.fill("#id_mrn", patient.mrn)
    page.fill("#id_admitted_at", local(program, now - timedelta(days=1)))
    page.click("button:has-text('Admit')")
    expect(page).to_have_url(re.compile(rf"/patients/{patient.pk}/$"))
    assert Referral.objects.get(name="Maria Rivera").status == "admitted"

    # Placement: rate the six dimensions beside the chart; the rule table recommends 3.5.
    page.click("text=Rate and decide")
    for key, value in RATINGS.items():
        page.check(f"input[name=rating_{key}][value='{value}']")
    page.fill("#id_note_d5", "Used daily until the overdose; no period of abstinence")
    page.fill("#id_note_d6", "Lives with a partner who uses; no safe place to stay")
    page.fill("#id_at", local(program, now - timedelta(hours=20)))
    page.select_option("#id_decided_level", "2.1")
    page.click("button:has-text('Save placement')")
    expect(page.locator("#id_reason_error")).to_contain_text("differs from the recommendation")
    screenshot(page, "placement-reason-required")
    page.select_option("#id_decided_level", "")
    page.click("button:has-text('Save placement')")
    expect(page.locator(".placement-side")).to_contain_text("Clinically Managed High-Intensity Residential")
    screenshot(page, "placement-form")
    assert PlacementAssessment.objects.get().recommended_level == "3.5"

    # Step-down: a new placement recommends 2.1, then the transfer.
    for key, value in LATER.items():
        page.check(f"input[name=rating_{key}][value='{value}']")
    page.fill("#id_at", local(program, now - timedelta(hours=2)))
    page.click("button:has-text('Save placement')")
    expect(page.locator(".placement-side")).to_contain_text("2.1 Intensive Outpatient")
    naloxone_and_education(patient, nurse, now - timedelta(hours=3))  # required before any change of level
    page.click("text=Back to the chart")
    page.click("text=Change level of care")
    page.fill("#id_at", local(program, now - timedelta(hours=1)))
    page.select_option("#id_level_of_care", "2.1")
    page.fill("#id_reason", "Step-down: placement reassessment recommends intensive outpatient")
    expect(page.locator(".latest-placement")).to_contain_text("recommended 2.1 Intensive Outpatient")
    latest = PlacementAssessment.objects.filter(patient=patient).first()
    page.select_option("#id_placement", str(latest.pk))
    screenshot(page, "levels-transfer-form")
    page.click("button:has-text('Move')")
    expect(page.locator("body")).to_contain_text("moved to 2.1")
    expect(page.locator(".placement-section")).to_contain_text("2.1 Intensive Outpatient")
    path = page.locator(".path-levels")
    expect(path).to_contain_text("Supported by the placement of")
    expect(path.locator(".badge.warn")).to_have_count(0)  # the move follows the latest recommendation
    screenshot(page, "chart-after-step-down")

    # The census: who is where now, and occupancy by level over the last 30 days.
    seed_census_history(program, nurse)
    follow_nav(page, "Census")
    expect(page.locator(".census-now")).to_contain_text("Maria Rivera")
    expect(page.locator("svg.census-chart")).to_have_count(4)
    expect(page.locator(".definition")).to_contain_text("Midnight census")
    expect(page.locator("svg.census-chart rect.over")).not_to_have_count(0)  # 3.5 ran over its beds
    screenshot(page, "levels-census")

    follow_nav(page, "Placement rules")
    expect(page.locator("body")).to_contain_text("NOT the ASAM Criteria decision algorithm")
    screenshot(page, "placement-rule-table")


def test_an_administrator_versions_the_rule_table_and_edits_settings(browser_page, live_server, administrator, program):
    from waypoint.placement.rules import default_table
    from waypoint.placements.models import RuleTableVersion
    from waypoint.placements.rule_tables import pretty  # the editor's own layout: one line per rule

    page = browser_page
    sign_in(page, live_server, "admin")
    follow_nav(page, "Placement rules")
    expect(page.locator("body")).to_contain_text("Waypoint's default table")
    page.click("text=Edit the table")

    # A rule that lowers the level as readiness worsens breaks monotonicity: refused with the counterexample.
    broken = default_table(3)
    broken["rules"].append({"id": "BAD", "when": [{"dimension": 4, "at_most": 1}], "level": "3.1"})
    page.fill("#id_table", pretty(broken))
    page.fill("#id_note", "Try a readiness rule")
    page.click("button:has-text('Check and save')")
    expect(page.locator(".errors")).to_contain_text("Refused, nothing saved")
    expect(page.locator("#id_table_error")).to_contain_text("First counterexample: d1 = 0, d2 = 0, d3 = 0, d4 = 1")
    screenshot(page, "levels-rule-table-refused")
    assert not RuleTableVersion.objects.exists()

    table = default_table(3)
    table["name"] = "Harbor Recovery placement rules"
    table["rules"].append(
        {
            "id": "D5-2",
            "when": [{"dimension": 5, "at_least": 2}],
            "level": "2.5",
            "why": "Harbor: continued-use risk 2 or more starts at partial hospitalization",
        }
    )
    page.fill("#id_table", pretty(table))
    page.fill("#id_note", "Clinical committee, November: continued-use risk 2 starts at 2.5")
    page.click("button:has-text('Check and save')")
    expect(page.locator("body")).to_contain_text("Rule table version 1 saved")
    expect(page.locator("table.versions")).to_contain_text("Clinical committee, November")
    expect(page.locator("#rule-D5-2")).to_contain_text("partial hospitalization")
    page.click("text=Edit the table")
    page.fill("#id_table", pretty(default_table(3)))
    page.fill("#id_note", "Back to Waypoint's default while the committee reviews D5-2")
    page.click("button:has-text('Check and save')")
    expect(page.locator("table.versions tbody tr")).to_have_count(3)  # 2, 1 and the default's row
    screenshot(page, "levels-rule-table-versions")
    page.locator("table.versions").locator("text=Version 1").first.click()
    page.fill("#id_restore_note", "Committee confirmed D5-2")
    page.click("button:has-text('Restore as a new version')")
    expect(page.locator("body")).to_contain_text("Version 1 restored as version 3")
    assert RuleTableVersion.objects.get(number=3).restored_from.number == 1

    # Program settings: every setting with value, default, help and origin; a refused value shows beside it.
    follow_nav(page, "Program settings")
    expect(page.locator("h1")).to_contain_text("Program settings")
    expect(page.locator("#withdrawal-late_entry_days")).to_contain_text("Waypoint documentation policy")
    screenshot(page, "settings-program")
    page.fill("#id_security-idle_timeout_minutes", "600")
    page.locator("#security-idle_timeout_minutes").locator("button:has-text('Save')").click()
    expect(page.locator("#id_security-idle_timeout_minutes_error")).to_contain_text("from 1 to 240")
    page.locator("#id_security-idle_timeout_minutes").scroll_into_view_if_needed()
    screenshot(page, "settings-refused")
    page.fill("#id_security-idle_timeout_minutes", "10")
    page.locator("#security-idle_timeout_minutes").locator("button:has-text('Save')").click()
    expect(page.locator("#security-idle_timeout_minutes")).to_contain_text("program value")
    expect(page.locator("#security-idle_timeout_minutes")).to_contain_text("set by admin")


def test_a_referral_becomes_a_chart_in_one_step_with_its_mrn_generated_and_its_risk_flags_kept(
    browser_page, live_server, nurse, team, program
):
    """No second registration and no hand-typed MRN: the admit form of the referral asks only what the referral
    lacks, and the overdose-risk page shows the referral's flags (it used to say "No risk factor recorded")."""
    referrals.create_referral(
        acting_user=nurse,
        program=program,
        name="Sam Lee",
        contact="555-0199",
        source="hospital",
        received_at=timezone.now() - timedelta(days=2),
        requested_level="3.7-WM",
        priority_flags=["injects", "recent_overdose"],
    )
    page = browser_page
    sign_in(page, live_server, "nurse")
    follow_nav(page, "Waitlist")
    page.locator("table.waitlist").locator("text=Sam Lee").click()
    page.fill("#id_admitted_at", local(program, timezone.now() - timedelta(hours=1)))
    page.click("button:has-text('Admit')")
    expect(page.locator("[data-error-summary]")).to_contain_text("Birth date")  # what the referral lacks
    page.fill("#id_birth_date", "1991-05-02")
    page.select_option("#id_sex_at_birth", "male")
    page.click("button:has-text('Admit')")
    expect(page.locator("h1")).to_have_text("Sam Lee")
    expect(page.locator(".chart-header")).to_contain_text("MRN W-000001")
    page.click("text=Why")  # the overdose-risk header's explanation
    expect(page.locator("main")).to_contain_text("referral: injects drugs")
    expect(page.locator("main")).to_contain_text("referral: recent overdose survivor")
    expect(page.locator("main")).not_to_contain_text("No risk factor recorded.")
    screenshot(page, "referral-admitted-overdose-risk")
