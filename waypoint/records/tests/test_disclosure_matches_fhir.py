"""For every kind of consented information, the printed and the API disclosure hold exactly the records the FHIR
facade releases to an external system under the same consent, for the same patient: one registry, three
consumers (waypoint/records/). Kinds of record FHIR does not release are disclosed by their information kind,
and SUD counseling notes only when the consent and the disclosure name them."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from conftest import make_user
from waypoint.accounts.roles import Role
from waypoint.fhir.access import ExternalReader
from waypoint.fhir.models import ExternalClient
from waypoint.fhir.registry import KINDS as FHIR_KINDS
from waypoint.fhir.tests.conftest import ADMITTED, after_discharge, build_record, register_external
from waypoint.placements import services as placements
from waypoint.privacy.models import InformationKind, covered_information
from waypoint.privacy.services import record_consent
from waypoint.records import discovery
from waypoint.screening import services as screening
from waypoint.treatment import services as treatment
from waypoint.treatment.models import TreatmentPlan

KINDS = discovery.load()
LATER = ADMITTED + timedelta(days=2)


@pytest.fixture
def counselor(program, team):
    return make_user("team-counselor", program, Role.COUNSELOR, team)


@pytest.fixture
def full_record(patient, nurse, counselor, north_patient, north_nurse):
    """The patient with a record of every kind FHIR emits, plus notes, events and a counseling note; a patient of
    another program with records of their own."""
    record = build_record(patient, nurse, discharge=False)
    treatment.write_progress_note(acting_user=nurse, patient=patient, body="Slept through the night", occurred_at=LATER)
    treatment.write_counseling_note(acting_user=counselor, patient=patient, body="Processing grief", occurred_at=LATER)
    screening.record_event(
        acting_user=nurse,
        patient=patient,
        kind="return_to_use",
        occurred_at=LATER,
        substance="fentanyl",
        how_known="patient report",
    )
    screening.record_history(
        acting_user=nurse, patient=patient, uses=[{"substance": "heroin", "routes": ["injection"]}], uses_alone=True
    )
    screening.record_refusal(acting_user=nurse, patient=patient, what="kit", refused_at=LATER, note="has two at home")
    placements.record_placement(acting_user=nurse, patient=patient, ratings={f"d{n}": 1 for n in range(1, 7)})
    in_force = TreatmentPlan.objects.get(patient=patient, status=TreatmentPlan.Status.SIGNED)
    treatment.review_plan(acting_user=nurse, plan=in_force, note="goals still fit")
    after_discharge(patient, nurse, record["episode"])  # the continuing-care plan and the follow-up contacts
    return patient


def consent_for(patient, nurse, information):
    recipient = f"Recipient of {information}"
    user = register_external(patient.program, username=f"hie-{information}", recipient=recipient)
    record_consent(
        acting_user=nurse,
        patient=patient,
        disclosing_party="Harbor Recovery",
        information=[information],
        information_description=f"{information} only",
        recipients=[recipient],
        purposes=["treatment"],
        expiry="none",
        signed_by="Maria Rivera",
        signed_on=ADMITTED.date(),
        right_to_revoke_explained=True,
    )
    return user, recipient


def released_by_fhir(user, patient) -> dict[str, set[int]]:
    """The rows an external system receives per kind of record: what its FHIR reader lets through."""
    reader = ExternalReader(user, patient.program, ExternalClient.objects.get(user=user))
    released: dict[str, set[int]] = {}
    for fhir_kind in FHIR_KINDS.values():
        if fhir_kind.program_level:  # no patient's record: never released to an external system (test below)
            assert not reader.rows(fhir_kind).exists()
            continue
        record = fhir_kind.record
        if fhir_kind.key not in record.fhir_kinds:
            continue  # provenance: about the records, not the records themselves
        rows = reader.rows(fhir_kind)
        rows = rows.filter(**{record.patient_field: patient}) if record.patient_field else rows.filter(pk=patient.pk)
        released.setdefault(record.key, set()).update(rows.values_list("pk", flat=True))
    return {key: ids for key, ids in released.items() if ids}


def printed(html: str) -> dict[str, set[int]]:
    sections = re.split(r'data-record-kind="', html)[1:]
    return {
        section.split('"', 1)[0]: {int(pk) for pk in re.findall(r'data-record="(\d+)"', section)}
        for section in sections
    }


def expected(patient, user, information) -> dict[str, set[int]]:
    """Every row of every kind the information covers, by the registry's own declarations."""
    return {
        kind.key: {row.pk for row in kind.rows(patient, user)}
        for kind in KINDS.values()
        if kind.information_kind in covered_information([information])
    }


