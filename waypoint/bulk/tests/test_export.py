"""The export's content: counts equal the database's, filters, scope, levels, groups, files and cancel."""

from datetime import timedelta

import pytest
from django.utils import timezone

from waypoint.bulk import export
from waypoint.bulk.models import ExportJob
from waypoint.bulk.params import DEFINITION_TYPES
from waypoint.fhir import registry
from waypoint.privacy.models import AuditEvent
from waypoint.withdrawal.models import Assessment

from .conftest import (
    expected_counts,
    fetch_resources,
    kick_off,
    manifest,
    manifest_counts,
    run_queued,
    status_url,
)

pytestmark = pytest.mark.django_db


def test_the_manifest_counts_equal_the_database_counts_for_every_registered_type(api, intake, population):
    client = api(intake)
    started = kick_off(client, "/fhir/$export")
    assert started.status_code == 202
    run_queued(page_size=2)
    body = manifest(client, started)
    expected = expected_counts(population.program, user=intake)
    counts = manifest_counts(body, definitions=True)
    assert manifest_counts(body) == expected
    receivable = [k for k in registry.KINDS.values() if k.readers is None or k.readers(intake, population.program.pk)]
    assert set(expected) == {kind.resource_type for kind in receivable}  # every type has rows here
    assert "SupplyDelivery" not in expected  # the stock ledger goes to those who may dispense and the director only
    assert set(counts) == set(expected) | set(DEFINITION_TYPES)  # and the definitions records refer to
    resources = fetch_resources(client, body)
    for resource_type, lines in resources.items():
        assert len({line["id"] for line in lines}) == len(lines), f"duplicate {resource_type} ids"


def test_the_manifest_has_the_fields_of_the_specification(api, intake, population):
    client = api(intake)
    started = kick_off(client, "/fhir/$export?_type=Patient")
    run_queued()
    response = client.get(status_url(started))
    body = response.json()
    assert response["Content-Type"] == "application/json" and "Expires" in response
    assert set(body) == {"transactionTime", "request", "requiresAccessToken", "output", "error"}
    assert body["request"] == "http://testserver/fhir/$export?_type=Patient"
    assert body["requiresAccessToken"] is True and body["error"] == []
    assert body["transactionTime"].endswith("Z")
    assert [set(item) for item in body["output"]] == [{"type", "url", "count"}]


def test_no_other_programs_resource_is_exported(api, intake, population):
    client = api(intake)
    started = kick_off(client, "/fhir/$export")
    run_queued()
    resources = fetch_resources(client, manifest(client, started))
    exported_patients = {int(p["id"]) for p in resources["Patient"]}
    assert exported_patients == {p.pk for p in population.on_team + population.off_team}
    subjects = {int(o["subject"]["reference"].split("/")[1]) for o in resources["Observation"]}
    assert not subjects & {p.pk for p in population.north_patients}


def test_a_care_team_nurse_exports_only_the_patients_of_her_team(api, nurse, population):
    client = api(nurse)
    started = kick_off(client, "/fhir/Patient/$export")
    run_queued(page_size=1)
    body = manifest(client, started)
    on_team = [p.pk for p in population.on_team]
    assert manifest_counts(body) == expected_counts(population.program, patient_ids=on_team, patient_compartment=True)
    patients = {int(p["id"]) for p in fetch_resources(client, body)["Patient"]}
    assert patients == set(on_team)


def test_type_limits_the_export_to_the_types_named(api, intake, population):
    client = api(intake)
    started = kick_off(client, "/fhir/$export?_type=Observation")
    run_queued()
    body = manifest(client, started)
    assert manifest_counts(body) == expected_counts(population.program, types={"Observation"})
    assert [item["type"] for item in body["output"]] == ["Observation"]


def test_since_exports_only_what_changed_after_it(api, intake, nurse, population):
    from waypoint.patients import services

    cut = timezone.now()
    changed = population.on_team[0]
    services.update_patient(acting_user=nurse, patient=changed, phone="555-0199")
    client = api(intake)
    started = kick_off(client, f"/fhir/$export?_since={cut.isoformat().replace('+00:00', 'Z')}")
    run_queued()
    body = manifest(client, started)
    assert manifest_counts(body) == expected_counts(population.program, since=cut) == {"Patient": 1}
    assert [p["id"] for p in fetch_resources(client, body)["Patient"]] == [str(changed.pk)]


