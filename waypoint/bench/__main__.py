"""The harness: `python -m waypoint.bench run --scale small|full|tiny` and `python -m waypoint.bench soak`.

It creates its own PostgreSQL database (BENCH_DATABASE, default waypoint_bench; dropped at the end unless
--keep), migrates it, seeds it, measures every figure beside its floor in the same run and writes the
results. The server used is BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from urllib.parse import urlsplit, urlunsplit

SCALES = {
    # board: patients in withdrawal management; history: assessments to reach; requests per timing.
    "tiny": {
        "board_patients": 20,
        "otp_patients": 12,
        "otp_days": 10,
        "history": 3_000,
        "requests": 5,
        "flowsheet": 50,
        "wrk_seconds": 3,
        "copy_sample": 2_000,
        "export_small": 500,
        "export_large": 3_000,
    },
    "small": {
        "board_patients": 500,
        "otp_patients": 400,
        "otp_days": 90,
        "history": 300_000,
        "requests": 40,
        "flowsheet": 200,
        "wrk_seconds": 10,
        "copy_sample": 100_000,
        "export_small": 10_000,
        "export_large": 100_000,
    },
    "full": {
        "board_patients": 500,
        "otp_patients": 400,
        "otp_days": 365,
        "history": 10_000_000,
        "requests": 60,
        "flowsheet": 200,
        "wrk_seconds": 30,
        "copy_sample": 1_000_000,
        "export_small": 100_000,
        "export_large": 1_000_000,
    },
}
HISTORY_DAYS = 1095


def database_urls(name: str) -> tuple[str, str]:
    admin = os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(admin)
    return admin, urlunsplit(parts._replace(path=f"/{name}"))


def recreate(admin_url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waypoint.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def peak_rss_mib() -> float:
    """This process's own peak resident set size. Linux keeps `ru_maxrss` across exec, so a child started by a
    big parent (the benchmark, after seeding millions of rows) would report the parent's size; the memory
    map's high-water mark (VmHWM) starts afresh at exec."""
    import resource

    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def export_once(slug: str, limit: int) -> int:
    """Run one export on the database of DATABASE_URL and print {resources, seconds, peak_rss_mib} as JSON."""
    import json

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waypoint.settings")
    import django

    django.setup()
    from waypoint.accounts.models import Program
    from waypoint.accounts.scoping import program_scope

    from . import measure

    program = Program.objects.get(slug=slug)
    started = time.perf_counter()
    with program_scope(program.pk):  # the benchmark's one program, as the bulk worker does
        written = measure.run_bulk_export(program, limit)
    seconds = time.perf_counter() - started
    print(json.dumps({"resources": written, "seconds": seconds, "peak_rss_mib": peak_rss_mib()}))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m waypoint.bench")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="the benchmarks (make bench)")
    run.add_argument("--scale", choices=sorted(SCALES), default="small")
    run.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    run.add_argument("--profile", action="store_true", help="write pyinstrument profiles to bench/results/")
    soak = sub.add_parser("soak", help="the soak test (make soak)")
    soak.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", 10)))
    soak.add_argument("--keep", action="store_true")
    once = sub.add_parser("export-once", help="one bulk export in this process (export_figures runs it)")
    once.add_argument("--program", required=True)
    once.add_argument("--limit", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "export-once":
        return export_once(args.program, args.limit)
    name = os.environ.get("BENCH_DATABASE", "waypoint_bench" if args.command == "run" else "waypoint_soak")
    admin, url = database_urls(name)
    recreate(admin, name)
    try:
        setup_django(url)
        from waypoint.accounts.scoping import scopes_disabled

        from . import runner

        with scopes_disabled():  # sanctioned: the benchmark seeds and counts its own throwaway database
            if args.command == "run":
                payload = runner.run(args.scale, SCALES[args.scale], database_url=url, log=log, profile=args.profile)
                ok = True
            else:
                payload = runner.soak(args.minutes, database_url=url, log=log)
                ok = payload["passed"]
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            recreate(admin, name, drop_only=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