@pytest.mark.parametrize("information", InformationKind.values)
@pytest.mark.parametrize("channel", ["printed", "api"])
def test_the_disclosure_holds_exactly_what_fhir_releases_for_the_same_consent(
    full_record, nurse, counselor, page, api, information, channel
):
    patient = full_record
    external, recipient = consent_for(patient, nurse, information)
    asked = {"recipient": recipient, "purpose": "treatment", "information": [information]}
    if channel == "printed":
        answer = page(counselor).post(reverse("privacy:disclose", args=[patient.pk]), asked)
        assert answer.status_code == 200
        disclosed = printed(answer.content.decode())
    else:
        answer = api(counselor).post(f"/api/v1/patients/{patient.pk}/disclosures/", asked, format="json")
        assert answer.status_code == 201, answer.content
        disclosed = {key: {row["id"] for row in rows} for key, rows in answer.json()["record"].items()}

    fhir = released_by_fhir(external, patient)
    assert {key: ids for key, ids in disclosed.items() if KINDS[key].fhir_kinds and ids} == fhir
    assert disclosed == expected(patient, counselor, information)


def test_the_full_record_holds_rows_of_every_kind_fhir_releases_and_more(full_record, nurse, counselor):
    """The comparison above is not empty: the record holds rows of each FHIR-released kind and of kinds FHIR
    does not release (notes, events, naloxone)."""
    external, _ = consent_for(full_record, nurse, "all_sud_records")
    assert set(released_by_fhir(external, full_record)) == {k.key for k in KINDS.values() if k.fhir_kinds} - {
        "counseling_notes"
    }
    every = expected(full_record, counselor, "all_sud_records")
    for key in ("progress_notes", "use_events", "naloxone_kits", "overdose_education", "moud_orders", "drug_screens"):
        assert every[key], key
    assert "counseling_notes" not in every
    assert expected(full_record, counselor, "counseling_notes")["counseling_notes"]


def test_all_sud_records_disclose_medication_screens_and_plans_not_counseling_notes(
    full_record, nurse, counselor, page
):
    _, recipient = consent_for(full_record, nurse, "all_sud_records")
    html = (
        page(counselor)
        .post(
            reverse("privacy:disclose", args=[full_record.pk]),
            {"recipient": recipient, "purpose": "treatment", "information": ["all_sud_records"]},
        )
        .content.decode()
    )
    for heading in ("MOUD orders", "Urine drug screens", "Health-complication screens", "Treatment plans"):
        assert heading in html
    assert "Slept through the night" in html and "Processing grief" not in html


NOT_IN_THE_FULL_RECORD = {  # made by their own areas' tests
    "referrals",
    "session_attendance",
    "group_note_parts",
    "dosing_holds",  # waypoint/dispensing/tests/test_take_homes.py renders it
    "guest_dosings",  # waypoint/dispensing/tests/test_guests_and_replacements.py renders it
    "call_backs",  # waypoint/dispensing/tests/test_calendar_call_backs.py renders it
    "ciwa_ar_monitoring",  # waypoint/withdrawal/tests/test_ciwa_ar_bands.py renders it
}


def test_every_kind_renders_every_column_of_its_rows(full_record, counselor):
    empty = set()
    for kind in KINDS.values():
        rows = list(kind.rows(full_record, counselor))
        if not rows:
            empty.add(kind.key)
        for row in rows:
            assert list(kind.render(row)) == [key for key, _ in kind.columns], kind.key
    assert empty == NOT_IN_THE_FULL_RECORD
