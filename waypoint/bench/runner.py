"""The benchmark run and the soak, on the database Django is configured for (the harness makes one)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psycopg
from django.db import connection
from django.utils import timezone

from waypoint.accounts.models import Program
from waypoint.seed import run as seeding

from . import measure, report, serve

PROGRAM = "bench"


def _postgres_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _board(program, requests: int) -> tuple[float, int, list[float]]:
    times, rows = measure.board_times(program, requests=requests)
    return measure.percentile(times, 0.95), rows, times


def _profile(label: str, fn, root: Path) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    fn()
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False)
    # paths relative to the repository: the committed profile does not name the machine's checkout
    text = text.replace(f"{Path(__file__).resolve().parents[2]}/", "")
    (root / "bench" / "results" / f"profile-{label}.txt").write_text(text)


PG_ONLY = "not measured: PostgreSQL only (raw COPY / psycopg floor)"
OTP_PROGRAM = "bench-otp"


def _dosing_queue(params: dict, log) -> tuple[measure.Figure, dict]:
    """An OTP of `otp_patients` with `otp_days` of daily doses and take-homes; the queue's server time."""
    from waypoint.seed.dosing import seed_otp

    patients, days = params["otp_patients"], params["otp_days"]
    log(f"seeding an opioid treatment program: {patients} patients, {days} days of doses")
    seeding.seed(OTP_PROGRAM, patients=patients, days=days, seed=19, in_withdrawal=0, progress=False)
    otp = Program.objects.get(slug=OTP_PROGRAM)
    dosed = seed_otp(otp, days=days, seed=19)
    if connection.vendor == "postgresql":
        _analyze()
    times, rows = measure.dosing_queue_times(otp, requests=params["requests"])
    p95 = measure.percentile(times, 0.95)
    log(f"dosing queue with {rows} patients, {dosed.doses:,} doses: p95 {p95:.1f} ms")
    figure = measure.Figure(
        "dosing_queue_p95_ms",
        p95,
        None,
        "ms",
        "< 50",
        p95 < 50,
        note=f"server time in-process (Django test client, full stack); {rows} patients on the queue, "
        f"{dosed.doses:,} doses and {dosed.bottles:,} take-home bottles over {days} days",
    )
    return figure, {"patients": rows, "doses": dosed.doses, "bottles": dosed.bottles, "p95_ms": p95}


