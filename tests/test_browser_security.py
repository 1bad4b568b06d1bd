"""The privacy officer reviews the audit trail in a real browser, under the Content-Security-Policy;
a guesser is locked out. Screenshots in docs/screenshots."""

import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import expect

from conftest import screenshot
from tests.test_browser_foundation import sign_in
from waypoint.privacy import audit

pytestmark = pytest.mark.browser


def test_the_privacy_officer_filters_and_sorts_the_audit_trail(browser_page, live_server, privacy_officer, nurse,
                                                               intake, patient):
    audit.record(intake, "patient.chart.read", patient=patient)
    call_command("audit", "verify", stdout=io.StringIO())
    page = browser_page
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
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
