"""Drug allergies: one structured entry each (drug or class, reaction, severity); "no known drug allergies" is an
entry of its own, distinct from "not asked"; recorded on the page and the API; shown on every medication page."""

import pytest
from django.core.exceptions import ValidationError

from waypoint.audit.models import AuditEvent
from waypoint.patients import allergies
from waypoint.patients.allergy_models import Allergy
from waypoint.patients.record_kinds import allergy_row


def record(user, patient, **fields):
    return allergies.record_allergy(acting_user=user, patient=patient, **fields)


def test_a_patient_never_asked_is_not_asked_and_not_none_known(patient):
    assert allergies.allergy_state(patient) == (allergies.NOT_ASKED, [])


def test_no_known_drug_allergies_is_an_entry_of_its_own(nurse, patient):
    record(nurse, patient, kind="none_known")
    state, entries = allergies.allergy_state(patient)
    assert state == allergies.NONE_KNOWN and str(entries[0]) == "No known drug allergies"


def test_an_allergy_keeps_drug_reaction_and_severity_and_is_audited(nurse, patient):
    allergy = record(nurse, patient, kind="drug", substance="Ibuprofen", reaction="hives", severity="moderate")
    assert str(allergy) == "Ibuprofen: hives, moderate"
    assert allergies.allergy_state(patient) == (allergies.RECORDED, [allergy])
    assert AuditEvent.objects.filter(action="patient.allergy.create", object_id=str(allergy.pk)).exists()
    assert allergy_row(allergy)["allergy"] == "Ibuprofen: hives, moderate"


def test_an_allergy_recorded_later_replaces_no_known_allergies(nurse, patient):
    none_known = record(nurse, patient, kind="none_known")
    record(nurse, patient, kind="drug_class", substance="NSAIDs", reaction="swelling", severity="severe")
    none_known.refresh_from_db()
    assert none_known.record_status == "amended" and "NSAIDs" in none_known.change_reason
    assert allergies.allergy_state(patient)[0] == allergies.RECORDED


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "drug", "substance": "", "severity": "mild"}, "substance"),
        ({"kind": "drug", "substance": "Codeine", "severity": "terrible"}, "severity"),
        ({"kind": "sometimes"}, "kind"),
        ({"kind": "none_known", "substance": "Codeine"}, "kind"),
        ({"kind": "drug", "substance": "Co\ndeine", "severity": "mild"}, "substance"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(nurse, patient, fields, field):
    with pytest.raises(ValidationError) as caught:
        record(nurse, patient, **fields)
    assert field in caught.value.message_dict
    assert not Allergy.objects.exists()


def test_none_known_is_refused_while_an_allergy_is_in_force(nurse, patient):
    record(nurse, patient, kind="drug", substance="Codeine", severity="severe")
    with pytest.raises(ValidationError) as caught:
        record(nurse, patient, kind="none_known")
    assert "Codeine" in caught.value.message_dict["kind"][0]


def test_the_same_drug_twice_is_refused(nurse, patient):
    record(nurse, patient, kind="drug", substance="Codeine", severity="severe")
    with pytest.raises(ValidationError) as caught:
        record(nurse, patient, kind="drug", substance="codeine", severity="mild")
    assert "substance" in caught.value.message_dict


def test_an_entry_in_error_stays_but_no_longer_counts(nurse, patient):
    allergy = record(nurse, patient, kind="drug", substance="Codeine", severity="severe")
    allergies.mark_allergy_in_error(acting_user=nurse, allergy=allergy, reason="Wrong patient")
    assert allergies.allergy_state(patient) == (allergies.NOT_ASKED, [])
    assert Allergy.objects.get().change_reason == "Wrong patient"


def test_the_intake_coordinator_records_allergies_on_the_page(page, intake, patient):
    client = page(intake)
    url = f"/patients/{patient.pk}/allergies/"
    assert "Not asked yet" in client.get(url).content.decode()
    response = client.post(
        url, {"kind": "drug", "substance": "Sulfa", "reaction": "rash", "severity": "mild"}, follow=True
    )
    html = response.content.decode()
    assert "Recorded: Sulfa: rash, mild." in html
    assert Allergy.objects.get().recorded_by == intake


def test_a_refusal_on_the_page_names_the_field(page, nurse, patient):
    response = page(nurse).post(f"/patients/{patient.pk}/allergies/", {"kind": "drug", "severity": "mild"})
    assert response.status_code == 200
    assert "Name the drug or the class of drugs." in response.content.decode()
    assert not Allergy.objects.exists()


def test_the_api_records_and_lists_allergies(api, nurse, patient):
    client = api(nurse)
    url = f"/api/v1/patients/{patient.pk}/allergies/"
    assert client.get(url).json() == {"state": "not_asked", "entries": []}
    created = client.post(url, {"kind": "none_known"}, format="json")
    assert created.status_code == 201
    assert client.get(url).json()["state"] == "none_known"
    refused = client.post(url, {"kind": "drug", "severity": "mild"}, format="json")
    assert refused.status_code == 400 and "substance" in refused.json()
    marked = client.post(
        f"{url}{created.json()['id']}/entered-in-error/", {"reason": "Not asked yet in fact"}, format="json"
    )
    assert marked.status_code == 200 and marked.json()["record_status"] == "entered_in_error"


def test_another_programs_nurse_gets_404(api, north_nurse, patient):
    assert api(north_nurse).get(f"/api/v1/patients/{patient.pk}/allergies/").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/patients/{pk}/",
        "/patients/{pk}/medication/",
        "/patients/{pk}/medication/administer/",
        "/patients/{pk}/comfort/",
        "/patients/{pk}/comfort/give/",
    ],
)
def test_medication_pages_show_the_allergies(page, nurse, patient, url):
    record(nurse, patient, kind="drug", substance="Ondansetron", reaction="headache", severity="mild")
    html = page(nurse).get(url.format(pk=patient.pk)).content.decode()
    assert "Drug allergies:" in html and "Ondansetron: headache, mild" in html
