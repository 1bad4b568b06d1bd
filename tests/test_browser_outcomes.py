"""MOUD and outcomes in a real browser: a prescriber orders a buprenorphine induction, a nurse records a dose
between two COWS (and a refused over-ceiling dose), a urine screen; the director opens the outcomes dashboard.
Screenshots in docs/screenshots (medication-*.png, outcomes-*.png)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import screenshot
from tests.conftest import COWS
from tests.test_browser_foundation import sign_in
from waypoint.accounts import program_settings
from waypoint.medication.models import Administration
from waypoint.withdrawal import services as withdrawal

pytestmark = pytest.mark.browser


def local(dt, program):
    return timezone.localtime(dt, timezone=program.tz).strftime("%Y-%m-%dT%H:%M")


def sign_out(page):
    page.click("button:has-text('Sign out')")


def test_a_dose_is_recorded_between_cows_and_the_director_opens_outcomes(
    browser_page, live_server, nurse, prescriber, director, admitted
):
    patient, program = admitted.patient, admitted.program
    program_settings.change(program, "medication.max_dose_mg.buprenorphine", 8, acting_user=director)
    now = timezone.now().replace(second=0, microsecond=0)
    withdrawal.record_assessment(
        acting_user=nurse,
        patient=patient,
        instrument="cows",
        responses=COWS | {"gooseflesh": 5, "anxiety_irritability": 2},
        taken_at=now - timedelta(hours=3),
    )
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 1000})

    sign_in(page, live_server, prescriber.username)
    page.goto(f"{live_server.url}/patients/{patient.pk}/medication/orders/new/")
    page.select_option("#id_medication", "buprenorphine")
    page.fill("#id_dose", "12")
    page.select_option("#id_route", "sublingual")
    page.fill("#id_times_per_day", "12")
    page.fill("#id_frequency", "as needed")
    page.select_option("#id_phase", "induction")
    page.fill("#id_start_at", local(now - timedelta(hours=2, minutes=50), program))
    page.click("button:has-text('Sign the order')")
    expect(page.locator("#id_dose_error")).to_contain_text(
        "program setting “Buprenorphine single-dose ceiling (mg)”: 8"
    )
    screenshot(page, "medication-order-ceiling")
    page.fill("#id_dose", "4")
    page.click("button:has-text('Sign the order')")
    expect(page.locator(".messages")).to_contain_text("Ordered: buprenorphine 4 mg SL")
    sign_out(page)

    sign_in(page, live_server, nurse.username)
    page.goto(f"{live_server.url}/patients/{patient.pk}/medication/administer/")
    # the induction dose form shows the latest COWS, its time and the program threshold (not set here)
    expect(page.locator(".induction-check .latest-cows")).to_contain_text("Latest COWS: 16")
    expect(page.locator(".induction-check .latest-cows")).to_contain_text(local(now - timedelta(hours=3), program)[11:])
    expect(page.locator(".induction-check .threshold")).to_contain_text("not set by this program")
    screenshot(page, "medication-dose-form")
    page.select_option("#id_status", "given")
    page.fill("#id_dose", "4")
    page.fill("#id_at", local(now - timedelta(hours=2, minutes=30), program))
    page.click("button:has-text('Record')")
    expect(page.locator(".messages")).to_contain_text("Given: buprenorphine 4 mg SL")
    page.goto(f"{live_server.url}/patients/{patient.pk}/medication/administer/")
    page.fill("#id_dose", "6")
    page.fill("#id_at", local(now - timedelta(minutes=30), program))
    page.click("button:has-text('Record')")
    expect(page.locator("#id_dose_error")).to_contain_text("more than the ordered 4 mg")
    screenshot(page, "medication-dose-refused")
    assert Administration.objects.count() == 1

    withdrawal.record_assessment(
        acting_user=nurse, patient=patient, instrument="cows", responses=COWS, taken_at=now - timedelta(hours=1)
    )
    page.goto(f"{live_server.url}/patients/{patient.pk}/medication/")
    expect(page.locator(".induction-table")).to_contain_text("30 min before")
    expect(page.locator(".induction-table")).to_contain_text("1 h 30 min after")
    expect(page.locator(".induction svg.trend-chart:visible")).to_have_count(1)  # drawn for a desk, a tablet, a phone
    screenshot(page, "medication-induction")

    page.goto(f"{live_server.url}/patients/{patient.pk}/drug-screens/")
    page.fill("#id_collected_at", local(now - timedelta(minutes=20), program))
    page.check("input[name=observed][value=yes]")
    page.check("input[name=result_buprenorphine][value=positive]")
    page.check("input[name=result_fentanyl][value=positive]")
    page.check("input[name=result_cocaine][value=negative]")
    page.click("button:has-text('Record screen')")
    expect(page.locator(".drug-screens .unexpected")).to_have_text("Fentanyl")
    expect(page.locator(".drug-screens")).to_contain_text("Buprenorphine (expected)")
    for hours, craving in ((3, 8), (2, 6), (1, 4)):
        withdrawal.record_assessment(
            acting_user=nurse,
            patient=patient,
            instrument="craving-nrs",
            responses={"craving": craving},
            taken_at=now - timedelta(hours=hours, minutes=5),
        )
    page.goto(f"{live_server.url}/patients/{patient.pk}/progress/")
    expect(page.locator(".progress-cravings svg.trend-chart:visible")).to_have_count(1)
    expect(page.locator(".progress-moud")).to_contain_text("buprenorphine 4 mg SL")
    screenshot(page, "medication-progress")
    sign_out(page)

    sign_in(page, live_server, director.username)
    page.click("nav a:has-text('Outcomes')")
    expect(page.locator("#figure-admissions .value")).to_have_text("1")
    expect(page.locator("#figure-unexpected_positives .value")).to_have_text("100% (1 of 1)")
    expect(page.locator("svg.outcome-chart.rates")).to_be_visible()
    screenshot(page, "outcomes-dashboard")
    with page.expect_download() as download:
        page.click("a:has-text('Export CSV')")
    assert download.value.suggested_filename.startswith("outcomes-harbor-")
    page.fill("#id_end", "2020-01-01")
    page.click("button:has-text('Show')")
    expect(page.locator("#id_end_error")).to_contain_text("The end must not be before the start.")
    screenshot(page, "outcomes-period-error")
