"""Forms a nurse can trust at 3 a.m.: every problem listed at the top in words with a link to its field, a running
COWS total, the pulse item scored from the measured pulse, and nothing typed lost to the idle timeout."""

import re
import time
from importlib import import_module

import pytest
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from conftest import PASSWORD, authenticator_of, screenshot, totp_code
from tests.test_browser_foundation import sign_in
from waypoint.accounts.sessions import SEEN_AT
from waypoint.withdrawal.models import Assessment

pytestmark = pytest.mark.browser


def open_cows(page, live_server, episode):
    page.goto(f"{live_server.url}/patients/{episode.patient_id}/assessments/new/cows/")
    expect(page.locator("h1")).to_contain_text("Record COWS")


def move_idle_clock(page, *, seconds_ago):
    """The browser's session, as if its last request had been `seconds_ago` ago."""
    key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)  # the server's own store
    session[SEEN_AT] = time.time() - seconds_ago
    session.save()


def test_a_nurse_sees_every_cows_problem_at_the_top_in_words_with_a_running_total(
    browser_page, live_server, nurse, admitted
):
    page = browser_page
    sign_in(page, live_server, "nurse")
    open_cows(page, live_server, admitted)
    expect(page.get_by_label("Taken at")).to_be_visible()
    expect(page.locator("#id_taken_at_tz")).to_contain_text("America/New_York")
    expect(page.get_by_label("Systolic blood pressure (mmHg)")).to_be_visible()
    expect(page.get_by_label("Temperature (°C)")).to_be_visible()

    page.fill("#id_pulse_bpm", "104")  # 101-120: score 2, by the instrument's own rule
    expect(page.locator("input[name=resting_pulse][value='2']")).to_be_checked()
    page.check("input[name=sweating][value='1']")
    expect(page.locator("[data-running-total]")).to_contain_text("Total so far: 3 · 2 of 11 items scored")

    page.click("button[type=submit]")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("9 entries need your attention")
    expect(summary.get_by_role("link", name="Runny nose or tearing")).to_be_visible()
    expect(summary).to_contain_text("No score chosen: choose 0, 1, 2 or 4")
    assert "runny_nose_tearing" not in summary.inner_text()
    expect(page.locator("input[name=resting_pulse][value='2']")).to_be_checked()  # kept, with the pulse
    screenshot(page, "cows-form-errors-1280")
    page.set_viewport_size({"width": 768, "height": 1024})
    screenshot(page, "cows-form-errors-768")

    summary.get_by_role("link", name="Runny nose or tearing").click()
    expect(page.locator("#id_runny_nose_tearing_0")).to_be_focused()
    assert not Assessment.objects.exists()


def test_a_half_entered_cows_comes_back_after_the_idle_timeout_and_signing_in_again(
    browser_page, live_server, nurse, admitted
):
    page = browser_page
    sign_in(page, live_server, "nurse")
    open_cows(page, live_server, admitted)
    page.fill("#id_pulse_bpm", "96")
    page.check("input[name=sweating][value='2']")
    page.check("input[name=gooseflesh][value='3']")
    page.fill("#id_note", "Called to room 4 halfway through")

    move_idle_clock(page, seconds_ago=16 * 60)  # the nurse was away longer than the idle timeout
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Sign in")
    assert not Assessment.objects.exists()

    TOTPDevice.objects.filter(user=nurse).update(last_t=-1)  # a new code in the same 30 s would be refused
    page.fill("#id_username", "nurse")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.fill("#id_token", totp_code(authenticator_of(nurse)))
    page.click("button[type=submit]")

    expect(page.locator("h1")).to_contain_text("Record COWS")
    expect(page.locator(".messages")).to_contain_text("What you had typed on this form is filled in again")
    expect(page.locator("#id_pulse_bpm")).to_have_value("96")
    expect(page.locator("input[name=resting_pulse][value='1']")).to_be_checked()
    expect(page.locator("input[name=sweating][value='2']")).to_be_checked()
    expect(page.locator("input[name=gooseflesh][value='3']")).to_be_checked()
    expect(page.locator("#id_note")).to_have_value("Called to room 4 halfway through")
    expect(page.locator("[data-running-total]")).to_contain_text("Total so far: 6")


def test_the_idle_warning_counts_down_and_staying_signed_in_keeps_the_page(browser_page, live_server, nurse, admitted):
    page = browser_page
    page.clock.install()
    sign_in(page, live_server, "nurse")
    open_cows(page, live_server, admitted)
    expect(page.get_by_role("alertdialog")).to_be_hidden()
    page.clock.fast_forward("13:20")  # the page's clock: 100 seconds before the 15-minute idle timeout
    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(re.compile(r"signed out in [01]:\d\d"))
    stay = warning.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    stay.click()
    expect(warning).to_be_hidden()
    page.reload()
    expect(page.locator("h1")).to_contain_text("Record COWS")  # still signed in
    expect(page.get_by_role("alertdialog")).to_be_hidden()
