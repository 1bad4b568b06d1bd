"""42 CFR Part 2 over FHIR: an external system receives a patient's records only under an active consent that
covers it (recipient, purpose, kind of information); each release is a disclosure with the 2.32 notice."""

import json
from datetime import date
from email.header import decode_header

import pytest

from waypoint.fhir.access import ExternalReader, reader_for
from waypoint.fhir.registry import KINDS
from waypoint.privacy.models import AuditEvent, Disclosure
from waypoint.privacy.services import record_consent, revoke_consent
from waypoint.privacy.settings import SHORT_NOTICE

from .conftest import RECIPIENT, register_external
from .validation import assert_valid

TYPES = (
    "Patient",
    "Encounter",
    "EpisodeOfCare",
    "Observation",
    "QuestionnaireResponse",
    "Condition",
    "Consent",
    "Provenance",
    "CarePlan",
    "MedicationRequest",
    "MedicationAdministration",
    "MedicationDispense",
    "AllergyIntolerance",
    "ServiceRequest",
)


def get(client, url):
    response = client.get(url)
    data = json.loads(response.content)
    assert_valid(data)
    return response, data


def matches(bundle):
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def consent_for(patient, nurse, information, recipient=RECIPIENT, purposes=("treatment",)):
    return record_consent(
        acting_user=nurse,
        patient=patient,
        disclosing_party="Harbor Recovery",
        information=list(information),
        information_description="as named",
        recipients=[recipient],
        purposes=list(purposes),
        expiry="none",
        signed_by="Maria Rivera",
        signed_on=date(2026, 1, 11),
        right_to_revoke_explained=True,
    )


@pytest.fixture
def unconsented(patient, nurse):
    """The full record, without its consent (revoked the day it was signed)."""
    from .conftest import build_record

    made = build_record(patient, nurse)
    revoke_consent(acting_user=nurse, consent=made["consent"], revoked_on=date(2026, 1, 11), note="letter")
    return made


def test_without_consent_an_external_system_receives_no_part2_resource(api, external, unconsented):
    client = api(external)
    before = Disclosure.objects.count()
    for resource_type in TYPES:
        response, bundle = get(client, f"/fhir/{resource_type}")
        assert response.status_code == 200 and matches(bundle) == [], resource_type
    response, _ = get(client, f"/fhir/Patient/{unconsented['patient'].pk}")
    assert response.status_code == 404
    assert Disclosure.objects.count() == before


def test_with_consent_it_receives_them_labelled_and_every_release_is_a_disclosure(api, external, record, program):
    patient = record["patient"]
    client = api(external)
    received = {}
    for resource_type in TYPES:
        _, bundle = get(client, f"/fhir/{resource_type}?_count=500")
        received[resource_type] = matches(bundle)
        assert received[resource_type], resource_type
        for resource in received[resource_type]:
            assert {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "code": "42CFRPart2",
                "display": "42 CFR Part2",
            } in resource["meta"]["security"]
        notice = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
        assert notice[0]["issue"][0]["diagnostics"] == SHORT_NOTICE
        assert bundle["meta"]["security"][0]["code"] == "R"
    disclosures = Disclosure.objects.filter(patient=patient, recipient=RECIPIENT, channel="fhir")
    kinds_released = {d.information[0] for d in disclosures}
    assert kinds_released == {
        "demographics",
        "episodes",
        "withdrawal_assessments",
        "all_sud_records",
        "moud",
        "drug_screens",
    }
    assert all(
        d.notice == SHORT_NOTICE
        and d.consent_id == record["consent"].pk
        and d.disclosed_by == external
        and d.purpose == "treatment"
        for d in disclosures
    )
    assert disclosures.count() == AuditEvent.objects.filter(action="disclosure.create", actor=external).count()
    response, _ = get(client, f"/fhir/Patient/{patient.pk}")
    assert response.status_code == 200 and response["X-Part2-Notice"] == SHORT_NOTICE
    patients_kinds = [kind for kind in KINDS.values() if not kind.program_level]  # never the program's stock
    assert disclosures.all().count() == len(patients_kinds) + 1  # the read is disclosed too


