"""Referral to admission, a placement assessment and a step-down, in a real browser."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import naloxone_and_education, screenshot
from tests.test_browser_foundation import sign_in
from waypoint.placements import referrals
from waypoint.placements.models import PlacementAssessment, Referral

pytestmark = pytest.mark.browser

RATINGS = {"d1": 1, "d2": 1, "d3": 2, "d4": 2, "d5": 3, "d6": 3}  # default table: 3.5 (two dimensions at 3)
LATER = {"d1": 0, "d2": 0, "d3": 1, "d4": 1, "d5": 2, "d6": 1}  # default table: 2.1


def local(program, when):
    return timezone.localtime(when, program.tz).strftime("%Y-%m-%dT%H:%M")


def test_a_referral_is_admitted_placed_and_stepped_down(browser_page, live_server, nurse, patient, program):
    now = timezone.now()
    referrals.create_referral(acting_user=nurse, program=program, name="Dee Park", contact="555-0142",
                              source="self", received_at=now - timedelta(days=6), requested_level="2.1")
    referrals.create_referral(acting_user=nurse, program=program, name="Luis Ortega", contact="555-0177",
                              source="court", received_at=now - timedelta(days=3), requested_level="3.5",
                              urgency="urgent")
    page = browser_page
    sign_in(page, live_server, "nurse")

    # First contact: a hospital refers Maria, who injects and survived an overdose last week.
    page.click("nav >> text=Waitlist")
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
    page.click("button:has-text('Move')")
    expect(page.locator("body")).to_contain_text("moved to 2.1")
    expect(page.locator(".placement-section")).to_contain_text("2.1 Intensive Outpatient")
    screenshot(page, "chart-after-step-down")

    page.click("nav >> text=Placement rules")
    expect(page.locator("body")).to_contain_text("NOT the ASAM Criteria decision algorithm")
    screenshot(page, "placement-rule-table")
