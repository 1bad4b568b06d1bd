"""In-process benchmarks: each figure is measured beside its floor in the same run.

Server time is measured in-process: the Django test client drives the full WSGI stack (middleware,
authentication, view, database, template or serializer, audit event) against the real database, and the
clock runs around `client.get`, so no network or HTTP parsing is counted.
"""

from __future__ import annotations

import io
import re
import statistics
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from waypoint.accounts.models import ApiToken, User
from waypoint.seed.areas import ASSESSMENT_COLUMNS
from waypoint.withdrawal.models import Assessment


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-share * len(ordered) // 1))))
    return ordered[rank - 1]


@dataclass
class Figure:
    """One benchmark result: the figure, its floor, their ratio and the target it is held to."""

    key: str
    figure: float | None
    floor: float | None
    unit: str
    target: str
    met: bool | None
    ratio: float | None = None
    note: str = ""

    def as_dict(self) -> dict:
        return {
            "figure": self.figure,
            "floor": self.floor,
            "ratio": self.ratio,
            "unit": self.unit,
            "target": self.target,
            "met": self.met,
            "note": self.note,
        }


def timed_ms(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def bench_user(program) -> User:
    """The seed's first nurse: on the care team of every seeded patient."""
    return User.objects.get(username=f"seed-nurse-1@{program.slug}")


def signed_in(user) -> Client:
    """A client with both sign-in steps passed: the password step (force_login) and the second factor, by
    django-otp's own login with the user's TOTP authenticator (made for the benchmark if they have none)."""
    import django_otp
    from django.http import HttpRequest

    from waypoint.accounts.two_factor import authenticator

    client = Client()
    client.force_login(user)
    device = authenticator(user) or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    session = client.session
    request = HttpRequest()
    request.session, request.user = session, user
    django_otp.login(request, device)
    session.save()
    return client


def board_times(program, *, requests: int, warmup: int = 3) -> tuple[list[float], int]:
    """Server times (ms) of the withdrawal board page for the seed nurse, and the number of rows shown."""
    client = signed_in(bench_user(program))
    path = f"/withdrawal/board/?program={program.slug}"
    rows = 0
    for _ in range(warmup):
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        rows = response.content.count(b"Score COWS")
    return [timed_ms(lambda: client.get(path)) for _ in range(requests)], rows


def flowsheet_patient(program, size: int) -> int | None:
    """A patient with at least `size` assessments in force (the flowsheet's page)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT patient_id FROM withdrawal_assessment WHERE program_id = %s AND record_status = 'final' "
            "GROUP BY patient_id HAVING count(*) >= %s ORDER BY patient_id LIMIT 1",
            [program.pk, size],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def api_client(program) -> Client:
    _, token = ApiToken.issue(bench_user(program), days=1, label="benchmark")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def flowsheet_api_p50(program, patient_id: int | None, *, size: int, requests: int) -> float:
    """p50 (ms) of the flowsheet API alone (SQLite runs of the benchmark code, which have no psycopg floor)."""
    if patient_id is None:
        patient_id = Assessment.objects.filter(program=program).values_list("patient_id", flat=True).first()
    client = api_client(program)
    path = f"/api/v1/patients/{patient_id}/assessments/?page_size={size}"
    assert client.get(path).status_code == 200
    return statistics.median(timed_ms(lambda: client.get(path)) for _ in range(requests))


RAW_FLOWSHEET = (
    "SELECT a.id, a.patient_id, a.episode_id, a.instrument, a.instrument_version, a.taken_at, a.responses, "
    "a.total, a.severity, a.derived, a.pulse_bpm, a.systolic_mmhg, a.diastolic_mmhg, a.respiratory_rate, "
    "a.temperature_c, a.spo2_percent, a.note, a.reporter, a.source, a.late_entry_reason, u.username, "
    "a.recorded_at, a.record_status, a.version, a.replaces_id, a.change_reason "
    "FROM withdrawal_assessment a JOIN accounts_user u ON u.id = a.recorded_by_id "
    "WHERE a.patient_id = %s AND a.record_status = 'final' ORDER BY a.taken_at DESC, a.id DESC LIMIT %s"
)


def flowsheet_vs_raw(program, patient_id: int, *, size: int, requests: int, raw_connect) -> dict:
    """p50 of the flowsheet API (`size` assessments, bearer token) against a raw psycopg query of the same rows.

    `raw_connect()` opens a psycopg connection of its own (the floor: the driver and the database only)."""
    client = api_client(program)
    path = f"/api/v1/patients/{patient_id}/assessments/?page_size={size}"
    first = client.get(path)
    assert first.status_code == 200, first.content[:300]
    count = len(first.json()["results"])
    api, raw = [], []
    with raw_connect() as conn:
        params = (patient_id, size + 1)  # the cursor pagination reads one row more than the page
        for _ in range(3):
            conn.execute(RAW_FLOWSHEET, params).fetchall()
        for _ in range(requests):
            api.append(timed_ms(lambda: client.get(path)))
            raw.append(timed_ms(lambda: conn.execute(RAW_FLOWSHEET, params).fetchall()))
    return {"api_p50_ms": statistics.median(api), "raw_p50_ms": statistics.median(raw), "rows": count}


# the assessment columns the seed copies in (one list: a column added to the model is added there once)
COPY_COLUMNS = ASSESSMENT_COLUMNS


def raw_copy_rate(after_id: int, limit: int) -> dict:
    """Rows/s of a raw COPY FROM STDIN of already generated assessment rows into the same indexed table.

    The rows (ids above `after_id`, at most `limit`) are first read out with COPY TO; the timed COPY FROM
    runs in a transaction that is rolled back, with constraints checked immediately as the seed does."""
    columns = ", ".join(COPY_COLUMNS)
    buffer = io.BytesIO()
    connection.ensure_connection()
    raw = connection.connection
    query = (
        f"COPY (SELECT {columns} FROM withdrawal_assessment WHERE id > {int(after_id)} "  # noqa: S608  # nosec: B608  # our own column names and an int
        f"ORDER BY id LIMIT {int(limit)}) TO STDOUT"
    )
    with raw.cursor() as cursor, cursor.copy(query) as copy:
        for block in copy:
            buffer.write(block)
    data = buffer.getvalue()
    rows = data.count(b"\n")
    started = time.perf_counter()
    try:
        with transaction.atomic():
            with raw.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                with cursor.copy(f"COPY withdrawal_assessment ({columns}) FROM STDIN") as copy:
                    view = memoryview(data)
                    for start in range(0, len(view), 1 << 20):
                        copy.write(view[start : start + (1 << 20)])
            seconds = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return {"rows": rows, "seconds": seconds, "rows_per_second": rows / seconds if seconds else 0.0}


class _Rollback(Exception):
    pass


def observation_copy_rate(program, limit: int) -> dict:
    """The export floor: rows/s of a raw `COPY (SELECT ...) TO STDOUT` of the program's assessments."""
    connection.ensure_connection()
    started, size, rows = time.perf_counter(), 0, 0
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(
            f"COPY (SELECT {', '.join(COPY_COLUMNS)}, id FROM withdrawal_assessment "  # noqa: S608  # nosec: B608  # our own column names and an int
            f"WHERE program_id = {int(program.pk)} LIMIT {int(limit)}) TO STDOUT"
        ) as copy,
    ):
        for block in copy:
            size += len(block)
            rows += bytes(block).count(b"\n")
    seconds = time.perf_counter() - started
    return {"rows": rows, "bytes": size, "seconds": seconds, "rows_per_second": rows / seconds if seconds else 0.0}


