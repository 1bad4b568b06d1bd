"""Intake screening in a real browser: history, complication screen, naloxone and education, the chart's
overdose-risk header and the patient handout. Screenshots in docs/screenshots."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import screenshot
from tests.test_browser_foundation import sign_in
from waypoint.patients import services as patients
from waypoint.screening.models import FollowUp

pytestmark = pytest.mark.browser


def local(dt, program):
    return timezone.localtime(dt, timezone=program.tz).strftime("%Y-%m-%dT%H:%M")


def test_an_intake_walks_through_history_screen_and_naloxone_to_the_handout(browser_page, live_server, nurse, patient):
    program = patient.program
    patients.admit(
        acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(hours=6), level_code="3.7-WM"
    )
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(page, live_server, nurse.username)

    page.goto(f"{live_server.url}/patients/{patient.pk}/history/")
    page.check("#id_heroin_used")
    page.check("input[name=heroin_routes][value=injection]")
    page.select_option("#id_heroin_frequency", "daily_multiple")
    page.fill("#id_heroin_age_first_use", "19")
    page.fill("#id_heroin_last_use", local(timezone.now() - timedelta(hours=10), program))
    page.check("#id_benzodiazepines_used")
    page.check("input[name=benzodiazepines_routes][value=oral]")
    page.select_option("#id_fentanyl_xylazine", "suspected")
    page.fill("#id_prior_overdoses", "1")
    page.check("#id_uses_alone")
    page.click("button:has-text('Save history')")
    expect(page.locator(".messages")).to_contain_text("history recorded")
    screenshot(page, "screening-history")

    page.goto(f"{live_server.url}/patients/{patient.pk}/screen/")
    for key in ("liver_disease", "lung_problems", "memory_problems"):
        page.check(f"input[name={key}][value=present]")
    page.fill("#id_liver_disease__since", "2025-03-01")
    page.click("button:has-text('Save screen')")
    expect(page.locator(".follow-up-table")).to_contain_text("HIV testing")
    expect(page.locator(".follow-up-table")).to_contain_text("Liver panel")
    screenshot(page, "screening-screen")
    assert FollowUp.objects.filter(patient=patient).count() == 8

    page.goto(f"{live_server.url}/patients/{patient.pk}/naloxone/")
    expect(page.locator(".errors")).to_contain_text("naloxone kit")
    page.fill("#id_kit-dispensed_at", local(timezone.now() - timedelta(minutes=30), program))
    page.select_option("#id_kit-formulation", "nasal_4mg")
    page.fill("#id_kit-strength", "4 mg per spray")
    page.fill("#id_kit-quantity", "2")
    page.click("form:has(input[value=kit]) button:has-text('Record')")
    page.fill("#id_education-given_at", local(timezone.now() - timedelta(minutes=20), program))
    page.click("form:has(input[value=education]) button:has-text('Record')")
    expect(page.locator(".ok")).to_contain_text("recorded for this episode")
    screenshot(page, "screening-naloxone")

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.locator(".overdose-risk")).to_contain_text("Prior overdose")
    screenshot(page, "screening-chart")

    page.goto(f"{live_server.url}/patients/{patient.pk}/handout/")
    expect(page.locator(".handout")).to_contain_text("liver disease", ignore_case=True)
    expect(page.locator(".handout")).to_contain_text("naloxone")
    screenshot(page, "screening-handout")
