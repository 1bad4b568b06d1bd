"""The `waypoint worker` process: it runs exports in the background, survives being killed mid-export
(the next worker resumes from the committed checkpoint: no resource lost or written twice), stops cleanly on
SIGTERM, and stops a job that is cancelled while it runs. The worker is a real subprocess on the test database
(which is why the SQLite test database is a file)."""

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from waypoint.bulk.models import ExportFile, ExportJob
from waypoint.patients.models import Patient
from waypoint.withdrawal.models import Assessment

from .conftest import expected_counts, fetch_resources, kick_off, manifest, manifest_counts, status_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]  # slow: real subprocesses or servers
ROOT = Path(__file__).resolve().parents[3]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def start_worker(export_dir, tmp_path):
    """start_worker(*options) -> a running `waypoint worker` subprocess; every one still alive at the end of the
    test is terminated (by its own pid)."""
    started = []

    def start(*options):
        env = dict(
            os.environ,
            DATABASE_URL=database_url(),
            WAYPOINT_EXPORT_DIR=str(export_dir),
            WAYPOINT_TESTING="1",
            PYTHONUNBUFFERED="1",
        )
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115 - closed at teardown
        process = subprocess.Popen(
            [sys.executable, "-m", "waypoint", "worker", "--poll", "0.1", *options],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        log.close()


def wait_for(condition, timeout=90.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def many(program, team, nurse):
    """150 patients, each with one COWS total: 300 resources (bulk-inserted: the volume, not the service, is what
    this test needs; the rows are as the services write them)."""
    from tests.conftest import COWS
    from waypoint.patients import services
    from waypoint.withdrawal import services as withdrawal

    first = services.register_patient(
        acting_user=nurse,
        program=program,
        care_team=team,
        mrn="K-0",
        given_name="Kai",
        family_name="Doe",
        birth_date=date(1990, 1, 1),
        sex_at_birth="female",
    )
    template = withdrawal.record_assessment(
        acting_user=nurse, patient=first, instrument="cows", responses=COWS, taken_at=timezone.now()
    )
    now = timezone.now()
    patients = Patient.objects.bulk_create(
        Patient(
            program=program,
            care_team=team,
            mrn=f"K-{n}",
            given_name=f"Kai{n}",
            family_name="Doe",
            birth_date=date(1990, 1, 1),
            sex_at_birth="male",
            created_at=now,
            updated_at=now,
        )
        for n in range(1, 150)
    )
    copies = []
    for patient in patients:
        copy = Assessment.objects.get(pk=template.pk)
        copy.pk, copy.patient, copy.recorded_at = None, patient, now
        copies.append(copy)
    Assessment.objects.bulk_create(copies)
    return [first, *patients]


# What `many` makes: 150 patients, each with a COWS total (Observation), its item answers
# (QuestionnaireResponse) and who recorded it (Provenance).
EVERY_TYPE_150 = dict.fromkeys(["Patient", "Observation", "QuestionnaireResponse", "Provenance"], 150)


def committed(job):
    return {f.resource_type: (f.bytes_written, f.count) for f in ExportFile.objects.filter(job=job)}


def torn_tail(job, export_dir):
    """A file holding bytes past its committed offset: a page written but not yet committed."""
    for resource_type, (offset, _) in committed(job).items():
        path = export_dir / str(job.pk) / f"{resource_type}.ndjson"
        if path.exists() and path.stat().st_size > offset:
            return resource_type
    return None


def test_the_worker_runs_a_kicked_off_export_to_its_manifest(api, intake, program, many, start_worker):
    client = api(intake)
    started = kick_off(client, "/fhir/$export")
    start_worker("--page-size", "40")
    wait_for(lambda: client.get(status_url(started)).status_code == 200, what="the export to complete")
    body = manifest(client, started)
    assert manifest_counts(body) == expected_counts(program) == EVERY_TYPE_150
    fetch_resources(client, body)


def test_a_worker_killed_mid_export_is_replaced_and_the_export_finishes_with_exact_counts(
    api, intake, program, many, start_worker, export_dir
):
    client = api(intake)
    started = kick_off(client, "/fhir/$export")
    job = ExportJob.objects.get()
    first = start_worker("--page-size", "5", "--pause", "0.3", "--lease-seconds", "2")

    # Kill it while a page is written to its file but not yet committed (the hardest moment): freeze the
    # process, check that the file really holds uncommitted bytes, then SIGKILL; else let it go on and retry.
    def frozen_with_a_torn_tail():
        if sum(count for _, count in committed(job).values()) < 20 or not torn_tail(job, export_dir):
            return False
        first.send_signal(signal.SIGSTOP)
        if torn_tail(job, export_dir):
            return True
        first.send_signal(signal.SIGCONT)
        return False

    wait_for(frozen_with_a_torn_tail, timeout=60, what="a page written but not committed")
    first.kill()
    first.wait(10)
    job.refresh_from_db()
    assert job.status == "running" and job.attempts == 1
    before = committed(job)

    start_worker("--page-size", "7", "--lease-seconds", "30")  # waits for the dead worker's lease to run out
    wait_for(lambda: ExportJob.objects.get().status == "complete", what="the resumed export to complete")
    job.refresh_from_db()
    assert job.attempts == 2
    assert all(committed(job)[t][1] >= count for t, (_, count) in before.items())  # resumed, not restarted
    body = manifest(client, started)
    assert manifest_counts(body) == expected_counts(program) == EVERY_TYPE_150
    resources = fetch_resources(client, body)  # every line parses: the torn tail was cut off
    assert sorted(int(p["id"]) for p in resources["Patient"]) == sorted(p.pk for p in many)
    observations = [o["id"] for o in resources["Observation"]]
    assert len(set(observations)) == len(observations) == 150


def test_sigterm_stops_the_worker_after_its_page_and_hands_the_job_back_at_once(
    api, intake, program, many, start_worker
):
    from waypoint.bulk import export

    client = api(intake)
    started = kick_off(client, "/fhir/$export")
    job = ExportJob.objects.get()
    worker = start_worker("--page-size", "5", "--pause", "0.2")
    wait_for(lambda: sum(count for _, count in committed(job).values()) >= 10, what="some pages")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(20) == 0
    job.refresh_from_db()
    assert job.status == "running" and job.lease_owner == "" and job.lease_expires_at is None
    assert export.run(job, page_size=50) == "complete"  # no wait for a lease: resumed at once
    assert manifest_counts(manifest(client, started)) == EVERY_TYPE_150


def test_a_job_cancelled_while_the_worker_runs_it_stops_and_its_files_are_gone(
    api, intake, many, start_worker, export_dir
):
    client = api(intake)
    started = kick_off(client, "/fhir/$export")
    job = ExportJob.objects.get()
    worker = start_worker("--page-size", "5", "--pause", "0.2")
    wait_for(lambda: sum(count for _, count in committed(job).values()) >= 10, what="some pages")
    assert client.delete(status_url(started)).status_code == 202
    time.sleep(0.5)  # the worker notices at its next commit
    counts = committed(job)
    time.sleep(1.0)  # several pages' time: a worker still exporting would have moved the checkpoint
    assert committed(job) == counts
    assert not (export_dir / str(job.pk)).exists()
    assert worker.poll() is None  # the worker itself goes on, waiting for the next job
    assert client.get(status_url(started)).status_code == 404


def test_two_workers_share_the_queue_without_claiming_a_job_twice(api, intake, program, many, start_worker):
    client = api(intake)
    started = [
        kick_off(client, f"/fhir/$export?_type={types}") for types in ("Patient", "Observation", "Patient,Observation")
    ]
    workers = [start_worker("--page-size", "10", "--pause", "0.02") for _ in range(2)]
    wait_for(lambda: all(job.status == "complete" for job in ExportJob.objects.all()), what="three exports")
    assert [job.attempts for job in ExportJob.objects.all()] == [1, 1, 1]
    expected = expected_counts(program)
    assert [manifest_counts(manifest(client, response)) for response in started] == [
        {"Patient": expected["Patient"]},
        {"Observation": expected["Observation"]},
        {"Patient": expected["Patient"], "Observation": expected["Observation"]},
    ]
    assert all(worker.poll() is None for worker in workers)
