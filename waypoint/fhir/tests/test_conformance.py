"""Conformance as an outside client sees it: it reads the CapabilityStatement, searches every declared type
following the next links, reads each resource found, vreads its version, makes conditional reads, and runs a
full Bulk Data export (kick-off, poll, download, delete). Every body is validated against the FHIR R4
(4.0.1) StructureDefinitions by fhirclient's generated models in strict mode (validation.py), not by anything
of Waypoint's own; the bulk export must serve each resource in the version a read serves."""

import json

import pytest

from waypoint.bulk.tests.conftest import run_queued
from waypoint.fhir.tests.conftest import register_external

from .validation import assert_valid

pytestmark = pytest.mark.django_db
ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


@pytest.fixture(autouse=True)
def export_dir(tmp_path, settings):
    settings.BULK_EXPORT_DIR = tmp_path / "exports"


def local(url: str) -> str:
    return url.removeprefix("http://testserver")


def valid(response, status=200):
    assert response.status_code == status, (status, response.status_code, response.content[:500])
    data = json.loads(response.content)
    assert_valid(data)
    return data


def walk_searches(client, statement):
    found = {}
    for resource in statement["rest"][0]["resource"]:
        url = f"/fhir/{resource['type']}?_count=2" if resource["type"] != "Group" else "/fhir/Group"
        pages = 0
        while url:
            bundle = valid(client.get(url))
            assert bundle["type"] == "searchset"
            pages += 1
            for entry in bundle.get("entry", []):
                if entry["search"]["mode"] == "match":
                    item = entry["resource"]
                    assert item["resourceType"] == resource["type"]
                    assert local(entry["fullUrl"]) == f"/fhir/{item['resourceType']}/{item['id']}"
                    found[(item["resourceType"], item["id"])] = item
            url = next((local(link["url"]) for link in bundle["link"] if link["relation"] == "next"), None)
            assert pages < 200
    return found


def test_an_outside_client_walks_read_search_vread_conditional_read_and_a_bulk_export(api, nurse, record):
    client = api(nurse)
    statement = valid(client.get("/fhir/metadata"))
    versioned = {
        r["type"] for r in statement["rest"][0]["resource"] if "vread" in {i["code"] for i in r["interaction"]}
    }
    found = walk_searches(client, statement)
    types = {resource_type for resource_type, _ in found}
    assert {"Patient", "Observation", "CarePlan", "MedicationRequest", "Provenance", "Group"} <= types
    for (resource_type, resource_id), searched in found.items():
        response = client.get(f"/fhir/{resource_type}/{resource_id}")
        read = valid(response)
        assert read == searched
        if resource_type not in versioned:
            continue
        version = read["meta"]["versionId"]
        assert response["ETag"] == f'W/"{version}"'
        assert valid(client.get(f"/fhir/{resource_type}/{resource_id}/_history/{version}")) == read
        assert (
            client.get(f"/fhir/{resource_type}/{resource_id}", HTTP_IF_NONE_MATCH=f'W/"{version}"').status_code == 304
        )
        modified = client.get(f"/fhir/{resource_type}/{resource_id}", HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
        assert modified.status_code == 304

    kick_off = client.get("/fhir/$export", **ASYNC)
    valid(kick_off, 202)
    status = local(kick_off["Content-Location"])
    assert client.get(status).status_code == 202
    run_queued(page_size=3)
    poll = client.get(status)
    assert poll.status_code == 200, poll.content
    manifest = json.loads(poll.content)
    assert manifest["requiresAccessToken"] is True and manifest["output"]
    exported = 0
    for item in manifest["output"]:
        response = client.get(local(item["url"]))
        assert response.status_code == 200 and response["Content-Type"] == "application/fhir+ndjson"
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert len(lines) == item["count"]
        for line in lines:
            resource = json.loads(line)
            assert_valid(resource)
            assert resource["resourceType"] == item["type"]
            searched = found.get((resource["resourceType"], resource["id"]))
            if searched is not None:  # the same version as read and search serve
                assert resource.get("meta", {}).get("versionId") == searched.get("meta", {}).get("versionId")
                assert resource == searched
            exported += 1
    assert exported
    valid(client.delete(status), 202)
    assert client.get(status).status_code == 404


def test_an_external_systems_export_validates_and_carries_the_notice_file(api, record):
    external = register_external(record["patient"].program)
    client = api(external)
    kick_off = client.get("/fhir/$export", **ASYNC)
    valid(kick_off, 202)
    run_queued()
    manifest = json.loads(client.get(local(kick_off["Content-Location"])).content)
    assert manifest["output"] and manifest["extension"]
    for item in manifest["output"] + manifest["error"]:
        response = client.get(local(item["url"]))
        body = (
            response.content
            if hasattr(response, "content") and not response.streaming
            else b"".join(response.streaming_content)
        )
        for line in body.decode().splitlines():
            resource = json.loads(line)
            assert_valid(resource)
            assert resource["resourceType"] == item["type"]
