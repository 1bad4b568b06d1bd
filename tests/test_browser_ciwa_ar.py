"""CIWA-Ar in a real browser: the program's bands (with their source) are set; a nurse turns CIWA-Ar on for a patient
who also uses alcohol, from the flowsheet; the board shows its column with the baseline due; the nurse scores it from
the board and the column shows the total, the program's band with its source and the next one due. Screenshots of the
board at 1280 and 768 px."""

import pytest
from playwright.sync_api import expect

from conftest import screenshot
from tests.test_browser_foundation import follow_nav, sign_in
from waypoint.accounts import program_settings
from waypoint.withdrawal.models import Assessment, CiwaArMonitoring

pytestmark = pytest.mark.browser

BANDS = {
    "source": "Test protocol, not clinical guidance",
    "bands": [{"from": 0, "label": "minimal"}, {"from": 10, "label": "moderate"}, {"from": 20, "label": "severe"}],
}
CIWA_12 = {
    "nausea_vomiting": 2,
    "tremor": 3,
    "paroxysmal_sweats": 1,
    "anxiety": 2,
    "agitation": 1,
    "tactile": 0,
    "auditory": 0,
    "visual": 1,
    "headache": 2,
    "orientation": 0,
}


def test_a_nurse_turns_ciwa_ar_on_and_scores_it_from_the_board(browser_page, live_server, nurse, admitted, patient):
    program_settings.change(patient.program, "withdrawal.ciwa_ar_bands", BANDS, acting_user=nurse)
    page = browser_page
    sign_in(page, live_server, "nurse")
    follow_nav(page, "Withdrawal board")
    expect(page.locator("table.board thead")).not_to_contain_text("CIWA-Ar")
    page.goto(f"{live_server.url}/patients/{patient.pk}/withdrawal/")
    page.fill("#ciwa-reason", "alcohol co-use: assess CIWA-Ar")
    page.click("button:has-text('Assess CIWA-Ar')")
    expect(page.locator(".messages")).to_contain_text("CIWA-Ar is now assessed for this patient")
    assert CiwaArMonitoring.objects.get().started_by == nurse
    follow_nav(page, "Withdrawal board")
    row = page.locator("table.board tbody tr", has_text="Maria Rivera")
    expect(row.locator("td[data-label='CIWA-Ar']")).to_contain_text("none yet")
    row.locator("text=Score CIWA-Ar").click()
    for key, value in CIWA_12.items():
        page.locator(f"input[name={key}][value='{value}']").check()
    page.click("button:has-text('Save')")
    expect(page.locator(".messages")).to_contain_text("CIWA-Ar 12 recorded (moderate (program bands: Test protocol")
    assert Assessment.objects.get(instrument="ciwa-ar").band_label == "moderate"
    follow_nav(page, "Withdrawal board")
    cell = page.locator("table.board tbody tr", has_text="Maria Rivera").locator("td[data-label='CIWA-Ar']")
    expect(cell).to_contain_text("12 moderate")
    expect(cell).to_contain_text("program bands: Test protocol, not clinical guidance")
    expect(cell).to_contain_text("next due")
    screenshot(page, "ciwa-ar-board-column-1280")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "ciwa-ar-board-column-768")
