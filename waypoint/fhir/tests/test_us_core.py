"""US Core 5.0.1 where it fits, checked by a validator that is not Waypoint's (Medplum's, validation.py): a profile is
declared in meta.profile only where the resource conforms to it, and the CapabilityStatement lists exactly those."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from waypoint.fhir.access import StaffReader
from waypoint.fhir.codes import (
    IDENTIFIER_TYPE,
    US_CORE_BLOOD_PRESSURE,
    US_CORE_CONDITION_CATEGORY,
    US_CORE_MEDICATION_REQUEST,
    US_CORE_PATIENT,
)
from waypoint.fhir.registry import KINDS
from waypoint.withdrawal import services as withdrawal

from .test_validation import emitted
from .validation import assert_conforms, assert_valid, medplum

pytestmark = pytest.mark.django_db
BIRTH_SEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
VITAL_SIGNS = {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}
MM_HG = {"unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}


def test_the_outside_validator_rejects_what_fhirclient_lets_through():
    """Medplum checks cardinalities and declared profiles: each of these passes fhirclient's models and fails it."""
    no_gender = {
        "resourceType": "Patient",
        "id": "1",
        "meta": {"profile": [US_CORE_PATIENT]},
        "identifier": [{"system": "https://example.org/mrn", "value": "1"}],
        "name": [{"family": "Rivera"}],
    }
    assert_valid(no_gender)
    assert any("Patient.gender" in error for error in medplum().errors(no_gender))
    assert medplum().errors(no_gender | {"gender": "unknown"}) == []
    undeclarable = {"resourceType": "Patient", "id": "1", "meta": {"profile": ["https://example.org/no-such-profile"]}}
    assert any("no such profile" in error for error in medplum().errors(undeclarable))
    one_pressure = {
        "resourceType": "Observation",
        "id": "bp",
        "meta": {"profile": [US_CORE_BLOOD_PRESSURE]},
        "status": "final",
        "category": [{"coding": [VITAL_SIGNS]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        "subject": {"reference": "Patient/1"},
        "effectiveDateTime": "2026-01-10T16:00:00Z",
        "component": [
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                "valueQuantity": {"value": 138} | MM_HG,
            }
        ],
    }
    assert_valid(one_pressure)
    assert medplum().errors(one_pressure)
    with pytest.raises(AssertionError, match="Patient.gender"):
        assert_conforms(no_gender)  # what the conformance walk calls on every resource


def test_every_kind_of_record_conforms_and_declares_only_its_kinds_profiles(record, nurse, program):
    declared = set()
    for key, resources in emitted(StaffReader(nurse, program)).items():
        for resource in resources:
            assert_conforms(resource)
            profiles = set(resource.get("meta", {}).get("profile", []))
            assert profiles <= set(KINDS[key].profiles), (key, profiles)
            declared |= profiles
    # every profile a kind may declare is declared by the test record (so each is checked here)
    assert declared == {profile for kind in KINDS.values() for profile in kind.profiles}


def test_a_patient_is_us_core_with_the_mrn_typed_mr_and_gender_never_taken_from_sex_at_birth(api, nurse, patient):
    patient.sex_at_birth = "male"
    patient.save(update_fields=["sex_at_birth"])
    response = api(nurse).get(f"/fhir/Patient/{patient.pk}")
    resource = json.loads(response.content)
    assert_conforms(resource)
    assert resource["meta"]["profile"] == [US_CORE_PATIENT]
    [mrn] = resource["identifier"]
    assert mrn["value"] == patient.mrn
    assert mrn["type"]["coding"] == [{"system": IDENTIFIER_TYPE, "code": "MR", "display": "Medical record number"}]
    assert IDENTIFIER_TYPE == "http://terminology.hl7.org/CodeSystem/v2-0203"
    assert resource["extension"] == [{"url": BIRTH_SEX, "valueCode": "M"}]
    assert resource["gender"] == "unknown"  # administrative gender is not recorded; sex at birth is not it


def test_a_moud_order_is_a_us_core_medication_request(api, nurse, record):
    bundle = json.loads(api(nurse).get("/fhir/MedicationRequest").content)
    orders = [e["resource"] for e in bundle["entry"] if e["resource"]["id"].startswith("moud-order-")]
    assert orders
    for order in orders:
        assert order["meta"]["profile"] == [US_CORE_MEDICATION_REQUEST]
        assert_conforms(order)


def test_a_blood_pressure_declares_us_core_only_with_both_pressures(api, nurse, record):
    patient = record["patient"]
    withdrawal.record_assessment(
        acting_user=nurse,
        patient=patient,
        instrument="craving-nrs",
        responses={"craving": 2},
        vitals={"systolic_mmhg": 142},
        taken_at=timezone.now() - timedelta(minutes=5),
    )
    bundle = json.loads(api(nurse).get("/fhir/Observation", {"code": "http://loinc.org|85354-9"}).content)
    readings = {len(e["resource"]["component"]): e["resource"] for e in bundle["entry"]}
    assert set(readings) == {1, 2}
    assert readings[2]["meta"]["profile"] == [US_CORE_BLOOD_PRESSURE]
    assert "profile" not in readings[1]["meta"]  # one pressure: US Core's (and R4's) bp profile needs both
    for reading in readings.values():
        assert_conforms(reading)


def test_a_screen_finding_is_a_health_concern(api, nurse, record):
    bundle = json.loads(api(nurse).get("/fhir/Condition").content)
    findings = [e["resource"] for e in bundle["entry"] if e["resource"]["id"].startswith("screen-")]
    assert findings
    for finding in findings:
        [category] = finding["category"]
        assert category["coding"] == [
            {"system": US_CORE_CONDITION_CATEGORY, "code": "health-concern", "display": "Health Concern"}
        ]
        assert category["text"].startswith("Screen finding")
        assert "profile" not in finding.get("meta", {})  # no US Core Condition profile to check it against


def test_the_capability_statement_lists_the_profiles_declared(client):
    statement = json.loads(client.get("/fhir/metadata").content)
    assert_conforms(statement)
    supported = {r["type"]: r.get("supportedProfile", []) for r in statement["rest"][0]["resource"]}
    assert supported["Patient"] == [US_CORE_PATIENT]
    assert US_CORE_MEDICATION_REQUEST in supported["MedicationRequest"]
    assert US_CORE_BLOOD_PRESSURE in supported["Observation"]
    assert supported["Condition"] == []
