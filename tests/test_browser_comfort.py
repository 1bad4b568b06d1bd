"""Comfort medications in a real browser: the prescriber has activated the protocol (the nurse activates nothing);
the nurse gives a loperamide dose, is refused a second one inside the interval, and records the follow-up from the
board. Screenshots: the dose form with the refusal, the MAR, the board with a follow-up due."""

import pytest
from playwright.sync_api import expect

from conftest import screenshot
from tests.test_browser_foundation import follow_nav, sign_in
from tests.test_browser_outcomes import sign_out
from waypoint.comfort import demo, services
from waypoint.comfort.models import Dose
from waypoint.patients import allergies

pytestmark = pytest.mark.browser


def test_a_nurse_gives_loperamide_is_refused_a_second_dose_and_records_the_follow_up_from_the_board(
    browser_page, live_server, nurse, prescriber, admitted, patient, program
):
    allergies.record_allergy(acting_user=nurse, patient=patient, kind="none_known")
    services.sign_protocol(
        acting_user=prescriber, program=program, title=demo.DEMO_TITLE, entries=demo.DEMO_ENTRIES, is_demo=True
    )
    page = browser_page
    # the prescriber activates the protocol for the patient, leaving trazodone out
    sign_in(page, live_server, "prescriber")
    page.goto(f"{live_server.url}/patients/{patient.pk}/comfort/")
    expect(page.locator("main")).to_contain_text("No active comfort-medication order")
    page.click("text=Order comfort medications")
    expect(page.locator("main")).to_contain_text("demo — not clinical guidance")
    page.locator("fieldset", has_text="Trazodone").locator("input[type=checkbox]").uncheck()
    page.click("button:has-text('Order')")
    expect(page.locator(".messages")).to_contain_text("Comfort medications ordered under")
    screenshot(page, "comfort-order-activated")
    sign_out(page)
    assert services.active_order(patient).prescriber == prescriber
    assert not services.active_order(patient).lines.filter(entry__drug="trazodone").exists()

    sign_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/patients/{patient.pk}/comfort/")
    expect(page.locator("main")).to_contain_text("demo — not clinical guidance")
    expect(page.locator("main")).to_contain_text("no known drug allergies")
    expect(page.locator("main")).not_to_contain_text("Order comfort medications")  # the nurse orders nothing
    page.click("text=Give a comfort medication")
    page.click("nav[aria-label=Symptoms] >> text=Diarrhea")
    expect(page.locator("table.comfort-limits")).to_contain_text("8 of 8 mg")
    page.select_option("#id_line", label="Loperamide for diarrhea — 2-4 mg")
    page.fill("#id_dose", "2")
    page.click("button:has-text('Record')")
    expect(page.locator(".messages")).to_contain_text("Given: loperamide 2 mg PO.")
    expect(page.locator("table.mar-grid")).to_contain_text("2 mg given")
    screenshot(page, "comfort-mar-1280")

    page.click("text=Give a comfort medication")
    page.click("nav[aria-label=Symptoms] >> text=Diarrhea")
    expect(page.locator("table.comfort-limits")).to_contain_text("6 of 8 mg")
    page.select_option("#id_line", label="Loperamide for diarrhea — 2-4 mg")
    page.fill("#id_dose", "2")
    page.click("button:has-text('Record')")
    expect(page.locator(".error-summary, .errors").first).to_contain_text("Too soon: loperamide was given at")
    expect(page.locator("body")).to_contain_text("the minimum interval is 2 h")
    screenshot(page, "comfort-dose-refused-1280")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "comfort-dose-refused-768")
    page.set_viewport_size({"width": 1280, "height": 860})
    assert Dose.objects.filter(patient=patient).count() == 1

    follow_nav(page, "Withdrawal board")
    row = page.locator("table.board tbody tr", has_text="Maria Rivera")
    expect(row).to_contain_text("Follow-up of loperamide 2 mg PO due at")
    screenshot(page, "comfort-board-follow-up-due-1280")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "comfort-board-follow-up-due-768")
    page.set_viewport_size({"width": 1280, "height": 860})
    row.locator("text=Record the follow-up").click()
    page.check("input[name=outcome][value=eased]")
    page.click("button:has-text('Record the follow-up')")
    expect(page.locator(".messages")).to_contain_text("Follow-up of loperamide 2 mg PO recorded")
    assert Dose.objects.get(patient=patient).follow_up_outcome == "eased"
    for width in (768, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/patients/{patient.pk}/comfort/")
        screenshot(page, f"comfort-mar-{width}")
