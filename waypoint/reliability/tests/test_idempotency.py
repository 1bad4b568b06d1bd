"""Idempotent writes: an API POST retried with its Idempotency-Key, and a page form sent twice, store once."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import COWS
from waypoint.privacy.models import AuditEvent
from waypoint.reliability.models import Submission
from waypoint.withdrawal.models import Assessment
from waypoint.withdrawal.tests.test_recording_on_the_page import form_data

pytestmark = pytest.mark.django_db


def cows_body(minutes_ago=30, **extra):
    return {
        "instrument": "cows",
        "responses": COWS,
        "taken_at": (timezone.now() - timedelta(minutes=minutes_ago)).isoformat(),
        **extra,
    }


def post(client, patient, body, key):
    return client.post(
        f"/api/v1/patients/{patient.pk}/assessments/",
        body,
        format="json",
        headers={"Idempotency-Key": key} if key else {},
    )


def test_a_retry_with_the_same_key_and_body_returns_the_first_answer_and_stores_nothing_new(api, nurse, admitted):
    client, patient, body = api(nurse), admitted.patient, cows_body()
    first = post(client, patient, body, "3f1c9a40-retry")
    audit_lines = AuditEvent.objects.count()
    again = post(client, patient, body, "3f1c9a40-retry")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Assessment.objects.filter(patient=patient).count() == 1
    assert AuditEvent.objects.count() == audit_lines  # the replay wrote nothing, not even an audit line


def test_the_same_key_with_another_body_is_refused_with_422_naming_the_header(api, nurse, admitted):
    client, patient = api(nurse), admitted.patient
    assert post(client, patient, cows_body(), "k-1").status_code == 201
    reused = post(client, patient, cows_body(minutes_ago=5), "k-1")
    assert reused.status_code == 422 and "Idempotency-Key" in reused.json()
    assert Assessment.objects.filter(patient=patient).count() == 1


def test_keys_are_per_user_and_a_new_key_is_a_new_entry(api, nurse, intake, admitted):
    patient = admitted.patient
    assert post(api(nurse), patient, cows_body(), "shared").status_code == 201
    assert post(api(intake), patient, cows_body(), "shared").status_code == 201  # another user's key space
    assert post(api(nurse), patient, cows_body(minutes_ago=2), "fresh").status_code == 201
    assert Assessment.objects.filter(patient=patient).count() == 3


def test_a_refused_first_attempt_frees_its_key_for_the_corrected_retry(api, nurse, admitted):
    client, patient = api(nurse), admitted.patient
    bad = post(client, patient, cows_body(responses={"sweating": 9}), "fix-me")
    assert bad.status_code == 400 and Submission.objects.count() == 0  # rolled back, key included
    assert post(client, patient, cows_body(), "fix-me").status_code == 201


def test_a_malformed_key_is_refused_naming_the_header(api, nurse, admitted):
    response = post(api(nurse), admitted.patient, cows_body(), "x" * 256)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    assert Assessment.objects.count() == 0


def test_an_expired_key_is_forgotten(api, nurse, admitted, settings):
    client, patient = api(nurse), admitted.patient
    assert post(client, patient, cows_body(), "old").status_code == 201
    Submission.objects.update(created_at=timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS, minutes=1))
    assert post(client, patient, cows_body(), "old").status_code == 201
    assert Assessment.objects.filter(patient=patient).count() == 2


def test_every_post_of_the_schema_documents_the_header_and_its_422(api, nurse):
    schema = api(nurse).get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    posts = [op for item in schema["paths"].values() for method, op in item.items() if method == "post"]
    assert posts and all(any(p["name"] == "Idempotency-Key" for p in op["parameters"]) for op in posts)
    assert all("422" in op["responses"] for op in posts)


def test_a_page_form_sent_twice_saves_once_and_the_second_goes_where_the_first_went(page, nurse, admitted):
    client, patient = page(nurse), admitted.patient
    form = client.get(f"/patients/{patient.pk}/assessments/new/cows/").content.decode()
    token = re.search(r'name="form_token" value="([0-9a-f]{32})"', form).group(1)
    fields = form_data(patient, form_token=token)
    first = client.post(f"/patients/{patient.pk}/assessments/new/cows/", fields)
    second = client.post(f"/patients/{patient.pk}/assessments/new/cows/", fields)
    assert first.status_code == second.status_code == 302 and second["Location"] == first["Location"]
    assert Assessment.objects.filter(patient=patient).count() == 1
    shown = client.get(second["Location"]).content.decode()
    assert "saved once" in shown
