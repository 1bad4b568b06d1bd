"""Search details an outside client relies on: Prefer handling=lenient, CarePlan date on its period, patient
references as absolute URLs or comma lists, _count clamped, the base URL and OPTIONS answered as FHIR, 406 for
formats and FHIR versions not served."""

import json

from waypoint.fhir.search import MAX_COUNT

from .validation import assert_valid


def fhir(response, status=200):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json"), response["Content-Type"]
    data = json.loads(response.content)
    assert_valid(data)
    return data


def matches(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def outcomes(bundle):
    return [
        issue["diagnostics"]
        for e in bundle.get("entry", [])
        if e["search"]["mode"] == "outcome"
        for issue in e["resource"]["issue"]
    ]


def test_lenient_handling_ignores_unknown_parameters_and_says_so(api, nurse, record):
    client = api(nurse)
    assert client.get("/fhir/Patient?colour=blue").status_code == 400
    bundle = fhir(client.get("/fhir/Patient?colour=blue", HTTP_PREFER="handling=lenient"))
    assert matches(bundle) == [str(record["patient"].pk)]
    assert any("colour" in text and "ignored" in text for text in outcomes(bundle))
    strict = client.get("/fhir/Patient?colour=blue", HTTP_PREFER="handling=strict")
    assert strict.status_code == 400


def test_careplan_date_searches_the_period_not_the_creation(api, nurse, record):
    client = api(nurse)
    plans = {e["resource"]["id"]: e["resource"] for e in fhir(client.get("/fhir/CarePlan"))["entry"]}
    signed = [p for p in plans.values() if "period" in p]
    assert signed and len(signed) < len(plans)  # the draft has no period
    start = signed[0]["period"]["start"][:10]
    found = matches(fhir(client.get(f"/fhir/CarePlan?date={start}")))
    assert found and all("period" in plans[i] and plans[i]["period"]["start"].startswith(start) for i in found)
    created_only = [p for p in plans.values() if "period" not in p]
    assert all(p["id"] not in found for p in created_only)


def test_patient_as_an_absolute_url_or_a_comma_list(api, nurse, record, north_patient):
    client = api(nurse)
    pk = record["patient"].pk
    by_id = matches(fhir(client.get(f"/fhir/Encounter?patient={pk}")))
    assert by_id
    assert matches(fhir(client.get(f"/fhir/Encounter?patient=http://testserver/fhir/Patient/{pk}"))) == by_id
    assert matches(fhir(client.get(f"/fhir/Encounter?patient={pk},{north_patient.pk}"))) == by_id
    refused = client.get(f"/fhir/Encounter?patient=http://elsewhere.example/fhir/Patient/{pk}")
    assert refused.status_code == 400


def test_count_above_the_maximum_is_clamped_and_reported(api, nurse, record):
    bundle = fhir(api(nurse).get(f"/fhir/Observation?_count={MAX_COUNT + 1}"))
    assert matches(bundle)
    assert any(str(MAX_COUNT) in text for text in outcomes(bundle))


def test_the_base_url_answers_operation_outcomes(api, nurse, client):
    for path in ("/fhir", "/fhir/"):
        assert fhir(client.get(path), 400)["resourceType"] == "OperationOutcome"
        posted = client.post(path, data="{}", content_type="application/fhir+json")
        assert fhir(posted, 405)["issue"][0]["code"] == "not-supported"


def test_options_answers_the_allowed_methods_without_drf_metadata(api, nurse):
    response = api(nurse).options("/fhir/Patient")
    assert response.status_code == 204 and response.content == b""
    assert "GET" in response["Allow"]


def test_xml_and_other_fhir_versions_are_406(api, nurse):
    client = api(nurse)
    assert fhir(client.get("/fhir/Patient?_format=xml"), 406)["issue"][0]["code"] == "not-supported"
    stu3 = client.get("/fhir/Patient", HTTP_ACCEPT="application/fhir+json; fhirVersion=3.0")
    assert fhir(stu3, 406)["resourceType"] == "OperationOutcome"
    r4 = client.get("/fhir/Patient", HTTP_ACCEPT="application/fhir+json; fhirVersion=4.0")
    assert r4.status_code == 200


def test_the_mrn_is_typed_mr_and_a_contact_without_a_phone_has_no_telecom(api, nurse, record):
    patient = record["patient"]
    patient.emergency_contact_name, patient.emergency_contact_phone = "Rosa Rivera", ""
    patient.save(update_fields=["emergency_contact_name", "emergency_contact_phone"])
    resource = fhir(api(nurse).get(f"/fhir/Patient/{patient.pk}"))
    (mrn,) = resource["identifier"]
    assert mrn["type"]["coding"] == [
        {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR", "display": "Medical record number"}
    ]
    (contact,) = resource["contact"]
    assert contact["name"] == {"text": "Rosa Rivera"} and "telecom" not in contact


def test_any_other_path_under_fhir_is_a_404_operation_outcome(client):
    for path in ("/fhir/patient", "/fhir/Patient/1/extra/more", "/fhir/_history"):
        assert fhir(client.get(path), 404)["issue"][0]["code"] == "not-found"
    assert fhir(client.post("/fhir/Patient/1/extra/more", data="{}", content_type="application/fhir+json"), 404)


def test_a_date_with_a_time_zone_beyond_14_hours_is_a_400_operation_outcome(api, nurse, record):
    """FHIR's dateTime allows -14:00 to +14:00; PostgreSQL refuses wider offsets with an error (a 500), so the
    search refuses them first, naming the parameter."""
    outcome = fhir(api(nurse).get("/fhir/Observation?date=ge2026-01-01T00:00:00-18:11"), 400)
    assert outcome["issue"][0]["diagnostics"].startswith("Parameter date:")
    assert api(nurse).get("/fhir/Observation?date=ge2026-01-01T00:00:00%2B14:00").status_code == 200
