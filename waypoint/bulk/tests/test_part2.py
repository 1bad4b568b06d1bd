"""42 CFR Part 2 in the bulk export: a registered external system exports only the records an active consent
covering it (recipient, purpose, kind of information) allows, and every patient's release is a disclosure."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from tests.conftest import COWS
from waypoint.bulk import export
from waypoint.bulk.models import ExportJob
from waypoint.bulk.params import DEFINITION_TYPES
from waypoint.fhir.tests.conftest import RECIPIENT, register_external
from waypoint.fhir.tests.validation import assert_valid
from waypoint.privacy.models import AuditEvent, Consent, Disclosure
from waypoint.privacy.services import record_consent, revoke_consent
from waypoint.privacy.settings import SHORT_NOTICE
from waypoint.withdrawal import services as withdrawal

from .conftest import expected_counts, fetch_resources, kick_off, manifest, manifest_counts, run_queued

pytestmark = pytest.mark.django_db


def subjects(resources: dict[str, list[dict]]) -> set[str]:
    """The patient of every exported resource (the Patient itself, or its subject / patient reference)."""
    out = set()
    for resource_type, lines in resources.items():
        for resource in lines:
            if resource_type == "Patient":
                out.add(resource["id"])
            elif resource_type == "Provenance":  # its targets are the patient's Observations, counted above
                continue
            else:
                ref = (resource.get("subject") or resource.get("patient") or {}).get("reference", "")
                out.add(ref.removeprefix("Patient/"))
    return out


def scored(nurse, patient, *, hours_ago):
    """A COWS score of the patient so many hours ago, for each."""
    for hours in hours_ago:
        withdrawal.record_assessment(
            acting_user=nurse,
            patient=patient,
            instrument="cows",
            responses=COWS,
            taken_at=timezone.now() - timedelta(hours=hours),
        )


def revoke_all(nurse):
    for consent in Consent.objects.all():
        revoke_consent(
            acting_user=nurse, consent=consent, revoked_on=consent.program.today(), note="written revocation"
        )


def test_without_consent_an_external_system_exports_no_part2_resource(api, nurse, population):
    revoke_all(nurse)
    external = register_external(population.program)
    client = api(external)
    started = kick_off(client, "/fhir/$export")
    assert started.status_code == 202
    run_queued(page_size=2)
    body = manifest(client, started)
    assert manifest_counts(body) == {} and body["error"] == []  # definitions only (Questionnaires, CodeSystems, Groups)
    assert not Disclosure.objects.filter(disclosed_by=external).exists()


def test_with_consent_only_the_consenting_patients_records_are_exported_and_disclosed(api, nurse, population):
    consented = population.on_team[0]  # signed a consent for Riverside Primary Care, treatment, all SUD records
    scored(nurse, consented, hours_ago=(2, 1))  # scores on more pages than one
    external = register_external(population.program)
    client = api(external)
    started = kick_off(client, "/fhir/$export")
    run_queued(page_size=2)
    body = manifest(client, started)
    assert manifest_counts(body) == expected_counts(
        population.program, patient_ids=[consented.pk], patient_compartment=True
    )
    resources = fetch_resources(client, body)
    assert {"Questionnaire", "CodeSystem", "Group"} <= set(resources)  # definitions, not records: no subject
    resources = {t: lines for t, lines in resources.items() if t not in DEFINITION_TYPES}
    assert subjects(resources) == {str(consented.pk)}
    assert {
        "Patient",
        "Encounter",
        "Observation",
        "CarePlan",
        "MedicationRequest",
        "MedicationAdministration",
        "Condition",
        "Consent",
    } <= set(resources)
    for lines in resources.values():
        assert all("42CFRPart2" in {s["code"] for s in r["meta"]["security"]} for r in lines)
    disclosures = Disclosure.objects.filter(disclosed_by=external)
    assert disclosures.exists()
    assert {d.patient_id for d in disclosures} == {consented.pk}
    assert all(
        d.recipient == RECIPIENT and d.purpose == "treatment" and d.channel == "fhir" and d.notice == SHORT_NOTICE
        for d in disclosures
    )
    # pages of two rows: the patient's scores span pages, and each kind is disclosed to the recipient once
    kinds = [e.detail["kind"] for e in AuditEvent.objects.filter(action="disclosure.create", actor=external)]
    assert kinds.count("assessment-total") == 1 and len(kinds) == len(set(kinds)) == disclosures.count()


def test_a_consent_naming_only_medication_exports_only_orders_and_doses(api, nurse, population):
    revoke_all(nurse)
    patient = population.on_team[0]
    record_consent(
        acting_user=nurse,
        patient=patient,
        disclosing_party="Harbor Recovery",
        information=["moud"],
        information_description="MOUD orders and doses",
        recipients=[RECIPIENT],
        purposes=["treatment"],
        expiry="none",
        signed_by="Ana Rivera",
        signed_on=patient.program.today(),
        right_to_revoke_explained=True,
    )
    external = register_external(population.program)
    client = api(external)
    started = kick_off(client, "/fhir/$export")
    run_queued()
    assert manifest_counts(manifest(client, started)) == {"MedicationRequest": 1, "MedicationAdministration": 3}


def test_an_export_to_an_external_recipient_carries_the_part2_notice_in_the_manifest_and_a_file(
    api, nurse, intake, population
):
    external = register_external(population.program)
    client = api(external)
    started = kick_off(client, "/fhir/$export")
    run_queued(page_size=5)
    body = manifest(client, started)
    assert body["output"]
    notice = body["extension"]["https://waypoint.example.org/fhir/StructureDefinition/part2-disclosure-notice"]
    assert notice == SHORT_NOTICE
    (item,) = body["error"]
    assert item["type"] == "OperationOutcome"
    response = client.get(item["url"].removeprefix("http://testserver"))
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+ndjson"
    (line,) = response.content.decode().splitlines()
    outcome = json.loads(line)
    assert_valid(outcome)
    assert outcome["issue"] == [{"severity": "information", "code": "informational", "diagnostics": SHORT_NOTICE}]
    # staff export inside the program: no disclosure, no notice (and no notice file)
    staff = api(intake)
    own = kick_off(staff, "/fhir/$export")
    run_queued(page_size=5)
    staff_body = manifest(staff, own)
    assert "extension" not in staff_body and staff_body["error"] == []
    status = own["Content-Location"].removeprefix("http://testserver")
    job_id = status.rstrip("/").rsplit("/", 1)[1]
    assert staff.get(f"/fhir/bulk-files/{job_id}/part2-notice.ndjson").status_code == 404


def test_an_external_export_without_part2_records_carries_no_notice(api, nurse, population):
    revoke_all(nurse)
    client = api(register_external(population.program))
    started = kick_off(client, "/fhir/$export")
    run_queued(page_size=2)
    body = manifest(client, started)
    assert "extension" not in body and body["error"] == []


def test_a_consent_revoked_during_an_export_stops_it_at_the_next_page_of_the_patient(api, nurse, population):
    """The release of each kind is disclosed once a run, but every page of the patient asks the consent again."""
    consented = population.on_team[0]
    scored(nurse, consented, hours_ago=(3, 2, 1))
    external = register_external(population.program)
    kick_off(api(external), "/fhir/$export?_type=Observation")
    job = ExportJob.objects.get()
    scores_disclosed = AuditEvent.objects.filter(action="disclosure.create", detail__kind="assessment-total")

    def revoked_after_the_first_page_of_scores():
        if scores_disclosed.exists() and not Consent.objects.filter(revoked_on__isnull=False).exists():
            revoke_all(nurse)
        return False

    with pytest.raises(PermissionDenied, match=f"patient {consented.pk}"):
        export.run(job, page_size=1, should_stop=revoked_after_the_first_page_of_scores)
    assert scores_disclosed.count() == 1
    scores = job.files.get(resource_type="Observation")
    # committed: the first page of scores only (one score, no vital signs)
    assert scores.kind_key == "assessment-observations" and scores.count == 1
