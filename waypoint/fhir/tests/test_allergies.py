"""Drug allergies on the FHIR facade: each entry an AllergyIntolerance (category medication, the drug or class as
text: no code is published for them), searchable by patient, in the bulk export, Part 2 gated; "no known drug
allergies" as text, never an invented code; a patient never asked has none; entered in error as FHIR says."""

from waypoint.patients import allergies as allergy_services

from .test_api import body
from .validation import assert_valid

CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"


def entries(client, url):
    return [e["resource"] for e in body(client.get(url)).get("entry", []) if e["search"]["mode"] == "match"]


def test_each_entry_is_an_allergy_intolerance_searchable_by_patient(api, nurse, record, north_patient):
    patient = record["patient"]
    client = api(nurse)
    found = entries(client, f"/fhir/AllergyIntolerance?patient={patient.pk}")
    for resource in found:
        assert_valid(resource)
        assert resource["category"] == ["medication"] and "criticality" not in resource
    by_text = {r["code"]["text"]: r for r in found}
    assert set(by_text) == {"No known drug allergies", "Penicillin", "Sulfonamides (a class of drugs)", "Codeine"}
    assert all("coding" not in r["code"] for r in found)  # no code claimed, NKDA included
    penicillin = by_text["Penicillin"]
    assert penicillin["clinicalStatus"]["coding"][0] == {"system": CLINICAL, "code": "active", "display": "Active"}
    assert penicillin["reaction"] == [{"manifestation": [{"text": "hives"}], "severity": "moderate"}]
    assert by_text["No known drug allergies"]["clinicalStatus"]["coding"][0]["code"] == "inactive"  # replaced
    codeine = by_text["Codeine"]
    assert codeine["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert "clinicalStatus" not in codeine  # FHIR ait-2
    read = body(client.get(f"/fhir/AllergyIntolerance/{penicillin['id']}"))
    assert read == penicillin
    assert entries(client, f"/fhir/AllergyIntolerance?patient={north_patient.pk}") == []


def test_no_known_drug_allergies_is_active_text_and_not_asked_emits_nothing(api, nurse, patient):
    client = api(nurse)
    assert entries(client, f"/fhir/AllergyIntolerance?patient={patient.pk}") == []  # never asked
    allergy_services.record_allergy(acting_user=nurse, patient=patient, kind="none_known")
    (nkda,) = entries(client, f"/fhir/AllergyIntolerance?patient={patient.pk}")
    assert_valid(nkda)
    assert nkda["code"] == {"text": "No known drug allergies"}
    assert nkda["clinicalStatus"]["coding"][0]["code"] == "active" and "reaction" not in nkda
