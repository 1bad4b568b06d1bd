"""The PDMP's report kept with the check where provided: an uploaded PDF or image, stored with the check (with its
SHA-256), downloadable only by the prescriber roles, each download audited; other files refused by their content."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from waypoint.accounts.roles import Role
from waypoint.privacy.models import AuditEvent
from waypoint.regulatory import pdmp
from waypoint.regulatory.models import PdmpCheck

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(client, patient, content, name="report.pdf", **fields):
    now = timezone.localtime(timezone=patient.program.tz).strftime("%Y-%m-%dT%H:%M")
    data = {"state": "NY", "checked_at": now, "findings": "One prescriber, one pharmacy."} | fields
    data["report_file"] = SimpleUploadedFile(name, content, content_type="application/pdf")
    return client.post(reverse("regulatory:pdmp", args=[patient.pk]), data)


def test_the_report_is_kept_with_the_check_and_the_prescriber_downloads_it(page, prescriber, patient):
    client = page(prescriber)
    assert upload(client, patient, PDF).status_code == 302
    check = PdmpCheck.objects.get()
    assert bytes(check.report_file) == PDF and check.report_file_type == "application/pdf"
    assert check.report_file_sha256 == hashlib.sha256(PDF).hexdigest()
    listing = client.get(reverse("regulatory:pdmp", args=[patient.pk])).content.decode()
    url = reverse("regulatory:pdmp-report", args=[patient.pk, check.pk])
    assert url in listing
    response = client.get(url)
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Type"] == "application/pdf" and response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Disposition"].endswith('.pdf"') and "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="pdmp.report.download")
    assert event.patient_id == patient.pk and event.actor_id == prescriber.pk


def test_a_file_that_is_not_a_pdf_or_image_is_refused_by_its_content(page, prescriber, patient):
    response = upload(page(prescriber), patient, b"<html><script>alert(1)</script></html>", name="report.pdf")
    assert response.status_code == 200 and "PDF, PNG or JPEG" in response.content.decode()
    assert not PdmpCheck.objects.exists()


def test_a_file_over_the_limit_is_refused_naming_it(prescriber, patient):
    with pytest.raises(ValidationError) as refused:
        pdmp.record_check(
            acting_user=prescriber,
            patient=patient,
            state="NY",
            checked_at=timezone.now(),
            findings="None",
            report_file=PDF + b"0" * pdmp.MAX_REPORT_BYTES,
        )
    assert "5 MB" in refused.value.message_dict["report_file"][0]


def test_only_the_prescriber_roles_download_it(page, prescriber, nurse, patient, north):
    upload(page(prescriber), patient, PDF)
    url = reverse("regulatory:pdmp-report", args=[patient.pk, PdmpCheck.objects.get().pk])
    assert page(nurse).get(url).status_code == 403
    assert page(make_user("north-prescriber", north, Role.PRESCRIBER)).get(url).status_code == 404
    assert not AuditEvent.objects.filter(action="pdmp.report.download").exists()
    assert AuditEvent.objects.filter(action="access.denied").count() == 2
