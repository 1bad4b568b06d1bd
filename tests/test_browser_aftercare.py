"""After discharge in a real browser: a residential discharge with its continuing-care plan and packet, the day-7
follow-up from the work list recording a return to use, the re-engagement task, and the director's follow-up
figures. Screenshots in docs/screenshots."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import naloxone_and_education, screenshot
from tests.test_browser_foundation import follow_nav, sign_in
from tests.test_browser_outcomes import sign_out
from waypoint.aftercare.models import ReEngagementTask
from waypoint.patients import services as patients

pytestmark = pytest.mark.browser


def local(dt, program, fmt="%Y-%m-%dT%H:%M"):
    return timezone.localtime(dt, timezone=program.tz).strftime(fmt)


def test_a_residential_discharge_to_a_follow_up_that_finds_a_return_to_use(
    browser_page, live_server, nurse, director, patient
):
    program = patient.program
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
    screenshot(page, "aftercare-packet")

    follow_nav(page, "After discharge")  # on the Work lists page
    expect(page.locator("section[aria-label='Due today']")).to_contain_text(patient.display_name)
    screenshot(page, "aftercare-work-list")
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
    page.click("nav a:has-text('Outcomes')")
    expect(page.locator("#figure-follow_up_7 .value")).to_have_text("100% (1 of 1)")
    expect(page.locator("#figure-lost_to_follow_up .value")).to_have_text("0% (0 of 1)")
    screenshot(page, "aftercare-outcomes")
