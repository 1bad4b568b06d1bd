"""Fixtures of the bulk export tests: a small population in two programs (one patient with a record of every
kind: plans, MOUD, drug screens, a screen finding and a consent), and helpers that kick off an
export over HTTP, run it the way the worker does (`export.run`), and read the manifest and files back."""

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from conftest import make_user, naloxone_and_education, patient_fields
from tests.conftest import COWS
from waypoint.accounts.roles import Role
from waypoint.bulk import export
from waypoint.bulk.models import ExportJob
from waypoint.bulk.params import DEFINITION_TYPES
from waypoint.fhir import registry
from waypoint.fhir.tests.conftest import allergies, moud, treatment_plans
from waypoint.fhir.tests.validation import assert_valid
from waypoint.patients import services
from waypoint.privacy.services import record_consent
from waypoint.screening import services as screening
from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS
from waypoint.withdrawal import services as withdrawal

ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


@pytest.fixture(autouse=True)
def export_dir(tmp_path, settings):
    settings.BULK_EXPORT_DIR = tmp_path / "exports"
    return settings.BULK_EXPORT_DIR


@dataclass
class Population:
    program: object
    north: object
    on_team: list  # Harbor patients on the nurse's team
    off_team: list  # Harbor patients of the other team
    north_patients: list


def admit_with_assessments(nurse, patient, level, count):
    episode = services.admit(
        acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(days=2), level_code=level
    )
    naloxone_and_education(patient, nurse, episode.admitted_at + timedelta(hours=1))
    for n in range(count):
        withdrawal.record_assessment(
            acting_user=nurse,
            patient=patient,
            instrument="cows",
            responses=COWS,
            taken_at=timezone.now() - timedelta(hours=10 - n),
        )
    return episode


def screen_finding_and_consent(patient, nurse):
    """A complication screen with one finding (a Condition) and a consent (a Consent)."""
    answers = dict.fromkeys(HEROIN_COMPLICATIONS.keys, "absent") | {"loss_of_consciousness": "present"}
    screening.record_screen(
        acting_user=nurse, patient=patient, answers=answers, taken_at=timezone.now() - timedelta(hours=3)
    )
    record_consent(
        acting_user=nurse,
        patient=patient,
        disclosing_party="Harbor Recovery",
        information=["all_sud_records"],
        information_description="all treatment records",
        recipients=["Riverside Primary Care"],
        purposes=["treatment"],
        expiry="none",
        signed_by="Ana Rivera",
        signed_on=date(2026, 1, 11),
        right_to_revoke_explained=True,
    )


def after_discharge(program, team, nurse):
    """Discharged from 3.5 with a continuing-care plan; reached at the day-7 follow-up (no use since)."""
    from conftest import continuing_care_plan
    from waypoint.aftercare import services as aftercare
    from waypoint.aftercare.models import ContinuingCarePlan

    patient = services.register_patient(
        acting_user=nurse, program=program, care_team=team, **patient_fields(mrn="W-D", given_name="Dara")
    )
    episode = services.admit(
        acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(days=20), level_code="3.5"
    )
    naloxone_and_education(patient, nurse, episode.admitted_at + timedelta(hours=1))
    services.discharge(
        acting_user=nurse,
        episode=episode,
        discharged_at=timezone.now() - timedelta(days=8),
        reason="completed",
        plan=continuing_care_plan(),
    )
    follow_up = ContinuingCarePlan.objects.get(episode=episode).follow_ups.get(days_after=7)
    aftercare.record_contact(
        nurse, follow_up, at=timezone.now() - timedelta(days=1), method="phone", reached=True, used_since="no"
    )
    return patient


def take_home(patient, nurse):
    """A methadone order at the dosing window and one take-home bottle (a MedicationDispense)."""
    from waypoint.accounts.models import User
    from waypoint.dispensing import services as dispensing
    from waypoint.medication import services as medication

    prescriber = User.objects.get(username="fhir-prescriber")  # made by moud() for the first patient
    medication.order_medication(
        acting_user=prescriber,
        patient=patient,
        medication="methadone",
        dose="60",
        route="oral",
        times_per_day=1,
        start_at=timezone.now() - timedelta(hours=2),
    )
    lot = dispensing.receive_stock(
        acting_user=nurse,
        program=patient.program,
        medication_code="methadone",
        strength="10 mg/mL",
        lot_number="M-200",
        quantity_mg="5000",
    ).lot
    dispensing.record_safe_storage(acting_user=nurse, patient=patient, note="Lock box")
    dispensing.sign_take_home_decision(
        acting_user=prescriber,
        patient=patient,
        days=1,
        criteria=dict.fromkeys(dispensing.CRITERIA, True),
        basis="Closed day",
    )
    dispensing.issue_bottles(
        acting_user=nurse, patient=patient, days=[patient.program.today() + timedelta(days=1)], lot=lot
    )


