"""The seed's generators, one per area, in load order; later areas add theirs without touching this package.

An area adds rows to synthetic histories by registering a `Generator` from a module named `seeding` in its
app (found by autodiscovery when `waypoint seed` runs), e.g. `waypoint/treatment/seeding.py`:

    from waypoint.seed.registry import Generator, register

    def plan_rows(ctx, patient):            # ctx: waypoint.seed.run.Context; patient: plan.PatientPlan
        for episode in patient.episodes:
            yield (ctx.program.pk, patient.id, episode.id, ...)

    register(Generator("treatment.plans", "treatment.TreatmentPlan",
                       ("program_id", "patient_id", "episode_id", ...), plan_rows, after="placements"))

A generator yields one tuple per row, in its `columns`' order (database column names). JSON columns take
JSON text; times are aware datetimes (UTC). Rows are loaded with COPY on PostgreSQL and in large batches
on SQLite, in registry order, so a generator may reference the patients, episodes and level-of-care stays
(their ids are set on the plan before any generator runs) and rows of generators registered before it.
`counts_as` names what the progress bar and the result count (e.g. "assessments").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Generator:
    name: str
    model: str  # "app_label.ModelName"
    columns: tuple[str, ...]
    rows: Callable[..., Iterable[tuple]]
    after: str | None = None  # insert after this generator's name (default: at the end)


GENERATORS: list[Generator] = []


def register(generator: Generator) -> None:
    """Add (or replace, by name) a generator; `after` places it behind the generator it depends on."""
    for i, existing in enumerate(GENERATORS):
        if existing.name == generator.name:
            GENERATORS[i] = generator
            return
    if generator.after is not None:
        for i, existing in enumerate(GENERATORS):
            if existing.name == generator.after:
                GENERATORS.insert(i + 1, generator)
                return
    GENERATORS.append(generator)
