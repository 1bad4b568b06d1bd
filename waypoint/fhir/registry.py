"""What the FHIR facade and the bulk export can emit, declared once per kind of record.

Each area that has records to expose registers a `ResourceKind`: where its rows live, how a row
becomes FHIR resources, and whether those resources hold substance use disorder information (42 CFR
Part 2). The read/search API (`waypoint.fhir.views`) and the bulk export (`waypoint.bulk`) both read
this registry, so a record type is mapped once and exported the same way it is served. Whether a kind is Part 2
and which consent information covers it is not declared here but read from the kind of clinical record it
carries (waypoint/records/), the same declaration the printed and API disclosures read.

Rows are read in primary-key order, a page at a time (keyset paging: `pk > last`), so any kind must
have a queryset that can be filtered by program, by patient and by last-updated time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from waypoint.records import discovery as records
from waypoint.records.registry import RecordKind


def by_pk(prefix: str = "") -> Callable[[str], Q | None]:
    """`parse_id` for ids made of a prefix and the row's primary key, e.g. "episode-12" (prefix "episode-")."""
    pattern = re.compile(re.escape(prefix) + r"([1-9][0-9]{0,17})")

    def parse(resource_id: str) -> Q | None:
        match = pattern.fullmatch(resource_id)
        return Q(pk=int(match.group(1))) if match else None

    return parse


@dataclass(frozen=True)
class ResourceKind:
    key: str  # unique name of this mapping, e.g. "cows-total"
    resource_type: str  # the FHIR resource type it emits, e.g. "Observation"
    queryset: Callable[[], QuerySet]  # every row, all programs: callers scope it
    to_resources: Callable[[Any], Iterable[dict]]  # one row -> one or more FHIR resources (JSON dicts)
    program_field: str  # lookup from the row to its Program id, e.g. "patient__program"
    patient_field: str | None  # lookup to the Patient ("" for Patient itself; None: no patient)
    updated_field: str  # lookup to the row's last-updated time (_since, _lastUpdated)
    # Used by the read/search API (waypoint.fhir.search); the bulk export needs none of them.
    parse_id: Callable[[str], Q | None] = by_pk()  # resource id -> the row(s) that may emit it (None: not ours)
    date_field: str | None = None  # lookup for the `date` search parameter (None: unsupported)
    code_q: Callable[[str | None, str], Q | None] | None = None  # (system, code) -> rows that may match; None: none
    # The profiles its resources may declare in meta.profile (the CapabilityStatement's supportedProfile).
    profiles: tuple[str, ...] = ()
    # The bulk export may read its rows as `.values_list(*export_columns)` tuples, each made into a light row by
    # `export_row(values)` that `to_resources` maps as it maps a model instance (the row must have `pk`); building
    # model instances was a third of an export's time. None: model instances.
    export_columns: tuple[str, ...] = ()
    export_row: Callable[[tuple], Any] | None = None
    # Which of the program's staff may receive it: (user, program id) -> bool; None: every staff reader.
    readers: Callable[[Any, int], bool] | None = None

    @property
    def program_level(self) -> bool:
        """A record of the program itself, naming no patient (e.g. a stock receipt): no Part 2 label, no consent,
        no kind of clinical record; served to the program's staff only, and never in a Patient or Group export."""
        return self.patient_field is None

    @property
    def record(self) -> RecordKind:
        """The kind of clinical record whose rows this FHIR kind carries (waypoint/records/)."""
        record = records.for_fhir_kind(self.key)
        if record is None:
            raise LookupError(f"FHIR kind {self.key!r} carries no declared kind of record (waypoint/records/)")
        return record

    @property
    def part2(self) -> bool:
        """Holds SUD information: security-labelled, consent-gated (as its record kind declares)."""
        return not self.program_level and self.record.part2

    @property
    def information_kind(self) -> str:
        """The consent's kind of information that covers it (as its record kind declares; none: program-level)."""
        return "" if self.program_level else self.record.information_kind


@dataclass(frozen=True)
class ReadTogether:
    """Kinds of one resource type that map the same rows, e.g. an assessment's total and its vital signs: the bulk
    export reads each row once for all of them and checkpoints that reading under `key`. The rows of the first kind
    hold those of every other, and each other kind's mapping gives nothing for a row outside its own rows (tested
    for each declaration: waypoint/fhir/tests/test_read_together.py)."""

    key: str
    kinds: tuple[str, ...]


KINDS: dict[str, ResourceKind] = {}
TOGETHER: dict[str, ReadTogether] = {}


def register(kind: ResourceKind) -> ResourceKind:
    if kind.key in KINDS:
        raise ValueError(f"FHIR resource kind {kind.key!r} is registered twice")
    KINDS[kind.key] = kind
    return kind


def read_together(key: str, *kinds: str) -> ReadTogether:
    if key in KINDS or key in TOGETHER or any(kind not in KINDS for kind in kinds) or len(kinds) < 2:
        raise ValueError(f"Read together {key!r}: a new key, and two or more registered kinds")
    if len({KINDS[kind].resource_type for kind in kinds}) > 1:
        raise ValueError(f"Read together {key!r}: kinds of one resource type only")
    TOGETHER[key] = ReadTogether(key, kinds)
    return TOGETHER[key]


def together_for(resource_type: str) -> list[ReadTogether]:
    return [together for together in TOGETHER.values() if KINDS[together.kinds[0]].resource_type == resource_type]


def kinds_for(resource_type: str) -> list[ResourceKind]:
    return [kind for kind in KINDS.values() if kind.resource_type == resource_type]


def resource_types() -> list[str]:
    return sorted({kind.resource_type for kind in KINDS.values()})
