"""The read replica, against a real one: a throwaway PostgreSQL primary with a streaming replica of it
(`pg_basebackup -R -X stream`, started on another port), made by this module and removed at its end, even on
failure. The machine's shared server is left alone (its pg_hba refuses replication connections, and a fresh CI
machine's may differ): the primary gets a copy of this worker's test database (pg_dump), the replica a base backup
of the primary. Django's `default` alias is pointed at the primary and a `replica` alias added for the test, which
is what `DATABASE_REPLICA_URL` does in production.

It proves, with the replica's replay paused (so a row written on the primary is on the primary only):
- report pages, their CSVs, the outcomes dashboard and its API and FHIR search read the replica (their queries
  run there, and a patient registered after the pause is missing from the search until the replica replays it);
- who is asking (session, user, memberships, API token) is read on the primary: a token issued after the pause
  works at once, a token revoked after it fails at once;
- a page that shows what was just saved (the chart) reads the primary, and so does a replica block once it wrote.

Runs once, in the suite's PostgreSQL pass; with CI=true the server binaries must be there (.ci/run installs them).
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import shutil
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import api_client_for, make_program, make_user, patient_fields, verified_login
from waypoint.accounts.models import ApiToken, CareTeam
from waypoint.accounts.roles import Role
from waypoint.bench.serve import free_port
from waypoint.bulk import export
from waypoint.bulk.models import ExportFile, ExportJob
from waypoint.patients import services as patients
from waypoint.patients.models import Patient
from waypoint.records.replica import DEFAULT, REPLICA, primary_only, replica_reads, wait_for_replica

pytestmark = [
    pytest.mark.slow,  # starts two PostgreSQL servers: left out of `make test-fast`
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="runs in the suite's PostgreSQL pass (a streaming replica of a PostgreSQL primary)",
    ),
]

CI = os.environ.get("CI", "").lower() == "true"
TOOLS = ("initdb", "pg_ctl", "pg_basebackup", "pg_dump", "psql")


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL's server binaries (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = [path for path in Path("/usr/lib/postgresql").glob("*/bin") if all((path / t).exists() for t in TOOLS)]
    return max(found, key=lambda path: int(path.parent.name)) if found else None


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class StreamingPair:
    """A primary and its streaming replica in one temporary folder, each on a free port of 127.0.0.1."""

    def __init__(self, binaries: Path, folder: Path) -> None:
        self.bin, self.folder = binaries, folder
        self.primary, self.replica = folder / "primary", folder / "replica"
        self.primary_port, self.replica_port = free_port(), free_port()
        while self.replica_port == self.primary_port:
            self.replica_port = free_port()

    def tool(self, name: str, *args: str, server: bool = False, **kwargs) -> subprocess.CompletedProcess:
        command = [str(self.bin / name), *args]
        return subprocess.run(
            as_postgres(command) if server else command, check=True, capture_output=True, timeout=120, **kwargs
        )

    def url(self, port: int, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/{database}"

    def start(self, database: dict) -> None:
        """Make the primary, copy the test database into it, then make the replica from a base backup."""
        self.tool("initdb", "-D", str(self.primary), "-U", "postgres", "--auth=trust", "-E", "UTF8", "-N", server=True)
        with open(self.primary / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.primary_port}\n"
                f"unix_socket_directories = '{self.folder}'\n"
                "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                # a throwaway cluster: no need to survive a power cut
                "fsync = off\nfull_page_writes = off\nshared_buffers = 32MB\n"
            )
        self.tool("pg_ctl", "-D", str(self.primary), "-l", str(self.folder / "primary.log"), "-w", "start", server=True)
        name = database["NAME"]
        with psycopg.connect(self.url(self.primary_port), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        source = f"postgresql://{database['USER'] or 'postgres'}@{database['HOST']}:{database['PORT'] or 5432}/{name}"
        dump = self.tool("pg_dump", "--no-owner", "--no-privileges", "-d", source)
        copy_into = self.url(self.primary_port, name)
        self.tool("psql", "-q", "--single-transaction", "-v", "ON_ERROR_STOP=1", "-d", copy_into, input=dump.stdout)
        self.tool(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres"),
            *("-D", str(self.replica), "-R", "-X", "stream", "-c", "fast", "--no-sync"),
            server=True,
        )
        self.tool(
            "pg_ctl",
            *("-D", str(self.replica), "-l", str(self.folder / "replica.log"), "-w"),
            *("-o", f"-p {self.replica_port}", "start"),
            server=True,
        )

    def stop(self) -> None:
        for data in (self.replica, self.primary):
            if (data / "postmaster.pid").exists():
                subprocess.run(
                    as_postgres([str(self.bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                    capture_output=True,
                    timeout=60,
                )


@pytest.fixture(scope="module")
def streaming_pair(django_db_setup, django_db_blocker):
    binaries = server_binaries()
    if binaries is None:
        message = "PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) are not in /usr/lib/postgresql/*/bin"
        if CI:
            pytest.fail(message + ": the replica test is required in CI (.ci/run installs postgresql)")
        pytest.skip(message)
    folder = Path(tempfile.mkdtemp(prefix="waypoint-replica-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    pair = StreamingPair(binaries, folder)
    try:
        with django_db_blocker.unblock():
            pair.start(dict(connections[DEFAULT].settings_dict))
        yield pair
    except subprocess.CalledProcessError as error:
        logs = "".join(p.read_text()[-2000:] for p in folder.glob("*.log"))
        raise AssertionError(f"{error.cmd}: {error.stderr!r}\n{logs}") from error
    finally:
        pair.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def on_the_pair(streaming_pair, transactional_db, settings, tmp_path):
    """`default` on the throwaway primary and `replica` on its replica, for one test; then back as they were (the
    test database itself is left as it was; `transactional_db` is asked for only so that pytest-django sets it up
    and lets the test reach a database)."""
    settings.BULK_EXPORT_DIR = tmp_path / "exports"
    default = connections[DEFAULT]
    saved = {key: default.settings_dict[key] for key in ("HOST", "PORT")}
    default.close()
    default.settings_dict.update(HOST="127.0.0.1", PORT=str(streaming_pair.primary_port))
    replica = copy.deepcopy(default.settings_dict) | {"PORT": str(streaming_pair.replica_port)}
    connections.settings[REPLICA] = replica
    # Connected here, after pytest-django closed the test to aliases it did not know of when the test began: a
    # connection already open is allowed (and the test client keeps it open across requests).
    connections[REPLICA].connect()
    try:
        yield streaming_pair
    finally:
        for alias in (DEFAULT, REPLICA):
            connections[alias].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]
        default.settings_dict.update(saved)


def on_replica(sql: str) -> None:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(sql)


def tables_read(captured: CaptureQueriesContext) -> set[str]:
    """The table each SELECT of a captured block reads rows of (its first FROM; the tables its joins and subqueries
    only filter by, such as the care-team rule of visible_patients inside a report's query, are left out)."""
    found: set[str] = set()
    for query in captured.captured_queries:
        sql = query["sql"]
        main = re.search(r'FROM "(\w+)"', sql)
        if sql.lstrip().upper().startswith("SELECT") and main:
            found.add(main.group(1))
    return found


def primary_only_tables() -> set[str]:
    return {model._meta.db_table for model in apps.get_models(include_auto_created=True) if primary_only(model)}


def wait_until_received(timeout: float = 30.0) -> None:
    """Until the replica has received (not replayed) everything the primary has written so far."""
    with connections[DEFAULT].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (target,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT coalesce(pg_last_wal_receive_lsn() >= %s::pg_lsn, false)", [target])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the replica did not receive the primary's writes")


def test_reports_read_the_replica_and_every_read_that_must_see_a_write_reads_the_primary(on_the_pair, settings):
    program = make_program("harbor", "Harbor Recovery")
    team = CareTeam.objects.create(program=program, name="Harbor team")
    nurse = make_user("nurse", program, Role.NURSE, team)
    director = make_user("director", program, Role.DIRECTOR)
    first = patients.register_patient(acting_user=nurse, program=program, care_team=team, **patient_fields())
    patients.admit(
        acting_user=nurse, patient=first, admitted_at=timezone.now() - timedelta(days=3), level_code="3.7-WM"
    )
    assert wait_for_replica(timeout=30), "the replica did not replay the primary's writes"

    def searched(client) -> int:
        response = client.get("/fhir/Patient", HTTP_ACCEPT="application/fhir+json")
        assert response.status_code == 200, response.content[:500]
        return sum(1 for entry in response.json().get("entry", []) if entry["resource"]["resourceType"] == "Patient")

    fhir = api_client_for(nurse)
    assert searched(fhir) == 1

    # The replica stops replaying: from here on a row written on the primary is on the primary only.
    on_replica("SELECT pg_wal_replay_pause()")
    second = patients.register_patient(
        acting_user=nurse, program=program, care_team=team, **patient_fields(mrn="W-1002", given_name="Ana")
    )
    # FHIR search reads the replica: the patient registered after the pause is not there yet.
    assert searched(fhir) == 1
    # Who is asking is read on the primary: a token issued after the pause works at once ...
    fresh = api_client_for(nurse)
    assert searched(fresh) == 1
    # ... and one revoked after it fails at once.
    ApiToken.objects.filter(user=nurse).update(revoked_at=timezone.now())
    assert fresh.get("/fhir/Patient", HTTP_ACCEPT="application/fhir+json").status_code == 401
    # The chart, which shows what was just saved, reads the primary: the new patient is there.
    chart = verified_login(Client(), nurse)
    response = chart.get(f"/patients/{second.pk}/")
    assert response.status_code == 200 and "Ana" in response.content.decode()
    # A replica block reads the replica until it writes; then it reads its own writes on the primary.
    with replica_reads():
        assert Patient.objects.count() == 1
        patients.register_patient(
            acting_user=nurse, program=program, care_team=team, **patient_fields(mrn="W-1003", given_name="Lena")
        )
        assert Patient.objects.count() == 3
    # Report pages and their downloads read the replica; who is asking is read on the primary only.
    director_pages = verified_login(Client(), director)
    nurse_pages = verified_login(Client(), nurse)
    today = program.today()
    period = f"start={(today - timedelta(days=30)).isoformat()}&end={today.isoformat()}"
    month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    reports = [
        (nurse_pages, "/dosing/reports/?report=daily"),
        (nurse_pages, "/dosing/reports/?report=missed&format=csv"),
        (director_pages, f"/outcomes/?{period}"),
        (director_pages, f"/outcomes/export.csv?{period}"),
        (director_pages, f"/reports/teds/?period={month}&state=sample"),
        (api_client_for(director), f"/api/v1/outcomes/?{period}"),
    ]
    asking = {"accounts_browsersession", "accounts_user", "accounts_membership", "accounts_apitoken"}
    primary_tables = primary_only_tables()
    # A report page says when the copy it read is behind (here: any lag at all; 10 seconds by default).
    wait_until_received()
    daily = "/dosing/reports/?report=daily"
    assert "replica-behind" not in nurse_pages.get(daily).content.decode()
    settings.REPLICA_LAG_NOTE_SECONDS = 0
    page = nurse_pages.get(daily).content.decode()
    assert "Read from the reporting copy of the record, which is" in page and "may be missing here" in page
    settings.REPLICA_LAG_NOTE_SECONDS = 10
    for client, url in reports:
        primary, read = CaptureQueriesContext(connections[DEFAULT]), CaptureQueriesContext(connections[REPLICA])
        with primary, read:
            response = client.get(url)
        assert response.status_code == 200, (url, response.content[:500])
        on_the_replica, on_the_primary = tables_read(read), tables_read(primary)
        assert on_the_replica - primary_tables, f"{url}: no clinical table read on the replica"
        assert not on_the_replica & primary_tables, f"{url}: read who is asking or what decides access on the replica"
        assert on_the_primary & asking, f"{url}: who is asking was not read on the primary"
        assert on_the_primary <= primary_tables, f"{url}: read clinical tables on the primary: {on_the_primary}"

    # While the replica lags, the bulk export's wait for it gives up (the run then reads the primary).
    assert not wait_for_replica(timeout=0.2)

    # Replay resumes: once the replica has caught up, the search finds every patient.
    on_replica("SELECT pg_wal_replay_resume()")
    assert wait_for_replica(timeout=30)
    assert searched(api_client_for(nurse)) == 3

    # The bulk export reads the replica, once it has replayed what the primary held when the run began.
    intake = make_user("intake", program, Role.INTAKE)
    exporter = api_client_for(intake)
    started = exporter.get("/fhir/$export?_type=Patient", headers={"Prefer": "respond-async"})
    assert started.status_code == 202, started.content[:500]
    primary, read = CaptureQueriesContext(connections[DEFAULT]), CaptureQueriesContext(connections[REPLICA])
    with primary, read:
        for job in ExportJob.objects.filter(status=ExportJob.Status.QUEUED):
            assert export.run(job) == ExportJob.Status.COMPLETE
    assert "patients_patient" in tables_read(read)  # the exported rows (the release record, in its transaction,
    assert {"bulk_exportjob", "bulk_exportfile"} <= tables_read(primary)  # checks their ids on the primary)
    assert ExportFile.objects.get(resource_type="Patient").count == 3


def test_a_search_reads_the_primary_when_the_replica_fails_to_answer(on_the_pair):
    # the pair's primary keeps the rows of the test before (it is not the test database pytest-django resets)
    program = make_program("bay", "Bay Recovery")
    team = CareTeam.objects.create(program=program, name="Bay team")
    nurse = make_user("bay-nurse", program, Role.NURSE, team)
    patients.register_patient(acting_user=nurse, program=program, care_team=team, **patient_fields(mrn="B-1"))
    assert wait_for_replica(timeout=30)
    fhir = api_client_for(nurse)
    # The replica's session is left in a failed transaction (below Django, so Django does not know): its next
    # statement, the request's question how far behind it is, is answered with an error, as from a replica that is
    # shutting down. (The test cannot open a new connection to the replica: pytest-django allows only this one.)
    replica = connections[REPLICA]
    replica.settings_dict["CONN_HEALTH_CHECKS"] = False
    raw = replica.connection
    with contextlib.suppress(psycopg.errors.DivisionByZero):
        raw.execute("BEGIN")
        raw.execute("SELECT 1/0")
    primary = CaptureQueriesContext(connections[DEFAULT])
    with primary:
        response = fhir.get("/fhir/Patient", HTTP_ACCEPT="application/fhir+json")
    assert response.status_code == 200, response.content[:500]
    assert [entry["resource"]["resourceType"] for entry in response.json()["entry"]].count("Patient") == 1
    assert "patients_patient" in tables_read(primary)  # read on the primary instead
    assert replica.connection is None  # the failed connection was let go