def test_resources_changed_after_the_transaction_time_wait_for_the_next_export(api, intake, nurse, population):
    from waypoint.patients import services

    client = api(intake)
    started = kick_off(client, "/fhir/$export?_type=Patient")
    job = ExportJob.objects.get()
    job.transaction_time = timezone.now()  # the export starts now, and the edit below comes after it
    job.save()
    services.update_patient(acting_user=nurse, patient=population.on_team[0], phone="555-0111")
    run_queued()
    body = manifest(client, started)
    assert manifest_counts(body) == {"Patient": len(population.on_team + population.off_team) - 1}
    again = kick_off(client, f"/fhir/$export?_type=Patient&_since={body['transactionTime']}")
    run_queued()
    assert manifest_counts(manifest(client, again)) == {"Patient": 1}


def test_a_level_of_care_group_exports_the_patients_currently_at_that_level(api, intake, population):
    client = api(intake)
    started = kick_off(client, f"/fhir/Group/program-{population.program.pk}-level-3.5/$export")
    run_queued()
    body = manifest(client, started)
    at_35 = [population.on_team[2].pk]
    assert manifest_counts(body) == expected_counts(population.program, patient_ids=at_35, patient_compartment=True)


def test_the_program_group_exports_every_patient_of_the_program(api, intake, population):
    client = api(intake)
    started = kick_off(client, f"/fhir/Group/program-{population.program.pk}/$export")
    run_queued()
    assert manifest_counts(manifest(client, started)) == expected_counts(population.program, patient_compartment=True)


def test_the_page_size_changes_nothing_in_the_output(api, intake, population):
    client = api(intake)
    outputs = []
    for page_size in (1, 3, 1000):
        started = kick_off(client, "/fhir/$export")
        run_queued(page_size=page_size)
        outputs.append(fetch_resources(client, manifest(client, started)))
    assert outputs[0] == outputs[1] == outputs[2]


def test_every_page_released_is_audited_with_its_patients(api, intake, population):
    client = api(intake)
    kick_off(client, "/fhir/$export?_type=Patient")
    before = AuditEvent.objects.filter(action="fhir.read").count()
    run_queued(page_size=2)
    releases = AuditEvent.objects.filter(action="fhir.read").order_by("id")[before:]
    released = [event.patient_id for event in releases]
    assert sorted(released) == sorted(p.pk for p in population.on_team + population.off_team)
    assert all(event.actor == intake and event.detail["resource_type"] == "Patient" for event in releases)


def test_a_patients_scores_on_many_pages_are_released_once_per_kind_in_a_run(api, intake, population):
    """A page a row: the patients' several COWS scores fill several pages, each with its total and its vital signs
    (two kinds read together); each patient's release of each kind is one audit event all the same."""
    client = api(intake)
    kick_off(client, "/fhir/$export?_type=Observation")
    before = AuditEvent.objects.filter(action="fhir.read").count()
    run_queued(page_size=1)
    releases = list(AuditEvent.objects.filter(action="fhir.read").order_by("id")[before:])
    by_kind: dict[str, list[int]] = {}
    for event in releases:
        by_kind.setdefault(event.detail["kind"], []).append(event.patient_id)
    scored = Assessment.objects.filter(program=population.program).values_list("patient_id", flat=True)
    assert sorted(by_kind["assessment-total"]) == sorted(set(scored))  # each once, however many pages held them
    assert len(scored) > len(set(scored))  # some patient has scores on several pages
    assert all(len(patients) == len(set(patients)) for patients in by_kind.values())


def test_status_is_202_with_progress_until_the_job_is_done(api, intake, population):
    client = api(intake)
    started = kick_off(client, "/fhir/$export")
    queued = client.get(status_url(started))
    assert queued.status_code == 202 and queued["X-Progress"].startswith("queued")
    job = ExportJob.objects.get()
    stopped_after_one_page = iter([False, True])
    assert export.run(job, page_size=1, should_stop=lambda: next(stopped_after_one_page)) == "running"
    running = client.get(status_url(started))
    assert running.status_code == 202 and running["X-Progress"].startswith("1 resources written")
    run_queued()  # nothing queued: the job is leased until its lease runs out
    job.refresh_from_db()
    job.lease_expires_at = timezone.now() - timedelta(seconds=1)
    job.save()
    assert export.run(job) == "complete"
    assert client.get(status_url(started)).status_code == 200


