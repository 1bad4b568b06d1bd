"""A nurse scores a COWS in a real browser and sees it on the board, the chart and the flowsheet chart."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import screenshot
from tests.test_browser_foundation import follow_nav, sign_in
from waypoint.accounts import program_settings
from waypoint.patients import services as patients
from waypoint.withdrawal import services
from waypoint.withdrawal.models import Assessment

pytestmark = pytest.mark.browser

SCORES = {
    "resting_pulse": 2,
    "sweating": 2,
    "restlessness": 3,
    "pupil_size": 2,
    "bone_joint_aches": 2,
    "runny_nose_tearing": 2,
    "gi_upset": 2,
    "tremor": 1,
    "yawning": 2,
    "anxiety_irritability": 2,
    "gooseflesh": 3,
}  # total 23: moderate


ZERO = dict.fromkeys(SCORES, 0)
EARLIER = (  # hours ago, responses: totals 5, 9, 12
    (15, ZERO | {"resting_pulse": 1, "sweating": 1, "restlessness": 1, "yawning": 1, "anxiety_irritability": 1}),
    (
        11,
        ZERO
        | {
            "resting_pulse": 1,
            "sweating": 2,
            "restlessness": 1,
            "pupil_size": 1,
            "yawning": 2,
            "anxiety_irritability": 2,
        },
    ),
    (
        7,
        ZERO
        | {
            "resting_pulse": 2,
            "sweating": 2,
            "restlessness": 1,
            "pupil_size": 2,
            "yawning": 2,
            "anxiety_irritability": 2,
            "tremor": 1,
        },
    ),
)
SOWS_KEYS = (
    "anxious",
    "yawning",
    "perspiring",
    "tearing",
    "nose_running",
    "goose_flesh",
    "shaking",
    "hot_flashes",
    "cold_flashes",
    "aches",
    "restless",
    "nauseous",
    "vomiting",
    "twitching",
    "stomach_cramps",
    "urge_to_use",
)


def history(nurse, patient):
    for hours, responses in EARLIER:
        services.record_assessment(
            acting_user=nurse,
            patient=patient,
            instrument="cows",
            responses=responses,
            taken_at=timezone.now() - timedelta(hours=hours),
        )
    for hours, level in ((13, 1), (6, 2)):
        services.record_assessment(
            acting_user=nurse,
            patient=patient,
            instrument="sows-handelsman",
            responses=dict.fromkeys(SOWS_KEYS, level),
            source="kiosk",
            taken_at=timezone.now() - timedelta(hours=hours),
        )
    services.record_assessment(
        acting_user=nurse,
        patient=patient,
        instrument="craving-nrs",
        responses={"craving": 7},
        taken_at=timezone.now() - timedelta(hours=6),
        source="kiosk",
    )


def more_patients(nurse, program):
    """One patient overdue for a COWS, one waiting for a baseline score."""
    overdue = patients.register_patient(
        acting_user=nurse,
        program=program,
        mrn="W-1002",
        given_name="James",
        family_name="Okoro",
        birth_date=date(1979, 3, 2),
        sex_at_birth="male",
    )
    patients.admit(
        acting_user=nurse, patient=overdue, admitted_at=timezone.now() - timedelta(days=1), level_code="3.7-WM"
    )
    services.record_assessment(
        acting_user=nurse,
        patient=overdue,
        instrument="cows",
        responses=EARLIER[1][1],
        taken_at=timezone.now() - timedelta(hours=6),
    )
    new = patients.register_patient(
        acting_user=nurse,
        program=program,
        mrn="W-1003",
        given_name="Aisha",
        family_name="Nguyen",
        birth_date=date(1995, 8, 20),
        sex_at_birth="female",
    )
    patients.admit(
        acting_user=nurse, patient=new, admitted_at=timezone.now() - timedelta(minutes=20), level_code="3.7-WM"
    )


def test_a_nurse_scores_a_cows_and_sees_it_on_the_board_and_the_flowsheet(
    browser_page, live_server, nurse, admitted, patient, program
):
    program_settings.change(program, "withdrawal.induction_threshold_cows", 8, acting_user=nurse)
    program_settings.change(program, "withdrawal.rise_alert_points", 5, acting_user=nurse)
    history(nurse, patient)
    more_patients(nurse, program)
    page = browser_page
    sign_in(page, live_server, "nurse")
    follow_nav(page, "Withdrawal board")
    expect(page.locator("table.board")).to_contain_text("Maria Rivera")
    page.locator("tr", has_text="Maria Rivera").locator("text=Score COWS").click()
    for key, value in SCORES.items():
        page.check(f"input[name={key}][value='{value}']")
    page.fill("#id_pulse_bpm", "108")
    page.fill("#id_systolic_mmhg", "142")
    page.fill("#id_diastolic_mmhg", "88")
    page.fill("#id_note", "Restless, yawning, asks for medication")
    screenshot(page, "cows-form")
    page.click("button:has-text('Save')")
    expect(page.locator(".messages")).to_contain_text("COWS 23 recorded (moderate")
    expect(page.locator(".chart svg:visible")).to_have_count(1)  # drawn for a desk, a tablet and a phone
    screenshot(page, "withdrawal-flowsheet")

    follow_nav(page, "Withdrawal board")
    rows = page.locator("table.board tbody tr")
    # Most urgent first (board.URGENCY_RULE): James, mild 9 + induction + 2 h late of 4 = 4 points, due longest;
    # Maria, moderate 23 + rise + induction = 4; Aisha, no score yet, baseline 20 minutes late = 1.
    expect(rows.nth(0)).to_contain_text("James Okoro")
    expect(rows.nth(0)).to_contain_text("overdue since")
    expect(rows.nth(0)).to_have_class("overdue late-2")
    row = rows.nth(1)
    expect(row).to_contain_text("Maria Rivera")
    expect(row).to_contain_text("23")
    expect(row).to_contain_text("Meets program induction threshold (program setting “COWS induction threshold”: 8)")
    expect(row).to_contain_text("COWS up")
    expect(rows.nth(2)).to_contain_text("Aisha Nguyen")  # baseline due at admission: just overdue
    expect(rows.nth(2)).to_have_class("overdue late-1")
    expect(rows.nth(2)).to_contain_text("just overdue")
    page.click("text=How “most urgent first” is decided")
    expect(page.locator(".urgency-rule")).to_contain_text("moderate 2, mild 1")
    screenshot(page, "withdrawal-board")

    page.goto(f"{live_server.url}{patient.get_absolute_url()}")
    expect(page.locator(".withdrawal-status")).to_contain_text("latest COWS 23")


def test_a_patient_answers_the_short_ows_on_the_kiosk_and_the_device_returns_to_sign_in(
    browser_page, live_server, nurse, admitted, patient
):
    page = browser_page
    sign_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/patients/{patient.pk}/withdrawal/")
    page.click("button:has-text('Open patient kiosk')")
    expect(page.locator("h1")).to_have_text("Hello Maria")
    screenshot(page, "kiosk-start")
    page.click("text=Short Opiate Withdrawal Scale")
    for index, key in enumerate(
        (
            "feeling_sick",
            "stomach_cramps",
            "muscle_spasms",
            "feeling_cold",
            "heart_pounding",
            "muscle_tension",
            "aches_pains",
            "yawning",
            "runny_eyes",
            "insomnia",
        )
    ):
        page.check(f"input[name={key}][value='{index % 4}']")
    screenshot(page, "kiosk-short-ows")
    page.click("button:has-text('Send my answers')")
    expect(page.locator(".kiosk-thanks")).to_contain_text("sent to your care team")
    page.goto(f"{live_server.url}/patients/")  # staff pages are out of reach on the kiosk
    expect(page).to_have_url(re.compile("/login/"))
    page.go_back()
    page.click("button:has-text('finished')")
    expect(page).to_have_url(re.compile("/login/"))
    assessment = Assessment.objects.get()
    assert (assessment.instrument, assessment.total, assessment.source) == ("sows-gossop", 13, "kiosk")
