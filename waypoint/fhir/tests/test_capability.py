"""The CapabilityStatement is true: every type, interaction, search parameter and operation it declares is served,
and a parameter it does not declare is refused."""

import json

import pytest

from .validation import assert_valid

SAMPLE = {"token": "x", "reference": "Patient/1", "date": "2026", "uri": "http://example.org/x", "string": "x"}


@pytest.fixture
def statement(client):
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    data = json.loads(response.content)
    assert_valid(data)
    return data


def test_it_instantiates_bulk_data_and_declares_the_export_operations(statement):
    assert statement["instantiates"] == ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"]
    rest = statement["rest"][0]
    assert rest["operation"] == [
        {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}
    ]
    by_type = {r["type"]: r for r in rest["resource"]}
    assert by_type["Group"]["operation"][0]["definition"].endswith("/group-export")
    assert by_type["Patient"]["operation"][0]["definition"].endswith("/patient-export")


def test_every_declared_search_parameter_is_served_and_an_undeclared_one_refused(api, nurse, statement):
    client = api(nurse)
    for resource in statement["rest"][0]["resource"]:
        for param in resource["searchParam"]:
            response = client.get(f"/fhir/{resource['type']}", {param["name"]: SAMPLE[param["type"]]})
            assert response.status_code == 200, (resource["type"], param["name"], response.content)
        refused = client.get(f"/fhir/{resource['type']}", {"not-a-parameter": "x"})
        assert refused.status_code == 400, resource["type"]


def test_every_declared_interaction_is_served(api, nurse, patient, program, statement):
    client = api(nurse)
    for resource in statement["rest"][0]["resource"]:
        codes = {i["code"] for i in resource["interaction"]}
        assert codes <= {"read", "vread", "search-type"}
        if "vread" in codes:
            assert resource["versioning"] == "versioned" and resource["readHistory"] is True
        else:
            assert resource["versioning"] == "no-version"
    read = client.get(f"/fhir/Patient/{patient.pk}")
    assert read.status_code == 200 and read["ETag"] == 'W/"1"'
    assert client.get(f"/fhir/Patient/{patient.pk}/_history/1").status_code == 200
    assert client.get(f"/fhir/Patient/{patient.pk}", HTTP_IF_NONE_MATCH='W/"1"').status_code == 304
    assert client.get("/fhir/Questionnaire/cows").status_code == 200
    assert client.get(f"/fhir/Group/program-{program.pk}").status_code == 200


def test_every_declared_export_operation_answers_a_kick_off(api, nurse, program):
    client = api(nurse)
    for url in ("/fhir/$export", "/fhir/Patient/$export", f"/fhir/Group/program-{program.pk}/$export"):
        response = client.get(url, HTTP_PREFER="respond-async", HTTP_ACCEPT="application/fhir+json")
        assert response.status_code == 202, (url, response.content)
