"""One declaration per kind of clinical record: what it is, where it lives, and who shows or releases it.

Pure Python: no Django import and no app import. Each app declares its own kinds in a `record_kinds.py`
module (found by `waypoint.records.discovery`), naming its models by label ("medication.MedicationOrder") and
its functions by value, so this module knows no clinical area:

    register(RecordKind(
        key="drug-screen", title="Urine drug screens", model="drug_screens.DrugScreen",
        program_field="program", patient_field="patient",
        part2=True, information_kind="drug_screens",          # privacy.InformationKind covering it
        rows=screens_of, columns=(("collected_at", "Collected"), ...), render=screen_row,
        fhir_kinds=("drug-screen",),                          # or not_in_fhir="why not"
        chart_section="waypoint.drug_screens.sections.screens_progress",  # or not_on_chart="why not"
        seed="drug_screens",                                  # or not_seeded="why not"
    ))

Each consumer has one place to look and each kind must say, for each consumer, either where it appears or
why it does not (the registry test walks every kind and checks both answers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RecordKind:
    key: str  # unique, e.g. "moud-order"
    title: str  # the heading a clinician reads on a disclosed record, e.g. "MOUD orders"
    model: str  # "app_label.ModelName"
    program_field: str  # lookup from a row to its Program
    patient_field: str  # lookup from a row to its Patient ("" for the Patient itself)
    part2: bool  # holds substance use disorder information (42 CFR Part 2)
    information_kind: str  # the consent's kind of information (privacy.InformationKind value) that covers it
    rows: Callable[..., Iterable[Any]]  # (patient, user) -> the patient's rows a disclosure of this kind holds
    columns: tuple[tuple[str, str], ...]  # (key, printed heading) of what `render` returns, in print order
    render: Callable[[Any], dict[str, Any]]  # one row -> {key: value} for every column (values: text, numbers, times)
    fhir_kinds: tuple[str, ...] = ()  # keys of waypoint.fhir.registry.KINDS that carry its rows' content
    fhir_provenance: tuple[str, ...] = ()  # FHIR kinds about its rows (who recorded them), not their content
    not_in_fhir: str = ""  # why no FHIR kind releases it (required when fhir_kinds is empty)
    chart_section: str = ""  # dotted name of the chart or progress section that shows it
    not_on_chart: str = ""  # why no chart section shows it
    seed: str = ""  # name of the seed generator (waypoint.seed.registry) that makes synthetic rows of it
    not_seeded: str = ""  # why the seed makes none
    position: int = 50  # where its section comes on a disclosed record (identification first)

    def __post_init__(self) -> None:
        for shown, reason, consumer in (
            (self.fhir_kinds, self.not_in_fhir, "FHIR kinds"),
            (self.chart_section, self.not_on_chart, "chart section"),
            (self.seed, self.not_seeded, "seed generator"),
        ):
            if bool(shown) == bool(reason):
                raise ValueError(f"Record kind {self.key!r}: name its {consumer} or say why it has none, not both.")
        keys = [key for key, _ in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"Record kind {self.key!r}: a column key is repeated.")


@dataclass(frozen=True)
class NotARecord:
    """A model that holds patient data but is not a kind of clinical record of its own, and why."""

    model: str
    reason: str


KINDS: dict[str, RecordKind] = {}
NOT_RECORDS: dict[str, NotARecord] = {}


def register(kind: RecordKind) -> RecordKind:
    if kind.key in KINDS:
        raise ValueError(f"Record kind {kind.key!r} is declared twice")
    KINDS[kind.key] = kind
    return kind


def not_a_record(model: str, reason: str) -> None:
    NOT_RECORDS[model] = NotARecord(model, reason)


def for_fhir_kind(fhir_key: str) -> RecordKind | None:
    """The record kind whose rows a FHIR kind carries (content or provenance), None when no kind claims it."""
    for kind in KINDS.values():
        if fhir_key in kind.fhir_kinds or fhir_key in kind.fhir_provenance:
            return kind
    return None


def for_information(kinds: Iterable[str]) -> list[RecordKind]:
    """The record kinds these kinds of information cover (already expanded), in the order they are printed."""
    wanted = set(kinds)
    return sorted((kind for kind in KINDS.values() if kind.information_kind in wanted), key=lambda k: k.position)
