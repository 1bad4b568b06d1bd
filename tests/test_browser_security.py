"""The privacy officer reviews the audit trail in a real browser, under the Content-Security-Policy;
a guesser is locked out. Screenshots in docs/screenshots."""

import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from conftest import PASSWORD, authenticator_of, make_program, make_user, screenshot, totp_code
from tests.test_browser_foundation import sign_in
from waypoint.accounts.roles import Role
from waypoint.accounts.two_factor import DEMO_KEY_HEX, DEMO_KEY_TEXT
from waypoint.audit import trail as audit

pytestmark = pytest.mark.browser


def test_the_privacy_officer_filters_and_sorts_the_audit_trail(
    browser_page, live_server, privacy_officer, nurse, intake, patient
):
    audit.record(intake, "patient.chart.read", patient=patient)
    call_command("audit", "verify", stdout=io.StringIO())
    page = browser_page
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    sign_in(page, live_server, "privacy")
    page.click("text=Audit trail")
    expect(page.locator("h1")).to_contain_text("Audit trail")
    expect(page.locator(".audit-verified")).to_contain_text("chain intact")
    page.fill("#id_patient", patient.mrn)
    page.click("button:has-text('Filter')")
    expect(page.locator(".audit-table tbody")).to_contain_text(patient.mrn)
    page.click(".audit-table th >> text=User")
    expect(page.locator(".audit-table tbody tr").first).to_contain_text("intake")
    screenshot(page, "audit-trail")
    assert violations == []


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_guesser_is_locked_out(browser_page, live_server, nurse):
    page = browser_page
    for _ in range(3):
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "nurse")
        page.fill("#id_password", "not-the-password-1")
        page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Sign-in locked")
    screenshot(page, "sign-in-locked")


def test_a_new_nurse_sets_up_two_factor_sign_in_and_then_signs_in_with_a_code(browser_page, live_server, nurse):
    page = browser_page
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "nurse")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Set up two-factor sign-in")
    expect(page.locator("figure.qr svg")).to_be_visible()  # QR code drawn in the page, no image service
    expect(page.locator("nav")).to_have_count(0)  # nothing else is reachable yet
    screenshot(page, "two-factor-enrol")
    pending = TOTPDevice.objects.get(user=nurse, confirmed=False)
    page.fill("#id_token", totp_code(pending))
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Your recovery codes")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    screenshot(page, "two-factor-recovery-codes")
    page.click("text=I have kept them, continue")
    expect(page.locator("h1")).to_contain_text("Withdrawal board")  # the nurse's start page
    page.click("text=Sign out")

    page.fill("#id_username", "nurse")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Enter your code")
    page.fill("#id_token", "000000" if totp_code(pending) != "000000" else "111111")
    page.click("button[type=submit]")
    expect(page.locator("#id_token_error")).to_contain_text("not right")
    screenshot(page, "two-factor-code")
    page.wait_for_timeout(1100)  # django-otp's throttle: 1 s after a wrong code
    sign_in_code = totp_code(authenticator_of(nurse))
    page.fill("#id_token", sign_in_code)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Withdrawal board")  # the nurse's start page
    page.click("text=Two-factor")
    expect(page.locator("h1")).to_have_text("Two-factor sign-in")
    screenshot(page, "two-factor-manage")
    assert violations == []


def test_the_privacy_officer_finds_a_counselors_refused_look_at_a_chart(
    browser_page, live_server, privacy_officer, counselor_off_team, patient
):
    """A refusal is what a privacy officer looks for: the counselor off the care team opens the chart's address, is
    refused (the site's 404 page), and the refusal is on the audit trail behind its own filter."""
    page = browser_page
    sign_in(page, live_server, "counselor")
    page.goto(f"{live_server.url}{patient.get_absolute_url()}")
    expect(page.locator("h1")).to_contain_text("This page is not here")
    expect(page.locator("main")).not_to_contain_text(patient.family_name)
    page.context.clear_cookies()

    sign_in(page, live_server, "privacy")
    page.click("text=Refused access only")
    refused = page.locator(".audit-table tbody tr")
    expect(refused).to_have_count(1)
    expect(refused.first).to_contain_text("counselor")
    expect(refused.first).to_contain_text("Denied")
    screenshot(page, "audit-trail-refused")


def test_a_visitor_tries_a_demo_role_with_the_published_demo_key(browser_page, live_server, db):
    """While the database holds only the demo programs the sign-in page shows the published demo key, and its code
    signs a demo account in without setting up an authenticator."""
    make_user("nora", make_program("demo", "Harbor Recovery Center (demo)"), Role.NURSE)
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    expect(page.locator("main")).to_contain_text("Demo programs only")
    expect(page.locator("main")).to_contain_text(" ".join(DEMO_KEY_TEXT[i : i + 4] for i in range(0, 32, 4)))
    screenshot(page, "sign-in-demo-key")
    page.fill("#id_username", "nora")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.fill("#id_token", f"{totp(bytes.fromhex(DEMO_KEY_HEX)):06d}")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Withdrawal board")