def test_delete_cancels_removes_the_files_and_the_status_is_then_404(api, intake, population, export_dir):
    client = api(intake)
    started = kick_off(client, "/fhir/$export")
    run_queued()
    body = manifest(client, started)
    job_dir = export_dir / str(ExportJob.objects.get().pk)
    assert any(job_dir.glob("*.ndjson"))
    deleted = client.delete(status_url(started))
    assert deleted.status_code == 202 and deleted.json()["resourceType"] == "OperationOutcome"
    assert not job_dir.exists()
    gone = client.get(status_url(started))
    assert gone.status_code == 404 and gone.json()["resourceType"] == "OperationOutcome"
    assert client.get(body["output"][0]["url"].removeprefix("http://testserver")).status_code == 404
    assert client.delete(status_url(started)).status_code == 404


def test_a_cancelled_job_is_not_run(api, intake, population):
    client = api(intake)
    started = kick_off(client, "/fhir/$export")
    client.delete(status_url(started))
    run_queued()
    assert ExportJob.objects.get().status == "cancelled"


def test_a_job_cancelled_while_it_runs_stops_at_the_next_page_and_leaves_no_file(api, intake, population, export_dir):
    client = api(intake)
    started = kick_off(client, "/fhir/$export")
    job = ExportJob.objects.get()
    pages = []

    def cancel_after_two_pages():
        pages.append(1)
        if len(pages) == 3:
            client.delete(status_url(started))
        return False

    assert export.run(job, page_size=1, should_stop=cancel_after_two_pages) == "cancelled"
    assert not (export_dir / str(job.pk)).exists()


def test_files_and_status_are_only_for_the_client_that_started_the_export(api, intake, nurse, north_nurse, population):
    client = api(intake)
    started = kick_off(client, "/fhir/$export")
    run_queued()
    body = manifest(client, started)
    file_url = body["output"][0]["url"].removeprefix("http://testserver")
    for other in (nurse, north_nurse):
        assert api(other).get(status_url(started)).status_code == 404
        assert api(other).get(file_url).status_code == 404
        assert api(other).delete(status_url(started)).status_code == 404
    assert api(None).get(file_url).status_code == 401
    assert ExportJob.objects.get().status == "complete"


def test_a_job_whose_requester_lost_access_fails_with_an_operation_outcome(api, intake, population):
    client = api(intake)
    started = kick_off(client, "/fhir/$export")
    intake.memberships.update(role="privacy")
    run_queued()
    failed = client.get(status_url(started))
    assert failed.status_code == 500
    assert failed.json()["issue"][0]["diagnostics"].startswith("The export failed")


def test_finished_files_are_removed_after_their_retention_and_the_status_is_then_404(
    api, intake, population, export_dir, settings
):
    from waypoint.bulk import queue

    client = api(intake)
    started = kick_off(client, "/fhir/$export")
    run_queued()
    job = ExportJob.objects.get()
    assert queue.housekeeping() == 0  # still within its retention
    assert (export_dir / str(job.pk)).exists()
    later = job.finished_at + timedelta(hours=settings.BULK_RETENTION_HOURS, seconds=1)
    assert queue.housekeeping(now=later) == 1
    assert not (export_dir / str(job.pk)).exists()
    assert client.get(status_url(started)).status_code == 404


def test_rows_are_read_by_keyset_pages_without_offset(api, intake, population):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    kick_off(api(intake), "/fhir/$export?_type=Patient")
    job = ExportJob.objects.get()
    with CaptureQueriesContext(connection) as queries:
        export.run(job, page_size=2)
    pages = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and '"patients_patient"."id" >' in q["sql"] and "LIMIT 2" in q["sql"]
    ]
    patients = len(population.on_team + population.off_team)
    assert len(pages) == -(-patients // 2) + 1  # every page (the last may be short), then the empty one that ends
    assert not [sql for sql in pages if "OFFSET" in sql]


def test_a_since_with_a_time_zone_beyond_14_hours_is_refused_not_a_server_error(api, intake):
    response = kick_off(api(intake), "/fhir/$export?_since=2026-01-01T00:00:00-18:11")
    assert response.status_code == 400
