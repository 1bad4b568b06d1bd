"""A nurse adds a passkey in a real browser and then signs in with it instead of a code: Chromium's virtual
authenticator (a platform passkey with user verification) through the DevTools protocol, the package's own
script served from its static files, under the Content-Security-Policy. Screenshots in docs/screenshots."""

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD, screenshot
from tests.test_browser_foundation import sign_in
from waypoint.privacy.models import AuditEvent

pytestmark = pytest.mark.browser


def add_virtual_passkey_device(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


def test_a_nurse_adds_a_passkey_and_signs_in_with_it_instead_of_a_code(browser_page, live_server, nurse, settings):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")
    page = browser_page
    blocked = []
    page.on(
        "console",
        lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None,
    )
    add_virtual_passkey_device(page)

    sign_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/account/two-factor/")
    expect(page.locator(".two-factor")).to_contain_text("Passkeys")
    page.click("text=Add a passkey")
    expect(page.locator("h1")).to_have_text("Add a passkey")
    page.fill("#id_name", "Work laptop")
    page.click("button[type=submit]")
    expect(page.locator("#passkey-register-button")).to_be_visible()
    screenshot(page, "passkey-add")
    page.click("#passkey-register-button")
    expect(page.locator("h1")).to_have_text("Two-factor sign-in")
    expect(page.locator("ul.passkeys")).to_contain_text("Work laptop")
    screenshot(page, "passkey-list")
    page.click("text=Sign out")

    page.fill("#id_username", "nurse")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Enter your code")
    expect(page.locator("#passkey-verification-button")).to_be_visible()
    screenshot(page, "passkey-sign-in")
    page.click("#passkey-verification-button")
    expect(page.locator("h1")).to_contain_text("Withdrawal board")  # the nurse's start page
    passkey_sign_in = AuditEvent.objects.filter(action="auth.two_factor", actor=nurse, outcome="success").last()
    assert passkey_sign_in.detail["device"] == "WebAuthnCredential"
    assert blocked == []