@pytest.fixture
def population(program, north, team, other_team, nurse, north_nurse):
    other_nurse = make_user("bridge-nurse", program, Role.NURSE, other_team)
    on_team = []
    for n, level in enumerate(["3.7-WM", "3.7-WM", "3.5"]):
        patient = services.register_patient(
            acting_user=nurse, program=program, care_team=team, **patient_fields(mrn=f"W-{n}", given_name=f"Ana{n}")
        )
        admit_with_assessments(nurse, patient, level, count=n + 1)
        on_team.append(patient)
    screen_finding_and_consent(on_team[0], nurse)
    treatment_plans(on_team[0], nurse)
    moud(
        on_team[0],
        nurse,
        start=timezone.now() - timedelta(days=1),
        cows_override_reason="COWS scored on the paper flowsheet during the outage",
    )
    take_home(on_team[1], nurse)
    allergies(on_team[1], nurse)  # AllergyIntolerance
    on_team.append(
        services.register_patient(
            acting_user=nurse, program=program, care_team=team, **patient_fields(mrn="W-9", given_name="Never-admitted")
        )
    )
    on_team.append(after_discharge(program, team, nurse))
    off_team = []
    for n in range(2):
        patient = services.register_patient(
            acting_user=other_nurse,
            program=program,
            care_team=other_team,
            **patient_fields(mrn=f"B-{n}", given_name=f"Bo{n}"),
        )
        admit_with_assessments(other_nurse, patient, "3.7-WM", count=2)
        off_team.append(patient)
    north_patients = []
    for n in range(2):
        patient = services.register_patient(
            acting_user=north_nurse, program=north, **patient_fields(mrn=f"N-{n}", given_name=f"Noor{n}")
        )
        admit_with_assessments(north_nurse, patient, "3.7-WM", count=1)
        north_patients.append(patient)
    return Population(program, north, on_team, off_team, north_patients)


def kick_off(client, url, headers=ASYNC):
    return client.get(url, headers=headers)


def run_queued(page_size=None):
    """What the worker does with each queued job, in this process."""
    for job in ExportJob.objects.filter(status=ExportJob.Status.QUEUED).order_by("created_at"):
        export.run(job, page_size=page_size)


def status_url(response) -> str:
    return response["Content-Location"].removeprefix("http://testserver")


def manifest(client, kick_off_response) -> dict:
    response = client.get(status_url(kick_off_response))
    assert response.status_code == 200, response.content
    return response.json()


def fetch_resources(client, manifest_body) -> dict[str, list[dict]]:
    """Every output file, parsed line by line; every line must be one valid JSON resource of the file's type."""
    found = {}
    for item in manifest_body["output"]:
        response = client.get(item["url"].removeprefix("http://testserver"))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/fhir+ndjson"
        text = b"".join(response.streaming_content).decode()
        assert text.endswith("\n")
        lines = [json.loads(line) for line in text.splitlines()]
        assert all(resource["resourceType"] == item["type"] for resource in lines)
        for resource in lines:
            assert_valid(resource)  # strict FHIR R4, as the read API serves it
        assert len(lines) == item["count"]
        found[item["type"]] = lines
    return found


def expected_counts(program, patient_ids=None, since=None, types=None, patient_compartment=False, user=None):
    """Resources per type counted from the database and the registry's mappings, independently of the export
    (no reader, no paging): every row of every kind in the program, optionally for some patients only; with a
    `user`, without the kinds kept to some staff (the stock ledger's readers) that this user is not among."""
    counts = {}
    for kind in registry.KINDS.values():
        if types is not None and kind.resource_type not in types:
            continue
        if user is not None and kind.readers is not None and not kind.readers(user, program.pk):
            continue
        if patient_compartment and kind.patient_field is None:
            continue
        rows = kind.queryset().filter(**{kind.program_field: program.pk})
        if patient_ids is not None and kind.patient_field is not None:
            rows = rows.filter(**{f"{kind.patient_field or 'pk'}__in": patient_ids})
        if since is not None:
            rows = rows.filter(**{f"{kind.updated_field}__gt": since})
        total = sum(len(list(kind.to_resources(row))) for row in rows)
        if total:
            counts[kind.resource_type] = counts.get(kind.resource_type, 0) + total
    return counts


def manifest_counts(manifest_body, *, definitions: bool = False) -> dict[str, int]:
    """Resources per type of the manifest: the records' types (what expected_counts counts); with `definitions`,
    the Questionnaires, CodeSystems and Groups a system export adds as well."""
    return {
        item["type"]: item["count"]
        for item in manifest_body["output"]
        if definitions or item["type"] not in DEFINITION_TYPES
    }
