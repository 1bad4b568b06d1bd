"""Fault injection: a load of writes and reads runs through gunicorn while its PostgreSQL server is stopped and
started again. The test starts its own PostgreSQL instance (initdb into a temporary folder, a private port), so
the machine's shared server is untouched. Every answer must be 2xx or 503 (never 500), service must resume by
itself after the restart, every write that answered 201 must be in the database, and the audit chain must
verify. Needs PostgreSQL's server binaries (Debian's postgresql package); with CI=true it must run."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from tests.conftest import COWS
from waypoint.bench.serve import Server, free_port

pytestmark = pytest.mark.slow  # real subprocesses or servers: left out of `make test-fast`

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ROOT = Path(__file__).resolve().parents[3]
CI = os.environ.get("CI", "").lower() == "true"


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PrivatePostgres:
    def __init__(self, folder: Path):
        self.folder, self.data, self.port = folder, folder / "data", free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/waypoint"

    def run(self, *args):
        subprocess.run(
            as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def init(self):
        subprocess.run(
            as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self):
        self.run(
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1",
            "start",
        )

    def stop(self):
        self.run("-m", "fast", "-w", "stop")


@pytest.fixture
def private_postgres():
    if not (PG_BIN / "initdb").exists():
        if CI:
            pytest.fail(f"{PG_BIN}/initdb is missing: .ci/run installs PostgreSQL's server binaries")
        pytest.skip("PostgreSQL server binaries not installed")
    folder = Path(tempfile.mkdtemp(prefix="waypoint-fault-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    server = PrivatePostgres(folder)
    server.init()
    server.start()
    try:
        with psycopg.connect(f"postgres://postgres@127.0.0.1:{server.port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE waypoint")
        yield server
    finally:
        subprocess.run(
            as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(server.data), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)


def waypoint(database_url: str, *args: str) -> str:
    env = dict(os.environ, DATABASE_URL=database_url)
    env.pop("WAYPOINT_TESTING", None)
    done = subprocess.run(
        [sys.executable, "-m", "waypoint", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def call(method: str, url: str, token: str, body=None, key=None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(
        url, data=json.dumps(body).encode() if body else None, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own loopback server
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        assert "Traceback" not in text and "OperationalError" not in text  # a clear message, no stack trace
        return error.code, {}


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="runs once, in the suite's PostgreSQL pass (it uses its own PostgreSQL instance, not the test database)",
)
def test_a_database_restart_under_load_loses_nothing_and_never_answers_500(private_postgres):
    url = private_postgres.url
    waypoint(url, "migrate", "--no-input")
    waypoint(url, "collectstatic", "--no-input", "--verbosity", "0")
    waypoint(url, "demo", "--patients", "4")
    token = waypoint(url, "apitoken", "nurse").strip().splitlines()[-1]
    server = Server(database_url=url, workers=2)
    server.start()
    try:
        status, listed = call("GET", f"{server.url}/api/v1/patients/", token)
        assert status == 200, status
        patient = listed["results"][0]["id"]
        answers: list[tuple[str, int, dict]] = []
        stop = threading.Event()
        counter = iter(range(10**6))
        lock = threading.Lock()

        def load():
            while not stop.is_set():
                with lock:
                    n = next(counter)
                taken = (timezone.now() - timedelta(minutes=30, seconds=n)).isoformat()
                status, body = call(
                    "POST",
                    f"{server.url}/api/v1/patients/{patient}/assessments/",
                    token,
                    {"instrument": "cows", "responses": COWS, "taken_at": taken},
                    key=str(uuid.uuid4()),
                )
                read, _ = call("GET", f"{server.url}/api/v1/patients/{patient}/", token)
                with lock:
                    answers.append(("post", status, body))
                    answers.append(("get", read, {}))

        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(3)
        private_postgres.stop()
        time.sleep(3)
        during = len(answers)
        private_postgres.start()
        restarted = time.monotonic()
        time.sleep(6)
        stop.set()
        for thread in threads:
            thread.join(60)
        statuses = Counter(status for _, status, _ in answers)
        print(f"fault injection: {len(answers)} requests, by status {dict(sorted(statuses.items()))}")
        assert set(statuses) <= {200, 201, 503}, statuses
        assert statuses[503] > 0  # the outage was seen
        assert any(status in (200, 201) for _, status, _ in answers[during:])  # and service resumed by itself
        assert time.monotonic() - restarted < 60
        created = [body["id"] for kind, status, body in answers if kind == "post" and status == 201]
        with psycopg.connect(url) as conn:
            stored = {
                row[0] for row in conn.execute("SELECT id FROM withdrawal_assessment WHERE patient_id = %s", [patient])
            }
        assert created and set(created) <= stored  # every write that answered 201 is there
        assert "audit chain intact" in waypoint(url, "audit", "verify")
        assert "Internal Server Error" not in server.output()  # the log has each fault's trace, as a 503
    finally:
        server.stop()
