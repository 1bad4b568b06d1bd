"""Browser: a patient signs the single TPO consent on the kiosk and sees a copy; the privacy officer records a
breach and reads its notification list."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import screenshot
from tests.test_browser_foundation import sign_in
from waypoint.privacy.models import Consent
from waypoint.regulatory import services
from waypoint.regulatory.models import Breach

pytestmark = pytest.mark.browser


def test_a_patient_signs_the_tpo_consent_on_the_kiosk(
    browser_page, live_server, nurse, patient, privacy_officer, program
):
    text = services.start_tpo_text(acting_user=privacy_officer, program=program)
    page = browser_page
    sign_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/patients/{patient.pk}/withdrawal/")
    page.click("button:has-text('Open patient kiosk')")
    page.click("text=Read and sign a consent form")
    page.click(f"text={text.title}")
    expect(page.locator(".consent-text")).to_contain_text("until you take it back in writing")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "kiosk-consent-read-390")
    page.click("button:has-text('Sign this consent')")  # nothing typed: the errors say what is missing
    expect(page.locator(".error-summary")).to_contain_text("Type your full name")
    page.fill("#id_typed_name", "Maria Rivera")
    page.check("#id_attested")
    page.set_viewport_size({"width": 768, "height": 1024})
    screenshot(page, "kiosk-consent-sign-768")
    page.click("button:has-text('Sign this consent')")
    expect(page.locator("h1")).to_have_text("Thank you: your consent is signed")
    expect(page.locator(".signed-copy")).to_contain_text("matches the text above")
    screenshot(page, "kiosk-consent-copy-768")
    consent = Consent.objects.get()
    assert consent.signature.text_sha256 == text.sha256 and consent.is_tpo


def test_the_privacy_officer_records_a_breach_and_reads_its_notification_list(
    browser_page, live_server, nurse, patient, privacy_officer, program
):
    page = browser_page
    sign_in(page, live_server, "privacy")
    page.click("text=Breach register")
    page.click("text=Record a breach")
    start = timezone.localtime(timezone=program.tz) - timedelta(days=2)
    page.fill("#id_title", "Laptop left on the bus")
    page.fill("#id_discovered_on", timezone.localdate(timezone=program.tz).isoformat())
    page.fill("#id_description", "A nurse's laptop with an open session was lost.")
    page.fill("#id_information_involved", "Charts opened that week: demographics and withdrawal scores.")
    page.fill("#id_window_start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_window_end", (start + timedelta(days=2, minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    page.check(f"input[name=involved_users][value='{nurse.pk}']")
    page.click("button:has-text('Record breach')")
    expect(page.locator("#patients-heading")).to_have_text("Notification list: 1 patient")
    expect(page.locator("table").nth(0)).to_contain_text(patient.mrn)
    page.set_viewport_size({"width": 1280, "height": 1000})
    screenshot(page, "breach-notification-list-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "breach-notification-list-390")
    assert Breach.objects.get().title == "Laptop left on the bus"
