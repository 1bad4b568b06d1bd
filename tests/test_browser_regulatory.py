"""Browser: a patient signs the single TPO consent on the kiosk and sees a copy; the privacy officer records a
breach and reads its notification list; a nurse records the dual-enrollment answer from the chart; the privacy officer
reads the central-registry reports sent and refused, and a report's accounting entry."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from playwright.sync_api import expect

from conftest import screenshot
from tests.test_browser_foundation import follow_nav, sign_in
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


def test_the_nurse_records_the_dual_enrollment_answer_from_the_chart(browser_page, live_server, nurse, patient):
    from waypoint.patients import services as patients

    patients.admit(acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(hours=2), level_code="1")
    page = browser_page
    sign_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}{patient.get_absolute_url()}")
    expect(page.locator(".dual-enrollment")).to_contain_text("Not recorded for this admission")
    page.click("text=Record the answer")
    page.check("input[name=answer][value=enrolled]")
    page.click("button:has-text('Record the answer')")  # no program named: the error says so
    expect(page.locator(".error-summary")).to_contain_text("Name the other program")
    page.set_viewport_size({"width": 768, "height": 1024})
    screenshot(page, "dual-enrollment-form-768")
    page.fill("#id_other_program", "Bayside Methadone Clinic")
    page.click("button:has-text('Record the answer')")
    expect(page.locator(".dual-enrollment")).to_contain_text("Enrolled in another opioid treatment program")
    expect(page.locator(".dual-enrollment")).to_contain_text("Bayside Methadone Clinic")
    page.set_viewport_size({"width": 1280, "height": 1000})
    screenshot(page, "dual-enrollment-chart-1280")
    page.set_viewport_size({"width": 768, "height": 1024})
    screenshot(page, "dual-enrollment-chart-768")


def test_the_privacy_officer_reads_the_central_registry_reports(
    browser_page, live_server, settings, nurse, patient, privacy_officer, administrator, program
):
    from conftest import patient_fields
    from waypoint.accounts.program_settings import change
    from waypoint.patients import services as patients
    from waypoint.privacy import services as privacy
    from waypoint.regulatory import registry

    settings.REGULATORY_REGISTRY_ADAPTER = "waypoint.regulatory.registry.MemoryAdapter"
    change(program, "regulatory.central_registry", "State Central Registry", acting_user=administrator)
    program.__dict__.pop("_setting_values", None)
    privacy.record_consent(
        acting_user=nurse,
        patient=patient,
        disclosing_party=program.name,
        information=["demographics", "moud"],
        information_description="Identification, medication and dose, dates of treatment events",
        recipients=["State Central Registry"],
        purposes=["other"],
        purpose_description=registry.PURPOSE_DESCRIPTION,
        expiry="date",
        expires_on=program.today() + timedelta(days=365),
        signed_by="Maria Rivera",
        signed_on=program.today(),
        right_to_revoke_explained=True,
    )
    registry.report(acting_user=nurse, patient=patient, event="admission", event_date=program.today())
    other = patients.register_patient(
        acting_user=nurse, program=program, care_team=None, **patient_fields(mrn="W-2002", family_name="Nakamura")
    )
    with pytest.raises(ValidationError):
        registry.report(acting_user=nurse, patient=other, event="admission", event_date=program.today())
    page = browser_page
    sign_in(page, live_server, "privacy")
    follow_nav(page, "Central registry reports")
    expect(page.locator("h1")).to_have_text("Central registry reports")
    expect(page.locator("table").nth(0)).to_contain_text(patient.mrn)
    expect(page.locator("table").nth(1)).to_contain_text("Nakamura")
    expect(page.locator("table").nth(1)).to_contain_text("No active consent")
    page.set_viewport_size({"width": 1280, "height": 1000})
    screenshot(page, "registry-reports-1280")
    page.set_viewport_size({"width": 768, "height": 1024})
    screenshot(page, "registry-reports-768")
    page.locator("table").nth(0).locator("a").first.click()
    expect(page.locator("#accounting-heading")).to_have_text("Accounting of disclosures entry")
    expect(page.locator("main")).to_contain_text("State Central Registry")
    page.set_viewport_size({"width": 1280, "height": 1000})
    screenshot(page, "registry-report-accounting-1280")
    page.set_viewport_size({"width": 768, "height": 1024})
    screenshot(page, "registry-report-accounting-768")


def test_the_prescriber_keeps_the_pdmp_report_and_records_a_telemedicine_encounter(
    browser_page, live_server, prescriber, patient, program, tmp_path
):
    from django.urls import reverse

    from waypoint.regulatory.models import PdmpCheck, TelemedicineEncounter

    report = tmp_path / "pdmp-report.pdf"
    report.write_bytes(b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page = browser_page
    sign_in(page, live_server, "prescriber")
    page.goto(f"{live_server.url}{reverse('medication:page', args=[patient.pk])}")
    page.click("text=PDMP checks")
    page.fill("#id_state", "NY")
    page.fill("#id_findings", "One prescriber, one pharmacy; no overlapping controlled prescriptions.")
    page.set_input_files("#id_report_file", str(report))
    page.click("button:has-text('Record check')")
    expect(page.locator("main")).to_contain_text("PDMP check recorded.")
    expect(page.locator("main")).to_contain_text("The PDMP's report (pdmp-report.pdf)")
    page.check("input[name=modality][value=audio_video]")
    page.fill("#id_patient_location", "Home, Albany NY")
    page.click("button:has-text('Record telemedicine encounter')")
    expect(page.locator("table[aria-labelledby=encounters-heading]")).to_contain_text("Audio and video")
    page.set_viewport_size({"width": 1280, "height": 1000})
    screenshot(page, "pdmp-telemedicine-1280")
    page.set_viewport_size({"width": 768, "height": 1024})
    screenshot(page, "pdmp-telemedicine-768")
    assert PdmpCheck.objects.get().report_file_name == "pdmp-report.pdf"
    assert TelemedicineEncounter.objects.get().patient_location == "Home, Albany NY"


def test_the_nurse_witnesses_a_consent_signed_on_the_kiosk(
    browser_page, live_server, nurse, patient, privacy_officer, administrator, program
):
    from conftest import PASSWORD
    from waypoint.accounts.program_settings import change

    change(program, "regulatory.consent_witness", True, acting_user=administrator)
    text = services.start_tpo_text(acting_user=privacy_officer, program=program)
    page = browser_page
    sign_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/patients/{patient.pk}/withdrawal/")
    page.click("button:has-text('Open patient kiosk')")
    page.click("text=Read and sign a consent form")
    page.click(f"text={text.title}")
    page.fill("#id_typed_name", "Maria Rivera")
    page.check("#id_attested")
    page.click("button:has-text('Sign this consent')")  # no witness yet: the error says who confirms
    expect(page.locator(".error-summary")).to_contain_text("A staff witness is required")
    page.fill("#id_typed_name", "Maria Rivera")
    page.check("#id_attested")
    page.fill("#id_witness_password", PASSWORD)
    page.set_viewport_size({"width": 768, "height": 1024})
    screenshot(page, "kiosk-consent-witness-768")
    page.set_viewport_size({"width": 1280, "height": 1000})
    screenshot(page, "kiosk-consent-witness-1280")
    page.click("button:has-text('Sign this consent')")
    expect(page.locator(".signed-copy")).to_contain_text("Witnessed by")
    assert Consent.objects.get().signature.witnessed_by == nurse