# ---------------------------------------------------------------------------------------------------------
# Bulk export (issue 8's waypoint.bulk): the program's Observations, exported the way the worker does
# (`waypoint.bulk.export.run`), each size in a fresh subprocess so that its peak RSS is its own.
# ---------------------------------------------------------------------------------------------------------


def run_bulk_export(program, limit: int) -> int:
    """Export the Observations of the program's newest `limit` assessments (chosen with `_since`, as a client
    would) with the bench nurse as the client; returns the resources written. The files are removed after."""
    from datetime import timedelta

    from waypoint.bulk import export, storage
    from waypoint.bulk.models import ExportJob

    newest = (
        Assessment.objects.filter(program=program)
        .order_by("-recorded_at")
        .values_list("recorded_at", flat=True)[limit - 1 : limit]
        .first()
    )
    job = ExportJob.objects.create(
        program=program,
        owner=bench_user(program),
        level=ExportJob.Level.SYSTEM,
        types=["Observation"],
        request_url="bench",
        since=newest - timedelta(microseconds=1) if newest else None,
    )
    try:
        export.run(job)
        return sum(file.count for file in job.files.all())
    finally:
        storage.remove(job)


def export_in_subprocess(program, limit: int, database_url: str) -> dict:
    """`python -m waypoint.bench export-once`: {resources, seconds, peak_rss_mib} of one export."""
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, DATABASE_URL=database_url)
    out = subprocess.run(
        [sys.executable, "-m", "waypoint.bench", "export-once", "--program", program.slug, "--limit", str(limit)],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"export-once --limit {limit} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def export_figures(program, *, small: int, large: int, database_url: str) -> list[Figure]:
    floor = observation_copy_rate(program, large)
    big = export_in_subprocess(program, large, database_url)
    little = export_in_subprocess(program, small, database_url)
    rate = big["resources"] / big["seconds"] if big["seconds"] else 0.0
    ratio = rate / floor["rows_per_second"] if floor["rows_per_second"] else None
    growth = big["peak_rss_mib"] / little["peak_rss_mib"]
    return [
        Figure(
            "export_vs_copy_ratio",
            rate,
            floor["rows_per_second"],
            "resources/s",
            ">= 0.10",
            ratio is not None and ratio >= 0.10,
            ratio,
            note=f"{big['resources']:,} Observations (COWS/SOWS totals and vital signs) of the newest "
            f"{large:,} assessments in {big['seconds']:.1f} s; floor: COPY of {floor['rows']:,} rows",
        ),
        Figure(
            "export_memory_growth_ratio",
            big["peak_rss_mib"],
            little["peak_rss_mib"],
            "peak RSS MiB",
            "<= 1.2",
            growth <= 1.2,
            growth,
            note=f"{big['resources']:,} vs {little['resources']:,} resources, each export in its own process",
        ),
    ]


def assessment_count(program=None) -> int:
    rows = Assessment.objects.all()
    if program is not None:
        rows = rows.filter(program=program)
    return rows.count()


def max_assessment_id() -> int:
    return Assessment.objects.order_by("-id").values_list("id", flat=True).first() or 0


def dosing_queue_times(program, *, requests: int, warmup: int = 3) -> tuple[list[float], int]:
    """Server times (ms) of the dosing window's queue for the seed nurse, and the number of patients on it."""
    client = signed_in(bench_user(program))
    path = "/dosing/"  # the seed nurse belongs to this one program
    rows = 0
    for _ in range(warmup):
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        found = re.search(rb'data-queue-patients="(\d+)"', response.content)
        rows = int(found.group(1)) if found else 0  # every patient with an order, a page of them shown
    return [timed_ms(lambda: client.get(path)) for _ in range(requests)], rows


def seal_lags(since, *, wait_seconds: float = 60.0) -> list[float]:
    """Seconds from each audit event's time (taken in its transaction, just before its commit) to its sealing, for
    the events written since `since`; first waits (at most `wait_seconds`) for the sequencer to seal them all."""
    from django.db.models import DurationField, ExpressionWrapper, F

    from waypoint.privacy.models import AuditEvent

    events = AuditEvent.objects.filter(at__gte=since)
    deadline = time.monotonic() + wait_seconds
    while events.filter(hash__isnull=True).exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    lag = ExpressionWrapper(F("sealed_at") - F("at"), output_field=DurationField())
    found = events.filter(sealed_at__isnull=False).annotate(lag=lag).values_list("lag", flat=True)
    late = events.filter(hash__isnull=True).count()  # still unsealed after the wait: counted as the wait
    return [value.total_seconds() for value in found] + [wait_seconds] * late
