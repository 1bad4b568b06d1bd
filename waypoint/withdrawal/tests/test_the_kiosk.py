"""The patient kiosk: opened by staff for one patient, it reaches only the self-report pages."""

from django.test import Client

from conftest import verified_login
from waypoint.privacy.models import AuditEvent
from waypoint.withdrawal.models import Assessment, KioskSession

from .conftest import SOWS_ALL_1


def open_kiosk(nurse, patient) -> Client:
    device = verified_login(Client(), nurse)
    response = device.post(f"/patients/{patient.pk}/kiosk/")
    assert response.status_code == 302 and response["Location"] == "/kiosk/"
    return device


def test_opening_the_kiosk_signs_the_nurse_out_on_that_device(nurse, patient):
    device = open_kiosk(nurse, patient)
    assert device.get("/patients/").status_code == 302  # to sign-in: no staff session on the device
    assert device.get(patient.get_absolute_url()).status_code == 302
    assert device.get("/api/v1/patients/").status_code in (401, 403)
    assert device.get("/kiosk/").status_code == 200


def test_a_self_report_lands_as_patient_reported(nurse, patient):
    device = open_kiosk(nurse, patient)
    response = device.post("/kiosk/report/sows-handelsman/", SOWS_ALL_1)
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert (assessment.patient, assessment.source, assessment.reporter, assessment.total) == (
        patient,
        "kiosk",
        "patient",
        16,
    )
    assert AuditEvent.objects.filter(action="assessment.create", detail__source="kiosk").exists()


def test_a_missing_answer_is_asked_again_and_nothing_is_saved(nurse, patient):
    device = open_kiosk(nurse, patient)
    answers = dict(SOWS_ALL_1)
    del answers["urge_to_use"]
    response = device.post("/kiosk/report/sows-handelsman/", answers)
    assert response.status_code == 200 and b'id="id_urge_to_use_error"' in response.content
    assert not Assessment.objects.exists()


def test_the_kiosk_offers_no_clinician_scale(nurse, patient):
    device = open_kiosk(nurse, patient)
    assert device.get("/kiosk/report/cows/").status_code == 404


def test_finishing_ends_the_kiosk_session(nurse, patient):
    device = open_kiosk(nurse, patient)
    device.post("/kiosk/finish/")
    assert KioskSession.objects.get().closed_at is not None
    assert device.get("/kiosk/").status_code == 403


def test_a_kiosk_without_a_session_is_refused(db):
    assert Client().get("/kiosk/").status_code == 403


def test_only_staff_who_can_see_the_patient_can_open_a_kiosk(counselor_off_team, patient):
    device = verified_login(Client(), counselor_off_team)
    assert device.post(f"/patients/{patient.pk}/kiosk/").status_code == 404
    assert not KioskSession.objects.exists()
