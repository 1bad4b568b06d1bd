"""After discharge in a real browser: a residential discharge with its continuing-care plan and packet (which says
why it goes only to the patient), the day-7 follow-up from the work list recording a return to use, the
re-engagement task, and the director's follow-up figures and survival curve. Every page is checked with axe-core
(the browser fixture); screenshots at 1280 and 768 px in docs/screenshots."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import SCREENSHOTS, continuing_care_plan, naloxone_and_education, patient_fields, screenshot
from tests.test_browser_a11y import past_the_edge, sideways_scroll
from tests.test_browser_foundation import follow_nav, sign_in
from tests.test_browser_outcomes import sign_out
from waypoint.aftercare import services as aftercare
from waypoint.aftercare.models import ContinuingCarePlan, ReEngagementTask
from waypoint.patients import services as patients

pytestmark = pytest.mark.browser


def local(dt, program, fmt="%Y-%m-%dT%H:%M"):
    return timezone.localtime(dt, timezone=program.tz).strftime(fmt)


def earlier_outpatient_discharges(nurse, program, team):
    """Four outpatient discharges of the last 90 days with what their follow-ups learned, so that the curve of time
    to return to use has something to show (outpatient: the high-intensity follow-up figures are left as they are).
    """
    found = [
        (60, [(7, {"used_since": "no"}), (30, {"used_since": "yes", "used_on": 20})]),
        (50, [(7, {"used_since": "no"}), (30, {"used_since": "no"})]),
        (45, [(7, None)]),  # not reached three times: lost to follow-up
        (40, [(7, {"used_since": "yes", "used_on": 5})]),
    ]
    today = timezone.localdate(timezone=program.tz)
    for n, (days_ago, contacts) in enumerate(found):
        person = patients.register_patient(
            acting_user=nurse, program=program, care_team=team, **patient_fields(mrn=f"X-{n}", given_name=f"Kai{n}")
        )
        discharged_at = datetime.combine(today - timedelta(days=days_ago), time(12), tzinfo=program.tz)
        episode = patients.admit(
            acting_user=nurse, patient=person, admitted_at=discharged_at - timedelta(days=30), level_code="2.1"
        )
        naloxone_and_education(person, nurse, discharged_at - timedelta(days=29))
        patients.discharge(
            acting_user=nurse,
            episode=episode,
            discharged_at=discharged_at,
            reason="completed",
            plan=continuing_care_plan(),
        )
        plan = ContinuingCarePlan.objects.get(episode=episode)
        for day, found_out in contacts:
            follow_up = plan.follow_ups.get(days_after=day)
            at = discharged_at + timedelta(days=day)
            if found_out is None:
                for hour in (1, 2, 3):
                    aftercare.record_contact(
                        nurse, follow_up, at=at + timedelta(hours=hour), method="phone", reached=False
                    )
                continue
            if "used_on" in found_out:
                found_out = found_out | {
                    "used_on": discharged_at.astimezone(program.tz).date() + timedelta(days=found_out["used_on"]),
                    "substance": "fentanyl",
                }
            aftercare.record_contact(nurse, follow_up, at=at, method="phone", reached=True, **found_out)


def test_a_residential_discharge_to_a_follow_up_that_finds_a_return_to_use(
    browser_page, live_server, nurse, director, patient
):
    program = patient.program
    earlier_outpatient_discharges(nurse, program, patient.care_team)
    # the day-7 follow-up is due today in the program's time zone, also when the test runs just after its midnight
    today = timezone.localdate(timezone=program.tz)
    discharged_at = datetime.combine(today - timedelta(days=7), time(0, 1), tzinfo=program.tz)
    episode = patients.admit(
        acting_user=nurse, patient=patient, admitted_at=discharged_at - timedelta(days=20), level_code="3.5"
    )
    naloxone_and_education(patient, nurse, discharged_at - timedelta(days=19))
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(page, live_server, nurse.username)

    page.goto(f"{live_server.url}/patients/{patient.pk}/episodes/{episode.pk}/discharge/")
    page.fill("#id_discharged_at", local(discharged_at, program))
    page.select_option("#id_reason", "completed")
    page.click("button:has-text('Discharge')")
    expect(page.locator("#id_next_level_error")).to_contain_text("Choose the next level of care")
    expect(page.locator("#id_triggers_error")).to_contain_text("in their words")
    screenshot(page, "aftercare-discharge-errors")
    page.select_option("#id_next_level", "2.1")
    page.fill("#id_next_provider", "Riverside Intensive Outpatient")
    page.fill("#id_appointment_at", local(discharged_at + timedelta(days=3), program))
    page.fill("#id_appointment_place", "Riverside clinic, 40 Mill Street")
    page.fill("#id_moud_continued_by", "Dr. Osei at Riverside")
    page.fill("#id_moud_next_due", local(discharged_at + timedelta(days=1), program, "%Y-%m-%d"))
    page.fill("#id_triggers", "Payday. Seeing my old crew on Fifth Street.")
    page.fill("#id_coping_steps", "Call my sponsor, go to the 7 pm meeting, walk it off.")
    page.fill("#id_people_to_call", "My sister Ana; my sponsor Luis")
    page.click("button:has-text('Discharge')")
    expect(page.locator(".messages")).to_contain_text("discharged")

    page.click("a:has-text('Discharge packet')")
    packet = page.locator(".packet")
    expect(packet).to_contain_text("Your tolerance is lower now")
    expect(packet).to_contain_text("Riverside clinic, 40 Mill Street")
    expect(packet).to_contain_text("Seeing my old crew on Fifth Street")
    expect(packet).to_contain_text("You were given naloxone")
    # no consent names Riverside: the hand-off is not a disclosure the program may make, and the page says so
    expect(page.locator(".hand-off")).to_contain_text("The packet goes only to the patient")
    expect(page.locator(".hand-off button")).to_have_count(0)
    screenshot(page, "aftercare-packet")
    page.set_viewport_size({"width": 768, "height": 1024})
    screenshot(page, "aftercare-packet-768")
    page.set_viewport_size({"width": 1280, "height": 1000})

    follow_nav(page, "After discharge")  # on the Work lists page
    expect(page.locator("section[aria-label='Due today']")).to_contain_text(patient.display_name)
    screenshot(page, "aftercare-work-list")
    page.set_viewport_size({"width": 768, "height": 1024})
    screenshot(page, "aftercare-work-list-768")
    page.set_viewport_size({"width": 390, "height": 900})
    screenshot(page, "aftercare-work-list-390")
    page.set_viewport_size({"width": 1280, "height": 1000})

    page.click("section[aria-label='Due today'] a:has-text('Record a contact')")
    page.select_option("#id_method", "phone")
    page.select_option("#id_reached", "yes")
    page.select_option("#id_attended_next", "yes")
    page.select_option("#id_moud_continued", "yes")
    page.select_option("#id_used_since", "yes")
    page.fill("#id_substance", "heroin")
    page.select_option("#id_overdose", "none")
    page.select_option("#id_wants_to_come_back", "yes")
    page.click("button:has-text('Record the contact')")
    expect(page.locator(".messages")).to_contain_text("recorded")
    expect(page.locator("section[aria-label='Re-engagement']")).to_contain_text("Return to use reported")
    expect(page.locator("section[aria-label='Done']")).to_contain_text("Reached")
    screenshot(page, "aftercare-work-list-re-engagement")

    page.click("section[aria-label='Re-engagement'] a:has-text('Record what was done')")
    page.fill("#id_outcome", "Called back; invited to the Tuesday intake, first on the waitlist.")
    page.click("button:has-text('Record')")
    expect(page.locator(".messages")).to_contain_text("Re-engagement")
    assert ReEngagementTask.objects.get(patient=patient).status == "done"
    sign_out(page)

    sign_in(page, live_server, director.username)
    follow_nav(page, "Outcomes")
    expect(page.locator("#figure-follow_up_7 .value")).to_have_text("100% (1 of 1)")
    expect(page.locator("#figure-lost_to_follow_up .value")).to_have_text("0% (0 of 1)")
    # return to use by day 30: of the four discharges whose 30 days are over, two used, one did not, one was lost
    # (shown beside the rate)
    expect(page.locator("#figure-return_to_use_30 .value")).to_have_text("67% (2 of 3)")
    expect(page.locator("#figure-return_to_use_30 .lost")).to_have_text("1 of 4 (25%)outcome not known: 1 of 4")
    screenshot(page, "aftercare-outcomes")
    curve = page.locator("#curve-time_to_use")
    expect(curve.locator("svg title").first).to_have_text("Time to return to use (Kaplan-Meier)")
    curve.locator("summary").click()
    expect(curve.locator("table.survival-table")).to_be_visible()
    expect(curve.locator("table.survival-table tbody tr")).to_have_count(5)  # days 0, 5, 7 (today's), 20, 30
    curve.scroll_into_view_if_needed()
    curve.screenshot(path=f"{SCREENSHOTS}/aftercare-survival-curve.png")
    page.set_viewport_size({"width": 768, "height": 1024})
    assert sideways_scroll(page) <= 0, past_the_edge(page)
    curve.screenshot(path=f"{SCREENSHOTS}/aftercare-survival-curve-768.png")
    # no contact asked about readmission: nothing known beyond the discharge day, said in words, no empty axes
    expect(page.locator("#curve-time_to_readmission .curve-empty")).to_contain_text("Nothing to draw yet")