def test_a_consent_for_some_kinds_releases_only_those(api, external, unconsented, nurse):
    consent_for(unconsented["patient"], nurse, ["demographics", "episodes"])
    client = api(external)
    assert len(matches(get(client, "/fhir/Patient")[1])) == 1
    assert len(matches(get(client, "/fhir/Encounter")[1])) == 2  # the two level-of-care stays
    assert len(matches(get(client, "/fhir/EpisodeOfCare")[1])) == 1
    for resource_type in (
        "Observation",
        "QuestionnaireResponse",
        "Condition",
        "Consent",
        "MedicationRequest",
        "MedicationAdministration",
    ):
        assert matches(get(client, f"/fhir/{resource_type}")[1]) == [], resource_type
    # the continuing-care plan and its referral are part of the discharge: released under "episodes"
    assert [r["id"].rsplit("-", 1)[0] for r in matches(get(client, "/fhir/CarePlan")[1])] == ["aftercare-plan"]
    assert [r["id"].rsplit("-", 1)[0] for r in matches(get(client, "/fhir/ServiceRequest")[1])] == [
        "aftercare-referral"
    ]


def test_a_consent_naming_another_recipient_or_purpose_releases_nothing(api, external, unconsented, nurse):
    consent_for(unconsented["patient"], nurse, ["all_sud_records"], recipient="Another Clinic")
    consent_for(unconsented["patient"], nurse, ["all_sud_records"], purposes=("payment",))
    assert matches(get(api(external), "/fhir/Patient")[1]) == []


def test_an_external_system_without_registration_or_of_another_program_gets_nothing(api, record, north, program):
    unregistered = register_external(program, username="stray")
    unregistered.external_client.delete()
    response, outcome = get(api(unregistered), "/fhir/Patient")
    assert response.status_code == 403 and "not registered" in outcome["issue"][0]["diagnostics"]
    elsewhere = register_external(north, username="north-hie")
    response, _ = get(api(elsewhere), f"/fhir/Patient/{record['patient'].pk}")
    assert response.status_code == 404


def test_an_external_system_is_not_staff(api, external, record):
    assert api(external).get(f"/api/v1/patients/{record['patient'].pk}/").status_code == 404
    assert api(external).get("/api/v1/patients/").json()["results"] == []


def test_reader_for_gives_the_bulk_export_the_same_rules(external, record, program, nurse):
    reader = reader_for(external, program)
    assert isinstance(reader, ExternalReader) and reader.may_receive(KINDS["patient"])
    assert list(reader.rows(KINDS["patient"])) == [record["patient"]]
    made = reader.record_release(KINDS["vital-signs"], {record["patient"].pk})
    assert [d.information for d in made] == [["withdrawal_assessments"]]
    assert reader_for(nurse, program).rows(KINDS["patient"]).count() == 1


def test_the_programs_own_notice_travels_with_a_read_and_is_kept_on_the_disclosure(api, external, record, program):
    from waypoint.accounts.models import ProgramSettingValue

    long_form = (
        "This record which has been disclosed to you is protected by Federal confidentiality rules\n"
        "(42 CFR part 2) — §2.32."
    )
    ProgramSettingValue.objects.create(program=program, key="privacy.part2_notice", value=long_form)
    response = api(external).get(f"/fhir/Patient/{record['patient'].pk}")
    assert response.status_code == 200
    ((raw, charset),) = decode_header(response["X-Part2-Notice"])  # RFC 2047: the notice is not Latin-1
    assert raw.decode(charset) == " ".join(long_form.split())
    assert Disclosure.objects.filter(channel="fhir").latest("disclosed_at").notice == long_form