def run(
    scale: str,
    params: dict,
    *,
    database_url: str,
    log,
    profile: bool = False,
    root: Path = report.ROOT,
    write_docs: bool = True,
    serving: bool = True,
) -> dict:
    """Every benchmark; on SQLite (the tiny test) the PostgreSQL-only floors are reported as not measured."""
    started = time.monotonic()
    postgres = connection.vendor == "postgresql"
    results: dict[str, measure.Figure] = {}
    detail: dict = {}

    log(f"seeding {params['board_patients']} patients in withdrawal management")
    first = seeding.seed(
        PROGRAM,
        patients=params["board_patients"],
        days=7,
        seed=9,
        in_withdrawal=params["board_patients"],
        progress=False,
    )
    program = Program.objects.get(slug=PROGRAM)
    _analyze()
    small_count = measure.assessment_count(program)
    small_p95, rows_small, _ = _board(program, params["requests"])
    log(f"board with {small_count} assessments: p95 {small_p95:.1f} ms, {rows_small} rows")
    detail["board_small"] = {
        "assessments": small_count,
        "p95_ms": small_p95,
        "rows": rows_small,
        "seed_rows_per_second": first.rows_per_second,
    }

    log(f"seeding history up to {params['history']:,} assessments")
    before = measure.max_assessment_id()
    history = seeding.seed(
        PROGRAM,
        patients=10_000_000,
        days=3 * 365,
        seed=11,
        in_withdrawal=0,
        assessment_target=params["history"] - small_count,
        progress=True,
    )
    _analyze()
    seed_rate = history.rows_per_second
    detail["seed"] = {"rows": history.rows, "seconds": history.seconds}
    if postgres:
        copy = measure.raw_copy_rate(before, params["copy_sample"])
        ratio = seed_rate / copy["rows_per_second"]
        results["seed_vs_copy_ratio"] = measure.Figure(
            "seed_vs_copy_ratio",
            seed_rate,
            copy["rows_per_second"],
            "rows/s",
            ">= 0.25",
            ratio >= 0.25,
            ratio,
            note=f"{history.total_rows:,} generated rows (all tables) vs raw COPY of {copy['rows']:,} of the same "
            "assessment rows into the same indexed table",
        )
        log(f"seed {seed_rate:,.0f} rows/s vs raw COPY {copy['rows_per_second']:,.0f} rows/s")
        detail["seed"]["copy"] = copy
    else:
        results["seed_vs_copy_ratio"] = measure.Figure(
            "seed_vs_copy_ratio", seed_rate, None, "rows/s", ">= 0.25", None, note=PG_ONLY
        )

    large_count = measure.assessment_count(program)
    large_p95, rows_large, _ = _board(program, params["requests"])
    growth = large_p95 / small_p95
    log(f"board with {large_count:,} assessments: p95 {large_p95:.1f} ms, {rows_large} rows")
    results["board_growth_ratio"] = measure.Figure(
        "board_growth_ratio",
        large_p95,
        small_p95,
        "ms p95",
        "<= 1.5",
        growth <= 1.5,
        growth,
        note=f"{rows_large} patients on the board; {large_count:,} vs {small_count:,} assessments",
    )
    results["board_p95_ms"] = measure.Figure(
        "board_p95_ms",
        large_p95,
        None,
        "ms",
        "< 50",
        large_p95 < 50,
        note="server time in-process (Django test client, full stack)",
    )
    if profile:
        _profile("board", lambda: measure.board_times(program, requests=5, warmup=0), root)

    results["dosing_queue_p95_ms"], detail["dosing_queue"] = _dosing_queue(params, log)
    if profile:
        otp = Program.objects.get(slug=OTP_PROGRAM)
        _profile("dosing-queue", lambda: measure.dosing_queue_times(otp, requests=5, warmup=0), root)

    patient_id = measure.flowsheet_patient(program, params["flowsheet"])
    if not postgres:
        api_p50 = measure.flowsheet_api_p50(program, patient_id, size=params["flowsheet"], requests=params["requests"])
        results["flowsheet_vs_raw_ratio"] = measure.Figure(
            "flowsheet_vs_raw_ratio", api_p50, None, "ms p50", "<= 3", None, note=PG_ONLY
        )
    elif patient_id is None:
        results["flowsheet_vs_raw_ratio"] = measure.Figure(
            "flowsheet_vs_raw_ratio", None, None, "ms p50", "<= 3", None, note="no patient with enough assessments"
        )
    else:
        flows = measure.flowsheet_vs_raw(
            program,
            patient_id,
            size=params["flowsheet"],
            requests=params["requests"],
            raw_connect=lambda: psycopg.connect(database_url),
        )
        ratio = flows["api_p50_ms"] / flows["raw_p50_ms"]
        results["flowsheet_vs_raw_ratio"] = measure.Figure(
            "flowsheet_vs_raw_ratio",
            flows["api_p50_ms"],
            flows["raw_p50_ms"],
            "ms p50",
            "<= 3",
            ratio <= 3,
            ratio,
            note=f"{flows['rows']} assessments per page, bearer token, audited read",
        )
        log(f"flowsheet {flows['api_p50_ms']:.2f} ms vs raw {flows['raw_p50_ms']:.2f} ms")
        if profile:
            _profile(
                "flowsheet",
                lambda: measure.flowsheet_vs_raw(
                    program,
                    patient_id,
                    size=params["flowsheet"],
                    requests=5,
                    raw_connect=lambda: psycopg.connect(database_url),
                ),
                root,
            )

    if serving and postgres:
        results.update(_serving(program, params, database_url, log))
    if postgres:
        for figure in measure.export_figures(
            program, small=params["export_small"], large=params["export_large"], database_url=database_url
        ):
            results[figure.key] = figure

    payload = {
        "scale": scale,
        "date": report.stamp(),
        "machine": report.machine(),
        "postgresql": _postgres_version() if postgres else None,
        "assessments": measure.assessment_count(),
        "seconds": time.monotonic() - started,
        "results": {key: figure.as_dict() for key, figure in results.items()},
        "detail": detail,
    }
    if write_docs:
        report.write_json(scale, payload, root)
        report.write_performance(payload, root)
    return payload


