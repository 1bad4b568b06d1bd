"""When the database cannot be reached, pages, API and FHIR answer 503 with a clear message (no stack trace, no
partial write), /healthz says so, and service resumes by itself once the database is back. The fault is real:
the connection is pointed at a database that is not there (SQLite: a file in a missing folder; PostgreSQL: a
port nobody listens on), then pointed back."""

import socket
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from tests.conftest import COWS
from waypoint.withdrawal.models import Assessment

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def unreachable_database():
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-waypoint-folder/waypoint.sqlite3"
    else:
        connection.settings_dict["PORT"] = str(free_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def test_every_answer_is_503_while_the_database_is_down_and_service_resumes_after(api, page, nurse, admitted):
    patient = admitted.patient
    api_client, page_client, anonymous = api(nurse), page(nurse), Client()
    for client in (api_client, page_client, anonymous):
        client.raise_request_exception = False
    before = Assessment.objects.count()
    body = {"instrument": "cows", "responses": COWS, "taken_at": (timezone.now() - timedelta(minutes=5)).isoformat()}
    with unreachable_database():
        chart = page_client.get(f"/patients/{patient.pk}/")
        listed = api_client.get("/api/v1/patients/")
        posted = api_client.post(
            f"/api/v1/patients/{patient.pk}/assessments/",
            body,
            format="json",
            headers={"Idempotency-Key": "during-the-outage"},
        )
        fhir = api_client.get("/fhir/Patient")
        health = anonymous.get("/healthz")
    for response in (chart, listed, posted, fhir, health):
        assert response.status_code == 503, response
        assert b"Traceback" not in response.content and b"OperationalError" not in response.content
    assert b"Temporarily unavailable" in chart.content and chart["Retry-After"] == "30"
    assert "database cannot be reached" in listed.json()["detail"]
    assert "database cannot be reached" in posted.json()["detail"]
    assert fhir.json()["resourceType"] == "OperationOutcome" and fhir.json()["issue"][0]["code"] == "transient"
    assert health.json() == {"status": "unavailable", "database": "unreachable"}

    # The database is back: the same clients go on, without a restart; the refused write is not there.
    assert anonymous.get("/healthz").status_code == 200
    assert api_client.get("/api/v1/patients/").status_code == 200
    assert page_client.get(f"/patients/{patient.pk}/").status_code == 200
    assert Assessment.objects.count() == before
    retried = api_client.post(
        f"/api/v1/patients/{patient.pk}/assessments/",
        body,
        format="json",
        headers={"Idempotency-Key": "during-the-outage"},
    )
    assert retried.status_code == 201 and Assessment.objects.count() == before + 1


def test_any_other_error_is_still_a_500():
    from django.test import RequestFactory

    from waypoint.site.unavailable import handler500

    request = RequestFactory().get("/patients/")
    try:
        raise ValueError("not a database fault")
    except ValueError:
        assert handler500(request).status_code == 500
