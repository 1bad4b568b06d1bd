"""Admission, change of level of care, and discharge: the rules of an episode of care."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import continuing_care_plan
from waypoint.patients.models import Episode, LevelOfCareStay, TimelineEntry
from waypoint.privacy.models import AuditEvent


def episodes_url(patient):
    return f"/api/v1/patients/{patient.pk}/episodes/"


def iso(delta=timedelta()):
    return (timezone.now() + delta).isoformat()


def test_admitting_opens_an_episode_at_the_level_of_care(api, nurse, patient):
    response = api(nurse).post(
        episodes_url(patient), {"admitted_at": iso(-timedelta(hours=2)), "level_of_care": "3.7-WM"}, format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["discharged_at"] is None
    assert [s["level_of_care"] for s in data["stays"]] == ["3.7-WM"]
    assert data["stays"][0]["level_name"] == "Medically Monitored Inpatient Withdrawal Management"
    assert AuditEvent.objects.filter(action="episode.admit", patient_id=patient.pk).exists()


def test_a_second_open_episode_is_refused(api, nurse, patient, admitted):
    response = api(nurse).post(episodes_url(patient), {"admitted_at": iso(), "level_of_care": "3.5"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"admitted_at": ["This patient already has an open episode of care."]}
    assert Episode.objects.count() == 1


def test_an_admission_in_the_future_is_refused(api, nurse, patient):
    response = api(nurse).post(
        episodes_url(patient), {"admitted_at": iso(timedelta(hours=2)), "level_of_care": "3.5"}, format="json"
    )
    assert response.status_code == 400
    assert "admitted_at" in response.json()


@pytest.mark.parametrize("code", ["9.9", "3.3", "", "0.5"])
def test_a_level_the_program_does_not_offer_is_refused(api, nurse, patient, code):
    response = api(nurse).post(episodes_url(patient), {"admitted_at": iso(), "level_of_care": code}, format="json")
    assert response.status_code == 400
    assert "level_of_care" in response.json()
    assert not Episode.objects.exists()


def test_a_malformed_admission_time_is_named(api, nurse, patient):
    response = api(nurse).post(
        episodes_url(patient), {"admitted_at": "yesterday", "level_of_care": "3.5"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["admitted_at"]


def test_a_step_down_closes_the_stay_and_opens_the_next(api, nurse, patient, admitted):
    url = f"{episodes_url(patient)}{admitted.pk}/transfer/"
    response = api(nurse).post(
        url, {"at": iso(-timedelta(hours=1)), "level_of_care": "3.5", "reason": "Withdrawal complete"}, format="json"
    )
    assert response.status_code == 201, response.json()
    stays = list(LevelOfCareStay.objects.filter(episode=admitted).order_by("started_at"))
    assert [s.level_code for s in stays] == ["3.7-WM", "3.5"]
    assert stays[0].ended_at == stays[1].started_at
    assert TimelineEntry.objects.filter(patient=patient, kind="transferred").count() == 1


def test_a_transfer_needs_a_reason(api, nurse, patient, admitted):
    url = f"{episodes_url(patient)}{admitted.pk}/transfer/"
    response = api(nurse).post(url, {"at": iso(), "level_of_care": "3.5", "reason": ""}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()


def test_a_transfer_to_the_same_level_is_refused(api, nurse, patient, admitted):
    url = f"{episodes_url(patient)}{admitted.pk}/transfer/"
    response = api(nurse).post(url, {"at": iso(), "level_of_care": "3.7-WM", "reason": "x"}, format="json")
    assert response.status_code == 400
    assert "level_of_care" in response.json()


def test_a_transfer_before_the_current_stay_began_is_refused(api, nurse, patient, admitted):
    url = f"{episodes_url(patient)}{admitted.pk}/transfer/"
    response = api(nurse).post(
        url, {"at": iso(-timedelta(days=10)), "level_of_care": "3.5", "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "at" in response.json()
    assert LevelOfCareStay.objects.get(episode=admitted).ended_at is None


def test_discharge_closes_the_episode_and_its_stay(api, nurse, patient, admitted):
    url = f"{episodes_url(patient)}{admitted.pk}/discharge/"
    response = api(nurse).post(
        url,
        {"discharged_at": iso(), "reason": "completed", "continuing_care_plan": continuing_care_plan()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    admitted.refresh_from_db()
    assert admitted.discharged_at is not None and admitted.discharge_reason == "completed"
    assert not LevelOfCareStay.objects.filter(episode=admitted, ended_at__isnull=True).exists()


def test_a_discharge_before_admission_is_refused_and_nothing_changes(api, nurse, patient, admitted):
    url = f"{episodes_url(patient)}{admitted.pk}/discharge/"
    response = api(nurse).post(url, {"discharged_at": iso(-timedelta(days=5)), "reason": "completed"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"discharged_at": ["The discharge cannot be before the admission."]}
    admitted.refresh_from_db()
    assert admitted.is_open


@pytest.mark.parametrize("reason", ["finished", "", None])
def test_a_discharge_reason_outside_the_list_is_refused(api, nurse, patient, admitted, reason):
    url = f"{episodes_url(patient)}{admitted.pk}/discharge/"
    response = api(nurse).post(url, {"discharged_at": iso(), "reason": reason}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()


def test_discharging_twice_is_refused(api, nurse, patient, admitted):
    url = f"{episodes_url(patient)}{admitted.pk}/discharge/"
    assert (
        api(nurse)
        .post(
            url,
            {"discharged_at": iso(), "reason": "completed", "continuing_care_plan": continuing_care_plan()},
            format="json",
        )
        .status_code
        == 200
    )
    again = api(nurse).post(
        url,
        {"discharged_at": iso(), "reason": "completed", "continuing_care_plan": continuing_care_plan()},
        format="json",
    )
    assert again.status_code == 400
    assert "episode" in again.json()


def test_readmission_after_discharge_opens_a_new_episode(api, nurse, patient, admitted):
    api(nurse).post(
        f"{episodes_url(patient)}{admitted.pk}/discharge/",
        {
            "discharged_at": iso(-timedelta(hours=5)),
            "reason": "left_against_advice",
            "continuing_care_plan": {"offered": "Outpatient care here; declined"},
        },
        format="json",
    )
    response = api(nurse).post(episodes_url(patient), {"admitted_at": iso(), "level_of_care": "3.7-WM"}, format="json")
    assert response.status_code == 201
    assert patient.episodes.count() == 2


def test_readmission_overlapping_the_last_episode_is_refused(api, nurse, patient, admitted):
    api(nurse).post(
        f"{episodes_url(patient)}{admitted.pk}/discharge/",
        {
            "discharged_at": iso(-timedelta(hours=5)),
            "reason": "completed",
            "continuing_care_plan": continuing_care_plan(),
        },
        format="json",
    )
    response = api(nurse).post(
        episodes_url(patient), {"admitted_at": iso(-timedelta(days=1)), "level_of_care": "3.5"}, format="json"
    )
    assert response.status_code == 400
    assert "admitted_at" in response.json()


def test_a_failed_change_writes_no_audit_event(api, nurse, patient, admitted):
    before = AuditEvent.objects.count()
    api(nurse).post(
        f"{episodes_url(patient)}{admitted.pk}/discharge/",
        {"discharged_at": iso(-timedelta(days=9)), "reason": "completed"},
        format="json",
    )
    assert AuditEvent.objects.count() == before


def test_the_discharge_page_shows_the_error_next_to_the_field(page, nurse, patient, admitted):
    url = reverse("patients:discharge", args=[patient.pk, admitted.pk])
    day_before = timezone.localtime(admitted.admitted_at - timedelta(days=1), patient.program.tz)
    too_early = day_before.strftime("%Y-%m-%dT%H:%M")
    response = page(nurse).post(url, {"discharged_at": too_early, "reason": "completed"})
    assert response.status_code == 200
    assert b'id="id_discharged_at_error"' in response.content


def test_other_discharge_reason_needs_a_note(page, nurse, patient, admitted):
    url = reverse("patients:discharge", args=[patient.pk, admitted.pk])
    now = timezone.localtime(timezone=patient.program.tz).strftime("%Y-%m-%dT%H:%M")
    response = page(nurse).post(url, {"discharged_at": now, "reason": "other", "note": ""})
    assert b'id="id_note_error"' in response.content
    admitted.refresh_from_db()
    assert admitted.is_open


def test_wrong_method_is_405(api, nurse, patient, admitted):
    assert api(nurse).get(f"{episodes_url(patient)}{admitted.pk}/discharge/").status_code == 405
    assert api(nurse).put(episodes_url(patient), {}, format="json").status_code == 405
