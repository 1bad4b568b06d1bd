"""`waypoint seed`: build deterministic synthetic histories for one program and load them in bulk.

The audit trail: seeded rows are synthetic and were never entered, read or changed by anyone, so they carry
no per-row audit events (ten million "assessment.create" events would describe work that never happened).
Each run appends ONE event, `seed.run`, in the same transaction as the rows it loaded, naming the program,
the arguments and the row counts; `waypoint audit verify` therefore still verifies after a seed, and the
audit page shows when and by which command synthetic data entered a program. Reads and writes made later
through the application (e.g. by the benchmarks) are audited as usual.

A program receives seeded data only when `waypoint seed` created it or seeded it before (a `seed.run`
event exists for it): synthetic rows never land in a program that holds real patients.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils.module_loading import autodiscover_modules

from waypoint.accounts.models import CareTeam, Membership, Program, ProgramLevel, User
from waypoint.accounts.roles import Role
from waypoint.accounts.scoping import scopes_disabled
from waypoint.audit import trail as audit
from waypoint.audit.models import AuditEvent
from waypoint.placement import rules
from waypoint.placement.levels import level as level_of
from waypoint.placement.levels import levels_of
from waypoint.scales import INSTRUMENTS
from waypoint.withdrawal import board
from waypoint.withdrawal import settings as protocol

from . import areas, plan, synth
from .load import Sink
from .registry import GENERATORS

SEED_LEVELS = (("3.7-WM", None), ("3.5", None), ("2.5", None), ("2.1", None), ("1", None), ("OTP", None))
SEED_STAFF = (
    ("seed-nurse-1", Role.NURSE),
    ("seed-nurse-2", Role.NURSE),
    ("seed-nurse-3", Role.NURSE),
    ("seed-counselor", Role.COUNSELOR),
    ("seed-intake", Role.INTAKE),
    ("seed-director", Role.DIRECTOR),
)
TEAM = "Seed team"
CHUNK = 250  # patients generated and loaded together


class SeedRefused(Exception):
    """The program exists and was not made by the seed: synthetic rows would mix with real ones."""


@dataclass
class Context:
    """What every generator may use: the program, the staff, the clock, the random generator, answer pools."""

    program: Program
    now: datetime
    rng: random.Random
    pools: synth.AnswerPools
    nurses: list[int]
    counselor: int
    intake: int
    team_id: int
    wm_levels: set[str]
    interval_hours: float
    placement_table: dict
    severity: dict[str, dict[int, str]] = field(default_factory=dict)

    @property
    def edition(self) -> int:
        return self.program.asam_edition

    def nurse(self, patient) -> int:
        return self.nurses[patient.number % len(self.nurses)]

    def label(self, code: str) -> str:
        return level_of(self.edition, code).label

    def has_beds(self, code: str) -> bool:
        return level_of(self.edition, code).has_beds


@dataclass
class Result:
    program: str
    patients: int
    rows: dict[str, int]
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0


class Progress:
    """A small progress bar on stderr: redrawn in place on a terminal, every tenth otherwise."""

    def __init__(self, total: int, label: str, stream=None, enabled: bool = True):
        self.total, self.label, self.stream, self.enabled = max(total, 1), label, stream or sys.stderr, enabled
        self.done, self.started, self._shown = 0, time.monotonic(), -1
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, done: int, extra: str = "") -> None:
        self.done = min(done, self.total)
        if not self.enabled:
            return
        fraction = self.done / self.total
        step = int(fraction * 10)
        if not self.tty and step == self._shown and self.done < self.total:
            return
        self._shown = step
        bar = "#" * int(fraction * 30)
        elapsed = time.monotonic() - self.started
        line = f"{self.label} [{bar:<30}] {self.done}/{self.total} {elapsed:5.0f}s {extra}"
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")


def _staff(program: Program) -> tuple[list[int], int, int, int]:
    team, _ = CareTeam.objects.get_or_create(program=program, name=TEAM)
    ids = {}
    for username, role in SEED_STAFF:
        user, created = User.objects.get_or_create(
            username=f"{username}@{program.slug}",
            defaults={"first_name": username.split("-")[1].title(), "last_name": "(synthetic)"},
        )
        if created:
            user.password = make_password(None)  # unusable: seeded staff cannot sign in
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, program=program, defaults={"role": role})
        if role in (Role.NURSE, Role.COUNSELOR):
            team.members.add(user)
        ids[username] = user.pk
    nurses = [ids[name] for name, role in SEED_STAFF if role == Role.NURSE]
    return nurses, ids["seed-counselor"], ids["seed-intake"], team.pk


def seed_program(slug: str, *, force: bool = False) -> Program:
    program = Program.objects.filter(slug=slug).first()
    if program is None:
        program = Program.objects.create(slug=slug, name=f"{slug} (synthetic)", time_zone="America/New_York")
        for code, capacity in SEED_LEVELS:
            ProgramLevel.objects.create(program=program, code=code, capacity=capacity)
        return program
    seeded = AuditEvent.objects.filter(program_id=program.pk, action="seed.run").exists()
    if not seeded and not force:
        raise SeedRefused(
            f"Program {slug!r} exists and was not created by `waypoint seed`: refusing to add "
            "synthetic patients to it (pass --force if it is a test program)."
        )
    return program


def _chunk_size(left: int, made: int, assessments: int, target: int | None) -> int:
    """CHUNK patients at a time; near an assessment target, about as many as the target still needs."""
    size = min(CHUNK, left)
    if target and made:
        per_patient = max(assessments / made, 1.0)
        size = min(size, max(1, int((target - assessments) / per_patient) + 1))
    elif target:
        size = min(size, 10)
    return size


def seed(
    slug: str,
    *,
    patients: int,
    days: int,
    seed: int = 1,
    in_withdrawal: int | None = None,
    now: datetime | None = None,
    force: bool = False,
    progress: bool = True,
    assessment_target: int | None = None,
    acting_user: User | None = None,
) -> Result:
    """Generate and load `patients` synthetic histories over the last `days` days, in one transaction.

    `in_withdrawal` patients (default: 5 %) are in withdrawal management now; `assessment_target` stops
    after the chunk in which that many assessments have been loaded (the benchmarks size by rows).
    """
    areas.register_core()  # first (idempotent), so that a later area can place its generator after a core one
    autodiscover_modules("seeding")
    started = time.monotonic()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    in_withdrawal = round(patients * 0.05) if in_withdrawal is None else min(in_withdrawal, patients)
    counts = {g.name: 0 for g in GENERATORS}
    with transaction.atomic(), scopes_disabled():  # sanctioned: seed loads synthetic rows into the program it made
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # check foreign keys per COPY, not all at commit
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        program = seed_program(slug, force=force)
        nurses, counselor, intake, team_id = _staff(program)
        offset = program.patients.filter(mrn__startswith=plan.MRN_PREFIX).count()
        rng = random.Random(f"waypoint-seed:{seed}:{offset}")
        wm_levels = set(board.board_levels(program))
        offered = set(program.levels.filter(active=True).values_list("code", flat=True))
        wm_level = next(
            (
                code
                for code in (lv.code for lv in levels_of(program.asam_edition))
                if code in wm_levels and code in offered
            ),
            None,
        )
        if wm_level is None:
            raise SeedRefused(f"Program {slug!r} offers no withdrawal-management level.")
        ctx = Context(
            program=program,
            now=now,
            rng=rng,
            pools=synth.AnswerPools(rng, skip=("resting_pulse",)),
            nurses=nurses,
            counselor=counselor,
            intake=intake,
            team_id=team_id,
            wm_levels=wm_levels,
            interval_hours=protocol.ASSESSMENT_INTERVAL_HOURS.get(program),
            placement_table=rules.default_table(program.asam_edition),
            severity={code: synth.severity_table(code) for code in INSTRUMENTS},
        )
        sink = Sink()
        bar = Progress(assessment_target or patients, "seed", enabled=progress)
        made = 0
        start = 0
        while start < patients:
            size = _chunk_size(patients - start, made, counts.get("assessments", 0), assessment_target)
            batch = [
                plan.plan_patient(
                    rng,
                    offset + start + i + 1,
                    now=now,
                    days=days,
                    offered=offered,
                    wm_level=wm_level,
                    in_withdrawal=start + i < in_withdrawal,
                )
                for i in range(size)
            ]
            _assign_ids(sink, batch)
            for generator in GENERATORS:
                if not _model_exists(generator.model):
                    continue  # an area that is not installed
                rows = [row for patient in batch for row in generator.rows(ctx, patient)]
                sink.write(generator.model, generator.columns, rows)
                counts[generator.name] += len(rows)
            made += size
            start += size
            bar.update(
                counts.get("assessments", 0) if assessment_target else made,
                f"{counts.get('assessments', 0)} assessments",
            )
            if assessment_target and counts.get("assessments", 0) >= assessment_target:
                break
        bar.close()
        result = Result(slug, made, counts, time.monotonic() - started)
        audit.record(
            acting_user,
            "seed.run",
            program=program,
            detail={
                "patients": made,
                "days": days,
                "seed": seed,
                "in_withdrawal": in_withdrawal,
                "now": now.isoformat(),
                "rows": counts,
                "synthetic": True,
            },
        )
    result.seconds = time.monotonic() - started
    return result


def _model_exists(label: str) -> bool:
    try:
        apps.get_model(label)
    except LookupError:
        return False
    return True


def _assign_ids(sink: Sink, batch: list[plan.PatientPlan]) -> None:
    for patient, pk in zip(batch, sink.allocate_ids("patients.Patient", len(batch)), strict=True):
        patient.id = pk
    episodes = [e for p in batch for e in p.episodes]
    for episode, pk in zip(episodes, sink.allocate_ids("patients.Episode", len(episodes)), strict=True):
        episode.id = pk
    stays = [s for e in episodes for s in e.stays]
    for stay, pk in zip(stays, sink.allocate_ids("patients.LevelOfCareStay", len(stays)), strict=True):
        stay.id = pk
