"""Comfort medications in a real browser: the prescriber has activated the protocol (the nurse activates nothing);
the nurse gives a loperamide dose, is refused a second one inside the interval, and records the follow-up from the
board. Screenshots: the dose form with the refusal, the MAR, the board with a follow-up due."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import screenshot
from tests.test_browser_foundation import follow_nav, sign_in
from waypoint.comfort import demo, services
from waypoint.comfort.models import Dose

pytestmark = pytest.mark.browser


def test_a_nurse_gives_loperamide_is_refused_a_second_dose_and_records_the_follow_up_from_the_board(
    browser_page, live_server, nurse, prescriber, admitted, patient, program
):
    patient.allergies = "No known drug allergies"
    patient.save(update_fields=["allergies"])
    protocol = services.sign_protocol(
        acting_user=prescriber, program=program, title=demo.DEMO_TITLE, entries=demo.DEMO_ENTRIES, is_demo=True
    )
    services.activate_order(
        acting_user=prescriber,
        patient=patient,
        entries={entry.pk: {} for entry in protocol.entries.all()},
        start_at=timezone.now() - timedelta(hours=2),
    )
    page = browser_page
    sign_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/patients/{patient.pk}/comfort/")
    expect(page.locator("main")).to_contain_text("demo — not clinical guidance")
    page.click("text=Give a comfort medication")
    page.click("nav[aria-label=Symptoms] >> text=Diarrhea")
    expect(page.locator("table.comfort-limits")).to_contain_text("8 of 8 mg")
    page.select_option("#id_line", label="Loperamide for diarrhea — 2-4 mg")
    page.fill("#id_dose", "2")
    page.click("button:has-text('Record')")
    expect(page.locator(".messages")).to_contain_text("Given: loperamide 2 mg PO.")
    expect(page.locator("table.mar-grid")).to_contain_text("2 mg given")
    screenshot(page, "comfort-mar")

    page.click("text=Give a comfort medication")
    page.click("nav[aria-label=Symptoms] >> text=Diarrhea")
    expect(page.locator("table.comfort-limits")).to_contain_text("6 of 8 mg")
    page.select_option("#id_line", label="Loperamide for diarrhea — 2-4 mg")
    page.fill("#id_dose", "2")
    page.click("button:has-text('Record')")
    expect(page.locator(".error-summary, .errors").first).to_contain_text("Too soon: loperamide was given at")
    expect(page.locator("body")).to_contain_text("the minimum interval is 2 h")
    screenshot(page, "comfort-dose-refused")
    assert Dose.objects.filter(patient=patient).count() == 1

    follow_nav(page, "Withdrawal board")
    row = page.locator("table.board tbody tr", has_text="Maria Rivera")
    expect(row).to_contain_text("Follow-up of loperamide 2 mg PO due at")
    screenshot(page, "comfort-board-follow-up-due")
    row.locator("text=Record the follow-up").click()
    page.check("input[name=outcome][value=eased]")
    page.click("button:has-text('Record the follow-up')")
    expect(page.locator(".messages")).to_contain_text("Follow-up of loperamide 2 mg PO recorded")
    assert Dose.objects.get(patient=patient).follow_up_outcome == "eased"
    for width in (768, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/patients/{patient.pk}/comfort/")
        screenshot(page, f"comfort-mar-{width}")
