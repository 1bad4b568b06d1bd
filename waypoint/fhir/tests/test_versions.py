"""Versions a receiver can rely on: meta.versionId moves whenever the content changes (an entry in error, an
amendment), ETag and Last-Modified on read, conditional reads answered 304, vread of every version served, and
instants with the fraction they were stored with."""

import json
from datetime import datetime

from django.utils.http import http_date

from waypoint.fhir.models import ResourceVersion
from waypoint.privacy.models import AuditEvent
from waypoint.withdrawal import services as withdrawal
from waypoint.withdrawal.models import Assessment

from .validation import assert_valid


def resource_of(response):
    assert response.status_code == 200, response.content
    data = json.loads(response.content)
    assert_valid(data)
    return data


def cows_id(record):
    amended = record["amended"]
    return f"cows-{amended.replaces_id}"


def test_a_read_carries_its_version_as_etag_and_its_last_update_as_last_modified(api, nurse, record):
    client = api(nurse)
    first = client.get(f"/fhir/Observation/{cows_id(record)}")
    resource = resource_of(first)
    assert resource["meta"]["versionId"] == "2"  # the assessment's own version: it was amended once
    assert first["ETag"] == 'W/"2"'
    updated = datetime.fromisoformat(resource["meta"]["lastUpdated"])
    assert first["Last-Modified"] == http_date(updated.timestamp())
    again = client.get(f"/fhir/Observation/{cows_id(record)}")
    assert resource_of(again)["meta"]["versionId"] == "2"  # the same content keeps its number


def test_marking_an_assessment_in_error_gives_it_a_new_version_and_vread_keeps_the_old(api, nurse, record):
    client = api(nurse)
    url = f"/fhir/Observation/{cows_id(record)}"
    before = resource_of(client.get(url))
    assert before["status"] == "amended"
    withdrawal.mark_entered_in_error(acting_user=nurse, assessment=record["amended"], reason="wrong patient")
    after = resource_of(client.get(url))
    assert after["status"] == "entered-in-error"
    assert after["meta"]["versionId"] == "3"
    assert after["meta"]["lastUpdated"] != before["meta"]["lastUpdated"]
    old = resource_of(client.get(f"{url}/_history/2"))
    assert old == before
    assert resource_of(client.get(f"{url}/_history/3")) == after
    missing = client.get(f"{url}/_history/1")  # version 1 was replaced before anything was served
    assert missing.status_code == 404 and json.loads(missing.content)["resourceType"] == "OperationOutcome"
    # a search serves the same version numbers
    found = json.loads(client.get(f"/fhir/Observation?_id={cows_id(record)}").content)
    assert [e["resource"]["meta"]["versionId"] for e in found["entry"]] == ["3"]


def test_if_none_match_and_if_modified_since_answer_304_without_a_release(api, nurse, record):
    client = api(nurse)
    url = f"/fhir/Observation/{cows_id(record)}"
    first = client.get(url)
    reads = AuditEvent.objects.filter(action="fhir.read").count()
    same = client.get(url, HTTP_IF_NONE_MATCH='W/"2"')
    assert same.status_code == 304 and same.content == b""
    assert same["ETag"] == 'W/"2"'
    assert client.get(url, HTTP_IF_NONE_MATCH='"2"').status_code == 304  # compared weakly
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    assert AuditEvent.objects.filter(action="fhir.read").count() == reads  # nothing was sent
    assert client.get(url, HTTP_IF_NONE_MATCH='W/"7"').status_code == 200
    assert client.get(url, HTTP_IF_MODIFIED_SINCE="Mon, 05 Jan 2026 00:00:00 GMT").status_code == 200
    withdrawal.mark_entered_in_error(acting_user=nurse, assessment=record["amended"], reason="wrong patient")
    changed = client.get(url, HTTP_IF_NONE_MATCH='W/"2"')
    assert changed.status_code == 200 and changed["ETag"] == 'W/"3"'


def test_vread_is_refused_for_a_resource_the_client_may_not_receive(api, north_nurse, nurse, record):
    resource_of(api(nurse).get(f"/fhir/Observation/{cows_id(record)}"))
    assert ResourceVersion.objects.filter(resource_id=cows_id(record)).exists()
    response = api(north_nurse).get(f"/fhir/Observation/{cows_id(record)}/_history/2")
    assert response.status_code == 404


def test_instants_keep_their_fraction_and_compare_with_last_updated_exactly(api, nurse, record):
    client = api(nurse)
    assessment = Assessment.objects.get(pk=record["amended"].pk)
    stored = assessment.recorded_at.replace(microsecond=123456)
    Assessment.objects.filter(pk=assessment.pk).update(recorded_at=stored, status_changed_at=None)
    resource = resource_of(client.get(f"/fhir/Observation/{cows_id(record)}"))
    assert resource["meta"]["lastUpdated"].endswith(".123456Z")
    assert datetime.fromisoformat(resource["meta"]["lastUpdated"]) == stored
    instant = resource["meta"]["lastUpdated"]
    found = json.loads(client.get(f"/fhir/Observation?_id={cows_id(record)}&_lastUpdated={instant}").content)
    assert len(found["entry"]) == 1
    later = instant.replace(".123456Z", ".123457Z")
    found = json.loads(client.get(f"/fhir/Observation?_id={cows_id(record)}&_lastUpdated=ge{later}").content)
    assert "entry" not in found
