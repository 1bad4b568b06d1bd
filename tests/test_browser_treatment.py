"""A treatment plan built from the program's template and signed by clinician and patient; a group session run
with its roster, attendance and group note; the weekly schedule. Screenshots in docs/screenshots/treatment-*."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import make_user, patient_fields, screenshot
from tests.test_browser_foundation import follow_nav, sign_in
from waypoint.accounts.roles import Role
from waypoint.patients import services as patients
from waypoint.treatment import services
from waypoint.treatment.models import Attendance, GroupNoteEntry, TreatmentPlan

pytestmark = pytest.mark.browser

TEMPLATE = {
    "problems": [
        {
            "description": "Opioid use disorder: daily heroin/fentanyl injection",
            "diagnosis": "F11.23",
            "goals": [
                {
                    "text": "(in the patient's words)",
                    "objectives": [
                        {"text": "Attend at least 4 of 5 relapse-prevention groups each week", "target_days": 14},
                        {"text": "Write a relapse-prevention plan naming three triggers", "target_days": 21},
                    ],
                }
            ],
            "interventions": [
                {"modality": "relapse_prevention", "frequency": "5 times a week, 60 minutes"},
                {"modality": "individual_therapy", "frequency": "weekly, 50 minutes"},
                {"modality": "moud", "frequency": "daily dosing"},
            ],
        },
        {
            "description": "Overdose risk after loss of tolerance",
            "diagnosis": "",
            "goals": [
                {
                    "text": "(in the patient's words)",
                    "objectives": [{"text": "Carry naloxone and tell one person where it is", "target_days": 7}],
                }
            ],
            "interventions": [{"modality": "case_management", "frequency": "twice a week"}],
        },
    ]
}


def local(program, when):
    return timezone.localtime(when, program.tz).strftime("%Y-%m-%dT%H:%M")


def test_a_plan_from_the_template_and_a_group_session_with_attendance(
    browser_page, live_server, nurse, patient, program, team, admitted
):
    director = make_user("director", program, Role.DIRECTOR)
    services.save_template(
        acting_user=director, program=program, name="Residential", level_codes=["3.7-WM", "3.5"], body=TEMPLATE
    )
    services.save_template(
        acting_user=director,
        program=program,
        name="Intensive outpatient",
        level_codes=["2.1"],
        body={"problems": TEMPLATE["problems"][:1]},
    )
    james = patients.register_patient(
        acting_user=nurse,
        program=program,
        care_team=team,
        **patient_fields(mrn="W-1002", given_name="James", family_name="Okoro", pronouns="he/him"),
    )
    patients.admit(acting_user=nurse, patient=james, admitted_at=timezone.now() - timedelta(days=2), level_code="3.5")
    page = browser_page
    sign_in(page, live_server, "nurse")

    # The plan: start from the Residential template (offered first for the patient's level), then adapt it.
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.locator(".plan-due-line")).to_contain_text("no signed treatment plan")
    page.click(".treatment-section >> text=Open the plan")
    expect(page.locator("#id_template option:checked")).to_contain_text("Residential")
    page.select_option("#id_responsible", label="Nurse")
    screenshot(page, "treatment-plan-start")
    page.click("button:has-text('Start the plan')")
    expect(page.locator(".plan-head")).to_contain_text("Draft")
    expect(page.locator(".plan-problem").first).to_contain_text("F11.23 Opioid dependence with withdrawal")

    # Adapt: the goals in Maria's own words, an objective of her own, an experiential intervention, one dropped.
    goals = page.locator(".goal-update input[type=text]")
    goals.nth(0).fill("I want to be there for my daughter and stop waking up sick")
    page.click("button:has-text('Save changes to goals and interventions')")
    expect(page.locator(".messages")).to_contain_text("1 change saved")
    page.select_option("#id_objective-goal", index=0)
    page.fill("#id_objective-text", "Two supervised visits with my daughter this month")
    page.fill("#id_objective-target_date", (timezone.localdate() + timedelta(days=28)).isoformat())
    page.click("button:has-text('Add objective')")
    page.select_option("#id_intervention-problem", index=0)
    page.select_option("#id_intervention-modality", "mindfulness")
    page.fill("#id_intervention-frequency", "twice a week, 30 minutes")
    page.select_option("#id_intervention-responsible", label="Nurse")
    page.click("button:has-text('Add intervention')")
    moud = page.locator("tr.intervention", has_text="MOUD")
    moud.locator("button:has-text('remove')").click()
    expect(page.locator(".plan-problem").first).not_to_contain_text("MOUD")
    expect(page.locator(".plan-problem").first).to_contain_text("Mindfulness")
    screenshot(page, "treatment-plan-draft")

    page.click("button:has-text('Sign as clinician')")  # problem 2's goal is not written yet
    expect(page.locator("#sign_errors")).to_contain_text(
        "Problem 2, goal 1: write the goal in the patient's own words."
    )
    screenshot(page, "treatment-plan-sign-refused")
    page.locator(".goal-update input[type=text]").nth(1).fill("Not die if I slip. Keep Narcan on me.")
    page.click("button:has-text('Save changes to goals and interventions')")
    expect(page.locator(".messages")).to_contain_text("1 change saved")
    page.click("button:has-text('Sign as clinician')")
    expect(page.locator(".clinician-signature")).to_contain_text("Signed electronically by Nurse")
    page.fill("#id_patient_name", "Maria Rivera")
    page.click('button:has-text("Record the patient\'s acknowledgement")')
    expect(page.locator("#id_attested_error")).to_contain_text("reviewed the plan")
    screenshot(page, "treatment-plan-acknowledge")
    page.check("#id_attested")
    page.fill("#id_patient_name", "Maria Rivera")
    page.click('button:has-text("Record the patient\'s acknowledgement")')
    expect(page.locator(".patient-signature")).to_contain_text("Acknowledged by “Maria Rivera”")
    screenshot(page, "treatment-plan-signed")
    plan = TreatmentPlan.objects.get(patient=patient)
    assert plan.status == "signed" and plan.template_name == "Residential" and len(plan.objectives()) == 4
    assert plan.body["problems"][1]["goals"][0]["text"] == "Not die if I slip. Keep Narcan on me."

    # A group session: schedule it, roster both patients, mark attendance, write the note.
    follow_nav(page, "Schedule")
    page.click("text=Schedule a session")
    now = timezone.now()
    page.select_option("#id_kind", "group")
    page.select_option("#id_modality", "relapse_prevention")
    page.fill("#id_topic", "Triggers, cravings and a plan for the weekend")
    page.fill("#id_room", "Group room B")
    page.fill("#id_starts_at", local(program, now - timedelta(minutes=40)))
    page.fill("#id_ends_at", local(program, now + timedelta(minutes=20)))
    page.click("button:has-text('Schedule')")
    expect(page.locator("h1")).to_contain_text("Relapse prevention: Triggers")
    for name in ("rivera", "James Okoro"):  # by name, any case
        page.fill("#id_patient", name)
        page.click("button:has-text('Find and add to the roster')")
    page.locator("tr.roster-row", has_text="Maria Rivera").locator("select").select_option("present")
    page.locator("tr.roster-row", has_text="James Okoro").locator("select").select_option("left_early")
    page.click("button:has-text('Save attendance')")  # the whole group in one save
    expect(page.locator(".messages")).to_contain_text("Attendance saved for 2 patients")
    # another patient's name in the shared part would be copied into every attendee's chart: refused, kept on screen
    page.fill("#id_body", "James left early for a court date; the group talked about triggers.")
    page.fill(f"#id_entry_{patient.pk}", "Named payday as a trigger.")
    page.fill(f"#id_entry_{james.pk}", "Left early for court.")
    page.click("button:has-text('Save the group note')")
    expect(page.locator("#note_errors")).to_contain_text("The group part names James Okoro")
    expect(page.locator("#note_errors")).to_contain_text("copied into every attendee's chart")
    screenshot(page, "treatment-group-note-names-a-patient")
    assert not GroupNoteEntry.objects.exists()
    page.fill(f"#id_entry_{james.pk}", "")
    page.fill(
        "#id_body",
        "The group mapped personal triggers and practised urge surfing; each member named one "
        "person to call this weekend.",
    )
    page.fill(f"#id_entry_{patient.pk}", "Named payday and her old street as triggers; will call her sister.")
    page.click("button:has-text('Save the group note')")
    expect(page.locator(f"#id_entry_{james.pk}").locator("xpath=..")).to_contain_text("James Okoro")
    expect(page.locator("#note_errors")).to_contain_text("Write the individualized part for James Okoro")
    page.fill(f"#id_entry_{james.pk}", "Left after 20 minutes for a court call; engaged while present.")
    page.click("button:has-text('Save the group note')")
    expect(page.locator(".group-note")).to_contain_text("urge surfing")
    screenshot(page, "treatment-group-session")
    assert GroupNoteEntry.objects.count() == 2 and Attendance.objects.count() == 2

    # A session that has not started: attendance is refused, naming the session.
    later = services.schedule_session(
        acting_user=nurse,
        program=program,
        kind="group",
        modality="art",
        topic="Collage: my recovery map",
        facilitator=nurse,
        room="Art studio",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=1),
    )
    services.add_to_roster(acting_user=nurse, session=later, patient=patient)
    page.goto(f"{live_server.url}/treatment/sessions/{later.pk}/")
    page.locator("tr.roster-row", has_text="Maria Rivera").locator("select").select_option("present")
    page.click("button:has-text('Save attendance')")
    expect(page.locator("#attendance_errors")).to_contain_text("Maria Rivera: The session has not started yet")
    screenshot(page, "treatment-attendance-refused")

    # Each attendee's part lands in their own chart.
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.locator(".treatment-section")).to_contain_text("will call her sister")
    expect(page.locator(".treatment-section")).not_to_contain_text("court call")
    expect(page.locator(".timeline")).to_contain_text("Group session, Relapse prevention")
    screenshot(page, "treatment-chart")

    follow_nav(page, "Schedule")
    week = timezone.localtime(now - timedelta(minutes=40), program.tz).date().isoformat()
    page.goto(f"{live_server.url}/treatment/schedule/?week={week}")  # the session's week, even on a Monday at 00:10
    expect(page.locator(".week-grid")).to_contain_text("Triggers, cravings")
    screenshot(page, "treatment-weekly-schedule")
    page.goto(f"{live_server.url}/patients/{patient.pk}/schedule/")
    expect(page.locator("h1")).to_have_text(re.compile("Weekly schedule · Maria Rivera"))

    # Progress: this episode's attendance by modality and where each objective stands.
    page.goto(f"{live_server.url}/patients/{patient.pk}/progress/")
    expect(page.locator(".attendance-by-modality")).to_contain_text("Relapse prevention")
    expect(page.locator(".progress-treatment .objective-status")).to_contain_text("Not started")
    screenshot(page, "treatment-progress")
    page.click("button:has-text('Sign out')")

    # The director's outcomes: attendance by modality (Maria present, James left early: both took part).
    sign_in(page, live_server, director.username)
    page.click("nav a:has-text('Outcomes')")
    expect(page.locator("#figure-attendance_by_modality .value")).to_have_text("100% (2 of 2)")
    expect(page.locator("section[aria-label='Session attendance by modality'] svg")).to_be_visible()
    screenshot(page, "treatment-outcomes-attendance")


def test_the_plan_editor_saves_every_row_edited_with_one_save(browser_page, live_server, nurse, patient, admitted):
    """Two rows changed, one Save: both are kept (a Save per row used to drop the other row's edit silently)."""
    plan = services.start_plan(acting_user=nurse, patient=patient)
    plan = services.save_draft(acting_user=nurse, plan=plan, body=two_rows(nurse), revision=plan.revision)
    page = browser_page
    sign_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/patients/{patient.pk}/plan/{plan.pk}/")
    page.locator(".goal-update input[type=text]").first.fill("Keep my kids and stay alive")
    page.locator(".intervention-update input[type=text]").first.fill("three times a week, 60 minutes")
    screenshot(page, "treatment-plan-rows")
    page.click("button:has-text('Save changes to goals and interventions')")
    expect(page.locator(".messages")).to_contain_text("2 changes saved")
    expect(page.locator(".goal-update input[type=text]").first).to_have_value("Keep my kids and stay alive")
    expect(page.locator(".intervention-update input[type=text]").first).to_have_value("three times a week, 60 minutes")
    plan.refresh_from_db()
    assert plan.body["problems"][0]["goals"][0]["text"] == "Keep my kids and stay alive"
    assert plan.body["problems"][0]["interventions"][0]["frequency"] == "three times a week, 60 minutes"


def test_typing_in_the_rows_is_never_lost_to_another_button_of_the_editor(
    browser_page, live_server, nurse, patient, admitted
):
    """A row changed and not saved: removing an item is held back with a message, and the typing stays."""
    plan = services.start_plan(acting_user=nurse, patient=patient)
    plan = services.save_draft(acting_user=nurse, plan=plan, body=two_rows(nurse), revision=plan.revision)
    page = browser_page
    sign_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/patients/{patient.pk}/plan/{plan.pk}/")
    page.locator(".goal-update input[type=text]").first.fill("Keep my kids and stay alive")
    page.locator("form.remove button", has_text="remove goal").first.click()
    expect(page.locator("#rows_unsaved")).to_be_visible()
    expect(page.locator("#rows_unsaved")).to_contain_text("not saved yet")
    expect(page.locator(".goal-update input[type=text]").first).to_have_value("Keep my kids and stay alive")
    plan.refresh_from_db()
    assert plan.body["problems"][0]["interventions"], "the removal was held back"
    page.click("button:has-text('Save changes to goals and interventions')")
    expect(page.locator(".messages")).to_contain_text("1 change saved")
    plan.refresh_from_db()
    assert plan.body["problems"][0]["goals"][0]["text"] == "Keep my kids and stay alive"


def two_rows(staff):
    return {
        "problems": [
            {
                "id": "p1",
                "description": "Daily heroin injection",
                "diagnosis": "F11.20",
                "goals": [{"id": "g1", "text": "Stay alive", "objectives": []}],
                "interventions": [
                    {"id": "i1", "modality": "relapse_prevention", "frequency": "weekly", "responsible": staff.pk}
                ],
            }
        ]
    }
