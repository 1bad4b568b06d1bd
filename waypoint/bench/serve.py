"""Serving benchmarks: gunicorn on loopback (127.0.0.1 only) driven by wrk, and worker memory from /proc."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from waypoint.accounts.models import ApiToken
from waypoint.patients.models import LevelOfCareStay
from waypoint.scales import get_instrument
from waypoint.withdrawal import board

from .measure import bench_user

MIX_SCRIPT = Path(__file__).with_name("mix.lua")
# Seconds gunicorn gets to answer /healthz with all its workers: on a shared machine under load (other suites
# beside the benchmark) 30 s was not always enough for the workers to import Django.
START_SECONDS = 120


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(database_url: str) -> dict:
    """The environment of a process the benchmark starts on its database (the server, the sequencer)."""
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="waypoint.settings",
        PYTHONPATH=os.pathsep.join(filter(None, [str(Path(__file__).parents[2]), os.environ.get("PYTHONPATH")])),
    )
    env.pop("WAYPOINT_TESTING", None)
    return env


@dataclass
class Sealer:
    """The audit sequencer (`waypoint audit seal --follow`) in its own process beside the server, as in production."""

    database_url: str
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "waypoint", "audit", "seal", "--follow", "--interval", "0.5"],
            env=environment(self.database_url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Server:
    """A gunicorn master on 127.0.0.1 with sync workers; stopped by `stop()` (TERM to its own pid)."""

    database_url: str
    workers: int
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log: Any = None  # the server's stderr, a temporary file, while it runs

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = environment(self.database_url)
        # The server's own output goes to a file: a pipe nobody reads would fill and stall the workers.
        self.log = tempfile.NamedTemporaryFile("w+", prefix="waypoint-bench-gunicorn-", suffix=".log")  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "waypoint.wsgi",
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--worker-class",
                "sync",
                "--log-level",
                "warning",
                "--access-logfile",
                "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            text=True,
        )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:  # noqa: S310 - loopback  # nosec: B310
                    if answer.status == 200 and len(self.worker_pids()) == self.workers:
                        return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.output()[-2000:]}")
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /healthz within {START_SECONDS} s")

    def output(self) -> str:
        """What the server wrote to stderr so far (warnings, errors)."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "log", None) is not None:
            self.log.close()
            self.log = None


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class WrkResult:
    requests: int
    seconds: float
    requests_per_second: float
    errors: int  # non-2xx/3xx answers + socket errors
    detail: str

    def as_dict(self) -> dict:
        return {
            "requests": self.requests,
            "seconds": self.seconds,
            "requests_per_second": self.requests_per_second,
            "errors": self.errors,
        }


def _required(pattern: str, output: str) -> re.Match[str]:
    """A line wrk prints after every run; when it is missing (wrk failed), a RuntimeError showing what wrk said."""
    found = re.search(pattern, output)
    if found is None:
        raise RuntimeError(f"wrk printed no line matching {pattern!r}: {output[-2000:]}")
    return found


def parse_wrk(output: str) -> WrkResult:
    requests = int(_required(r"(\d+) requests in ([\d.]+)(\w+)", output).group(1))
    amount, unit = _required(r"requests in ([\d.]+)(\w+)", output).groups()
    seconds = float(amount) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    rps = float(_required(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = 0
    found = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if found:
        errors += int(found.group(1))
    found = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if found:
        errors += sum(int(x) for x in found.groups())
    return WrkResult(requests, seconds, rps, errors, output)


def run_wrk(
    url: str, *, seconds: int, connections: int, threads: int = 2, script: Path | None = None, env: dict | None = None
) -> WrkResult:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, url],
        capture_output=True,
        text=True,
        check=True,  # noqa: S603
        env=dict(os.environ, **(env or {})),
        timeout=seconds + 60,
    ).stdout
    return parse_wrk(output)


def mix_environment(program, *, tokens: int = 4) -> dict:
    """Bearer tokens for the seed nurse and the patients on the board (the mix records COWS for them)."""
    user = bench_user(program)
    raw = [ApiToken.issue(user, days=1, label="benchmark mix")[1] for _ in range(tokens)]
    patients = list(
        LevelOfCareStay.objects.filter(
            program=program, ended_at__isnull=True, level_code__in=board.board_levels(program)
        )
        .order_by("patient_id")
        .values_list("patient_id", flat=True)[:200]
    )
    if not patients:
        raise RuntimeError("no patient in withdrawal management to record scores for")
    cows = get_instrument("cows")
    responses = {item.key: min(item.scores) for item in cows.items}
    responses["sweating"] = 1
    responses.pop("resting_pulse")  # derived from the measured pulse
    body = json.dumps({"instrument": "cows", "responses": responses, "vitals": {"pulse_bpm": 72}})
    return {"WP_TOKENS": ",".join(raw), "WP_PATIENTS": ",".join(map(str, patients)), "WP_BODY": body}


def mix_vs_healthz(server: Server, program, *, seconds: int, connections: int, single: bool = False) -> dict:
    """/healthz and the audited mix with `connections`; with `single`, the mix again over one connection (the
    audit trail must not serialise audited requests: `audit_concurrency_ratio`)."""
    env = mix_environment(program)
    healthz = run_wrk(f"{server.url}/healthz", seconds=seconds, connections=connections)
    mix = run_wrk(server.url, seconds=seconds, connections=connections, script=MIX_SCRIPT, env=env)
    found = {"healthz": healthz, "mix": mix}
    if single:
        found["mix_single"] = run_wrk(server.url, seconds=seconds, connections=1, threads=1, script=MIX_SCRIPT, env=env)
    return found


class RssSampler(threading.Thread):
    """Samples each worker's resident memory every `every` seconds until stopped."""

    def __init__(self, server: Server, every: float = 5.0):
        super().__init__(daemon=True)
        self.server, self.every = server, every
        self.samples: dict[int, list[tuple[float, int]]] = {}
        self._stop_event = threading.Event()
        self.started_at = time.monotonic()

    def run(self) -> None:
        while not self._stop_event.is_set():
            now = time.monotonic() - self.started_at
            for pid in self.server.worker_pids():
                kib = rss_kib(pid)
                if kib is not None:
                    self.samples.setdefault(pid, []).append((now, kib))
            self._stop_event.wait(self.every)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def growth(self, warmup_seconds: float) -> dict[int, dict]:
        """Per worker: RSS at the end of the warm-up, at the end, and the growth between them."""
        found = {}
        for pid, samples in self.samples.items():
            after = [kib for at, kib in samples if at >= warmup_seconds] or [kib for _, kib in samples]
            base, last = after[0], after[-1]
            found[pid] = {
                "baseline_kib": base,
                "final_kib": last,
                "peak_kib": max(after),
                "growth": (last - base) / base if base else 0.0,
                "samples": len(samples),
            }
        return found
