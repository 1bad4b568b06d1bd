"""Recording scored assessments through the API: 201 with the score, or 400 naming every bad key."""

from datetime import timedelta

import pytest
from django.utils import timezone

from waypoint.patients.models import TimelineEntry
from waypoint.privacy.models import AuditEvent
from waypoint.withdrawal.models import Assessment

from .conftest import COWS_MILD, COWS_SEVERE, SOWS_ALL_1, cows


def url(patient):
    return f"/api/v1/patients/{patient.pk}/assessments/"


def body(**overrides):
    data = {
        "instrument": "cows",
        "taken_at": (timezone.now() - timedelta(minutes=5)).isoformat(),
        "responses": COWS_MILD,
        "vitals": {"pulse_bpm": 96},
        "note": "first score on the unit",
    }
    return data | overrides


def test_a_cows_is_scored_and_stored_with_its_severity(api, nurse, admitted, patient):
    response = api(nurse).post(url(patient), body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["instrument"], data["total"], data["severity"], data["recorded_by"]) == ("cows", 9, "mild", "nurse")
    assert data["vitals"] == {"pulse_bpm": 96}
    assessment = Assessment.objects.get(pk=data["id"])
    assert assessment.episode == admitted and assessment.reporter == "clinician"
    assert AuditEvent.objects.filter(action="assessment.create", object_id=str(assessment.pk)).exists()
    assert TimelineEntry.objects.filter(patient=patient, summary="COWS 9 (mild)").exists()


def test_the_pulse_item_is_derived_from_the_measured_pulse(api, nurse, patient):
    responses = {k: v for k, v in COWS_MILD.items() if k != "resting_pulse"}
    response = api(nurse).post(url(patient), body(responses=responses, vitals={"pulse_bpm": 124}), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["responses"]["resting_pulse"] == 4
    assert response.json()["derived"] == ["resting_pulse"]


def test_a_pulse_score_that_disagrees_with_the_measured_pulse_is_refused(api, nurse, patient):
    response = api(nurse).post(
        url(patient), body(responses=cows(resting_pulse=2), vitals={"pulse_bpm": 70}), format="json"
    )
    assert response.status_code == 400
    assert "responses.resting_pulse" in response.json()


@pytest.mark.parametrize(
    ("responses", "key"),
    [
        (cows(resting_pulse=3), "responses.resting_pulse"),
        (cows(gooseflesh=4), "responses.gooseflesh"),
        (cows(sweating="2"), "responses.sweating"),
        (cows(sweating=2.0), "responses.sweating"),
        (cows(tremor=True), "responses.tremor"),
        (cows(yawning=None), "responses.yawning"),
        (cows(colour=1), "responses.colour"),
        ({k: v for k, v in COWS_MILD.items() if k != "gi_upset"}, "responses.gi_upset"),
    ],
)
def test_it_rejects_a_bad_item_naming_it_and_saves_nothing(api, nurse, patient, responses, key):
    response = api(nurse).post(url(patient), body(responses=responses, vitals={}), format="json")
    assert response.status_code == 400
    assert key in response.json()
    assert not Assessment.objects.exists()


def test_every_offending_key_is_named_at_once(api, nurse, patient):
    responses = cows(resting_pulse=3, gooseflesh=4)
    response = api(nurse).post(url(patient), body(responses=responses, vitals={"spo2_percent": 140}), format="json")
    assert set(response.json()) == {"responses.resting_pulse", "responses.gooseflesh", "vitals.spo2_percent"}


def test_an_unknown_instrument_is_refused(api, nurse, patient):
    response = api(nurse).post(url(patient), body(instrument="ciwa"), format="json")
    assert response.status_code == 400
    assert "instrument" in response.json()


@pytest.mark.parametrize(
    ("vitals", "key"),
    [
        ({"pulse_bpm": 400}, "vitals.pulse_bpm"),
        ({"pulse_bpm": 0}, "vitals.pulse_bpm"),
        ({"temperature_c": 98.6}, "vitals.temperature_c"),
        ({"spo2_percent": 101}, "vitals.spo2_percent"),
        ({"respiratory_rate": 90}, "vitals.respiratory_rate"),
        ({"systolic_mmhg": 80, "diastolic_mmhg": 95}, "vitals.diastolic_mmhg"),
        ({"heart": 80}, "vitals.heart"),
        ({"pulse_bpm": "fast"}, "vitals.pulse_bpm"),
    ],
)
def test_impossible_vitals_are_refused_by_name(api, nurse, patient, vitals, key):
    response = api(nurse).post(url(patient), body(vitals=vitals), format="json")
    assert response.status_code == 400
    assert key in response.json()


def test_a_time_in_the_future_is_refused(api, nurse, patient):
    response = api(nurse).post(
        url(patient), body(taken_at=(timezone.now() + timedelta(hours=1)).isoformat()), format="json"
    )
    assert response.status_code == 400
    assert "taken_at" in response.json()


def test_an_entry_more_than_seven_days_back_needs_a_late_entry_reason(api, nurse, patient):
    old = (timezone.now() - timedelta(days=8)).isoformat()
    refused = api(nurse).post(url(patient), body(taken_at=old), format="json")
    assert refused.status_code == 400
    assert "program setting “late entry after (days)”: 7" in refused.json()["late_entry_reason"][0]
    accepted = api(nurse).post(url(patient), body(taken_at=old, late_entry_reason="paper form found"), format="json")
    assert accepted.status_code == 201


def test_sows_has_a_total_and_no_severity(api, nurse, patient):
    response = api(nurse).post(
        url(patient), body(instrument="sows-handelsman", responses=SOWS_ALL_1, vitals={}), format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["total"], response.json()["severity"], response.json()["reporter"]) == (16, None, "patient")


def test_the_list_is_newest_first_and_filters_by_instrument_and_time(api, nurse, patient, record):
    old = record(patient, hours_ago=10)
    new = record(patient, COWS_SEVERE, hours_ago=2)
    record(patient, SOWS_ALL_1, hours_ago=1, instrument="sows-handelsman")
    client = api(nurse)
    assert [r["id"] for r in client.get(url(patient), {"instrument": "cows"}).json()["results"]] == [new.pk, old.pk]
    since = (timezone.now() - timedelta(hours=5)).isoformat()
    rows = client.get(url(patient), {"instrument": "cows", "since": since}).json()["results"]
    assert [r["id"] for r in rows] == [new.pk]
    assert len(client.get(url(patient)).json()["results"]) == 3


@pytest.mark.parametrize(
    "params", [{"instrument": "x"}, {"since": "yesterday"}, {"sort": "total"}, {"status": "deleted"}]
)
def test_unknown_filters_are_refused(api, nurse, patient, params):
    assert api(nurse).get(url(patient), params).status_code == 400


def test_the_instrument_definitions_are_served(api, nurse):
    data = api(nurse).get("/api/v1/instruments/cows/").json()
    pulse = data["items"][0]
    assert pulse["key"] == "resting_pulse" and [c["score"] for c in pulse["choices"]] == [0, 1, 2, 4]
    assert [b["code"] for b in data["bands"]] == ["none", "mild", "moderate", "moderately_severe", "severe"]
    assert api(nurse).get("/api/v1/instruments/nope/").status_code == 404
