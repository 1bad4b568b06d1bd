"""Break the glass: a clinician outside the care team opens a chart in an emergency, with a reason, audited."""

from datetime import timedelta

from django.utils import timezone

from waypoint.patients.access import visible_patients
from waypoint.privacy.models import AuditEvent, EmergencyAccess

REASON = "Found unresponsive in the day room, need allergies and medications now"


def test_a_counselor_off_the_team_opens_the_chart_with_a_reason(page, counselor_off_team, patient):
    client = page(counselor_off_team)
    assert client.get(patient.get_absolute_url()).status_code == 404
    response = client.post("/emergency-access/", {"mrn": patient.mrn, "reason": REASON})
    assert response.status_code == 302 and response["Location"] == patient.get_absolute_url()
    chart = client.get(patient.get_absolute_url())
    assert chart.status_code == 200
    assert b"Emergency access (break the glass)" in chart.content
    event = AuditEvent.objects.get(action="chart.break_glass")
    assert (event.actor, event.patient_id, event.detail["reason"]) == (counselor_off_team, patient.pk, REASON)


def test_it_needs_a_real_reason_and_an_existing_mrn(page, counselor_off_team, patient):
    response = page(counselor_off_team).post("/emergency-access/", {"mrn": "W-404", "reason": "x"})
    assert response.status_code == 200
    assert b'id="id_reason_error"' in response.content and b'id="id_mrn_error"' in response.content
    assert not EmergencyAccess.objects.exists()


def test_a_nurse_of_another_program_cannot_break_into_this_program(page, north_nurse, patient):
    response = page(north_nurse).post("/emergency-access/", {"mrn": patient.mrn, "reason": REASON})
    assert response.status_code == 200 and b'id="id_mrn_error"' in response.content
    assert not visible_patients(north_nurse).filter(pk=patient.pk).exists()


def test_the_privacy_officer_cannot_break_the_glass(page, privacy_officer, patient):
    assert page(privacy_officer).post("/emergency-access/", {"mrn": patient.mrn, "reason": REASON}).status_code == 403


def test_the_access_ends_when_it_expires(page, counselor_off_team, patient):
    page(counselor_off_team).post("/emergency-access/", {"mrn": patient.mrn, "reason": REASON})
    access = EmergencyAccess.objects.get()
    assert access.expires_at - access.started_at == timedelta(hours=4)  # privacy.break_glass_hours default
    EmergencyAccess.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert page(counselor_off_team).get(patient.get_absolute_url()).status_code == 404


def test_a_nurse_already_on_the_team_needs_no_glass_broken(page, nurse, patient):
    response = page(nurse).post("/emergency-access/", {"mrn": patient.mrn, "reason": REASON})
    assert response.status_code == 302
    assert not EmergencyAccess.objects.exists()


def test_the_privacy_officer_sees_every_emergency_access_on_the_report(
    page, counselor_off_team, privacy_officer, patient
):
    page(counselor_off_team).post("/emergency-access/", {"mrn": patient.mrn, "reason": REASON})
    html = page(privacy_officer).get("/privacy/break-the-glass/").content.decode()
    assert REASON in html and patient.mrn in html and "counselor" in html
    csv = page(privacy_officer).get("/privacy/break-the-glass/", {"format": "csv"}).content.decode()
    assert csv.splitlines()[0] == "started_at,expires_at,user,patient_mrn,reason"
    assert REASON in csv


def test_the_report_is_for_the_privacy_officer_only(page, nurse):
    assert page(nurse).get("/privacy/break-the-glass/").status_code == 403


def test_breaking_the_glass_gives_the_session_a_new_id(page, counselor_off_team, patient):
    client = page(counselor_off_team)
    before = client.session.session_key
    assert client.post("/emergency-access/", {"mrn": patient.mrn, "reason": REASON}).status_code == 302
    assert client.cookies["sessionid"].value != before
    assert client.get(patient.get_absolute_url()).status_code == 200