def _serving(program, params, database_url, log) -> dict:
    if not serve.wrk_available():
        absent = "not measured: wrk is not installed"
        return {
            "mix_vs_healthz_ratio": measure.Figure(
                "mix_vs_healthz_ratio", None, None, "requests/s", ">= 0.35", None, note=absent
            ),
            "audit_concurrency_ratio": measure.Figure(
                "audit_concurrency_ratio", None, None, "requests/s", ">= 1.5", None, note=absent
            ),
            "seal_lag_p95_s": measure.Figure("seal_lag_p95_s", None, None, "s", "< 5", None, note=absent),
        }
    cores = os.cpu_count() or 1
    server = serve.Server(database_url, workers=2 * cores)
    sealer = serve.Sealer(database_url)  # the audit sequencer beside the server, as `make run` and production
    sealer.start()
    since = timezone.now()
    try:
        server.start()
        try:
            found = serve.mix_vs_healthz(
                server, program, seconds=params["wrk_seconds"], connections=2 * cores * 2, single=True
            )
        finally:
            server.stop()
        lags = measure.seal_lags(since)
    finally:
        sealer.stop()
    mix, healthz = found["mix"], found["healthz"]
    ratio = mix.requests_per_second / healthz.requests_per_second
    zero = mix.errors == 0 and healthz.errors == 0
    log(f"mix {mix.requests_per_second:,.0f}/s ({mix.errors} errors) vs healthz {healthz.requests_per_second:,.0f}/s")
    note = (
        f"{mix.requests_per_second / cores:,.0f} mix requests/s per core ({cores} cores shared by server, "
        f"wrk and PostgreSQL); errors: mix {mix.errors}, healthz {healthz.errors}; published: "
        f"{report.PUBLISHED}"
    )
    single = found["mix_single"]
    concurrency = mix.requests_per_second / single.requests_per_second if single.requests_per_second else 0.0
    log(
        f"audited mix over {2 * cores * 2} connections {mix.requests_per_second:,.0f}/s "
        f"vs one {single.requests_per_second:,.0f}/s"
    )
    p95 = measure.percentile(lags, 0.95) if lags else None
    log(f"seal lag p95 {p95} s over {len(lags)} events")
    return {
        "mix_vs_healthz_ratio": measure.Figure(
            "mix_vs_healthz_ratio",
            mix.requests_per_second,
            healthz.requests_per_second,
            "requests/s",
            ">= 0.35, zero errors",
            ratio >= 0.35 and zero,
            ratio,
            note=note,
        ),
        "audit_concurrency_ratio": measure.Figure(
            "audit_concurrency_ratio",
            mix.requests_per_second,
            single.requests_per_second,
            "requests/s",
            ">= 1.5",
            concurrency >= 1.5 and zero and single.errors == 0,
            concurrency,
            note=f"the audited mix over {2 * cores * 2} connections vs 1 connection, same server and duration; "
            f"errors: {mix.errors} and {single.errors}",
        ),
        "seal_lag_p95_s": measure.Figure(
            "seal_lag_p95_s",
            p95,
            None,
            "s",
            "< 5",
            p95 is not None and p95 < 5,
            note=f"from each audit event's time (in its request's transaction) to its sealing by `waypoint audit "
            f"seal --follow` (a process beside the server, every 0.5 s), {len(lags):,} events of the mix runs",
        ),
    }


def soak(
    minutes: float,
    *,
    database_url: str,
    log,
    root: Path = report.ROOT,
    write_docs: bool = True,
    warmup_seconds: float | None = None,
) -> dict:
    seeding.seed(PROGRAM, patients=500, days=365, seed=13, in_withdrawal=200, progress=False)
    program = Program.objects.get(slug=PROGRAM)
    _analyze()
    cores = os.cpu_count() or 1
    server = serve.Server(database_url, workers=2 * cores)
    sealer = serve.Sealer(database_url)  # the audit sequencer beside the server, as in production
    sealer.start()
    try:
        server.start()
    except BaseException:
        sealer.stop()
        raise
    seconds = max(1, int(minutes * 60))
    warmup = warmup_seconds if warmup_seconds is not None else min(60.0, seconds / 10)
    sampler = serve.RssSampler(server, every=min(5.0, max(0.5, seconds / 20)))
    try:
        env = serve.mix_environment(program)
        sampler.start()
        log(f"soak: {seconds} s of the mix")
        result = serve.run_wrk(server.url, seconds=seconds, connections=2 * cores * 2, script=serve.MIX_SCRIPT, env=env)
        time.sleep(sampler.every)
    finally:
        sampler.stop()
        server.stop()
        sealer.stop()
    growth = sampler.growth(warmup)
    passed = result.errors == 0 and all(w["growth"] < 0.10 for w in growth.values())
    payload = {
        "date": report.stamp(),
        "machine": report.machine(),
        "minutes": minutes,
        "workers": 2 * cores,
        "connections": 2 * cores * 2,
        "warmup_seconds": warmup,
        "requests": result.requests,
        "requests_per_second": result.requests_per_second,
        "errors": result.errors,
        "workers_rss": {str(pid): w for pid, w in growth.items()},
        "passed": passed,
    }
    log(
        f"soak: {result.requests:,} requests, {result.errors} errors, growth "
        + ", ".join(f"{w['growth'] * 100:+.1f} %" for w in growth.values())
    )
    if write_docs:
        report.write_json("soak", payload, root)
        report.write_soak(payload, root)
    return payload
