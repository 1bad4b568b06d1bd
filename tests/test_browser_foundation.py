"""A nurse at work in a real browser: sign in, find a patient, admit, step down. Screenshots in docs/screenshots."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD, authenticator_of, naloxone_and_education, screenshot, totp_code
from waypoint.accounts.models import User
from waypoint.patients.models import LevelOfCareStay

pytestmark = pytest.mark.browser


def sign_in(page, live_server, username):
    """Both steps: the password, then a code from the user's authenticator (made for them if they have none),
    computed from the device's key with django-otp's TOTP function."""
    device = authenticator_of(User.objects.get(username=username))
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#id_token")
    page.fill("#id_token", totp_code(device))
    page.click("button[type=submit]")
    page.wait_for_load_state()


def follow_nav(page, label):
    """Follow a navigation link as a user would (waypoint/site/navigation.py): the role's own work is in the bar, its
    other pages in the menus of their groups (open the menu first), and the lists of patients waiting for someone on
    the Work lists page (open it first)."""
    name = re.compile(f"^{re.escape(label)}$")
    nav = page.locator("nav[aria-label=Main]")
    link = nav.locator("a", has_text=name).first
    if link.count() == 0:
        follow_nav(page, "Work lists")
        page.locator("main .work-lists a", has_text=name).click()
        return
    if not link.is_visible():
        nav.locator("details", has=page.locator("a", has_text=name)).locator("summary").click()
    link.click()


def test_a_nurse_finds_a_patient_admits_and_steps_them_down(browser_page, live_server, nurse, patient):
    page = browser_page
    sign_in(page, live_server, "nurse")
    expect(page.locator("h1")).to_contain_text("Withdrawal board")  # the nurse starts on the board
    follow_nav(page, "Patients")
    expect(page.locator("h1")).to_have_text(re.compile("Patients"))
    page.fill("#id_q", "rivera")
    expect(page.locator("#patient-rows")).to_contain_text("Rivera, Maria")  # found by the live search (htmx)
    screenshot(page, "patient-list")
    page.click("text=Rivera, Maria")
    expect(page.locator("h1")).to_have_text("Maria Rivera")

    page.click("text=Admit")
    page.fill("#id_admitted_at", "2026-01-05T09:30")
    page.select_option("#id_level_of_care", "3.7-WM")
    page.click("button:has-text('Admit')")
    expect(page.locator(".messages")).to_contain_text("admitted")
    expect(page.locator(".chart-header")).to_contain_text("3.7-WM")
    episode = patient.episodes.get()  # every change of level of care needs naloxone and education first
    naloxone_and_education(patient, nurse, episode.admitted_at + timedelta(hours=1))

    page.click("text=Change level of care")
    page.fill("#id_at", "2026-01-04T10:00")  # before the admission: refused next to the field
    page.select_option("#id_level_of_care", "3.5")
    page.fill("#id_reason", "Withdrawal complete, stable on buprenorphine")
    page.click("button:has-text('Move')")
    expect(page.locator("#id_at_error")).to_contain_text("before the current stay began")
    page.fill("#id_at", "2026-01-10T10:00")
    page.click("button:has-text('Move')")
    expect(page.locator(".chart-header")).to_contain_text("3.5 Clinically Managed High-Intensity Residential")
    expect(page.locator(".timeline")).to_contain_text("Moved from 3.7-WM")
    screenshot(page, "patient-chart")

    stays = list(LevelOfCareStay.objects.filter(patient=patient).order_by("started_at"))
    assert [s.level_code for s in stays] == ["3.7-WM", "3.5"]
    assert stays[1].started_at.isoformat() == "2026-01-10T15:00:00+00:00"  # 10:00 New York is stored as UTC


def test_the_census_page_shows_occupancy(browser_page, live_server, nurse, admitted):
    page = browser_page
    sign_in(page, live_server, "nurse")
    follow_nav(page, "Census")
    expect(page.locator("h1")).to_contain_text("1 in care now")
    screenshot(page, "census")


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(browser_page, live_server, nurse):
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "nurse")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator("[data-error-summary]")).to_contain_text("Please enter a correct username and password")


def test_a_patient_the_intake_coordinator_admits_with_the_default_team_is_on_the_nurses_board(
    browser_page, live_server, intake, nurse
):
    """Registered with the care-team field left at its default and admitted to withdrawal management: the nurse of
    the team covering that level finds the new patient on her board (such a patient used to land on no team)."""
    page = browser_page
    sign_in(page, live_server, "intake")
    page.goto(f"{live_server.url}/patients/new/")
    page.fill("#id_given_name", "Dana")
    page.fill("#id_family_name", "Whitfield")
    page.fill("#id_birth_date", "1991-07-02")
    page.select_option("#id_sex_at_birth", "female")
    page.click("main button:has-text('Save')")
    expect(page.locator("h1")).to_have_text("Dana Whitfield")
    page.click("text=Admit")
    page.fill("#id_admitted_at", "2026-01-05T09:30")
    page.select_option("#id_level_of_care", "3.7-WM")
    page.click("button:has-text('Admit')")
    expect(page.locator(".messages")).to_contain_text("admitted")
    expect(page.locator(".chart-header")).to_contain_text("Harbor team")

    page.context.clear_cookies()
    sign_in(page, live_server, "nurse")
    expect(page.locator("h1")).to_contain_text("Withdrawal board")
    expect(page.locator("#board")).to_contain_text("Dana Whitfield")
    expect(page.locator("body")).not_to_contain_text("on no care team")
