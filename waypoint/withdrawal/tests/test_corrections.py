"""Corrections: never edited in place; amended (new version) or marked entered-in-error, both kept."""

import pytest

from waypoint.withdrawal.models import Assessment

from .conftest import COWS_MILD, COWS_SEVERE


def url(assessment, action):
    return f"/api/v1/patients/{assessment.patient_id}/assessments/{assessment.pk}/{action}/"


def test_an_amendment_is_a_new_version_and_the_old_one_stays(api, nurse, patient, record):
    first = record(patient)
    response = api(nurse).post(
        url(first, "amend"),
        {"responses": COWS_SEVERE, "reason": "scored the wrong patient's pupils", "version": 1},
        format="json",
    )
    assert response.status_code == 201, response.json()
    new = Assessment.objects.get(pk=response.json()["id"])
    first.refresh_from_db()
    assert (first.record_status, first.total, first.responses) == ("amended", 9, COWS_MILD)
    assert (new.record_status, new.version, new.replaces, new.total, new.taken_at) == (
        "final",
        2,
        first,
        38,
        first.taken_at,
    )
    listed = api(nurse).get(f"/api/v1/patients/{patient.pk}/assessments/", {"status": "all"}).json()["results"]
    assert {r["id"] for r in listed} == {first.pk, new.pk}


def test_an_amendment_from_a_stale_version_gets_409(api, nurse, patient, record):
    first = record(patient)
    client = api(nurse)
    assert (
        client.post(
            url(first, "amend"), {"responses": COWS_SEVERE, "reason": "a", "version": 1}, format="json"
        ).status_code
        == 201
    )
    again = client.post(url(first, "amend"), {"responses": COWS_MILD, "reason": "b", "version": 1}, format="json")
    assert again.status_code == 409
    assert "version" in again.json()
    assert Assessment.objects.count() == 2


def test_an_amendment_needs_a_reason(api, nurse, patient, record):
    first = record(patient)
    response = api(nurse).post(
        url(first, "amend"), {"responses": COWS_SEVERE, "reason": "", "version": 1}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()


def test_an_amendment_with_a_bad_score_changes_nothing(api, nurse, patient, record):
    first = record(patient)
    bad = COWS_MILD | {"resting_pulse": 3}
    response = api(nurse).post(url(first, "amend"), {"responses": bad, "reason": "x", "version": 1}, format="json")
    assert response.status_code == 400 and "responses.resting_pulse" in response.json()
    first.refresh_from_db()
    assert first.record_status == "final" and Assessment.objects.count() == 1


def test_entered_in_error_keeps_the_row_and_drops_it_from_the_current_list(api, nurse, patient, record):
    first = record(patient)
    response = api(nurse).post(url(first, "entered-in-error"), {"reason": "wrong patient", "version": 1}, format="json")
    assert response.status_code == 200
    first.refresh_from_db()
    assert (first.record_status, first.change_reason, first.total) == ("entered_in_error", "wrong patient", 9)
    assert api(nurse).get(f"/api/v1/patients/{patient.pk}/assessments/").json()["results"] == []


@pytest.mark.parametrize("action", ["amend", "entered-in-error"])
def test_an_entered_in_error_record_cannot_be_changed_again(api, nurse, patient, record, action):
    first = record(patient)
    api(nurse).post(url(first, "entered-in-error"), {"reason": "wrong patient", "version": 1}, format="json")
    response = api(nurse).post(
        url(first, action),
        {"responses": COWS_MILD, "reason": "x", "version": 1} if action == "amend" else {"reason": "x", "version": 1},
        format="json",
    )
    assert response.status_code == 409


def test_the_flowsheet_shows_both_versions(page, nurse, patient, record):
    first = record(patient)
    from waypoint.withdrawal import services

    services.amend_assessment(acting_user=nurse, assessment=first, responses=COWS_SEVERE, reason="rescored", version=1)
    html = page(nurse).get(f"/patients/{patient.pk}/withdrawal/").content.decode()
    assert "Replaced by an amendment" in html and "Amends v1: rescored" in html
