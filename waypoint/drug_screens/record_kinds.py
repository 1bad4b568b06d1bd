"""The drug screen area's kind of clinical record (see waypoint/records/registry.py)."""

from waypoint.records.registry import RecordKind, register

from .models import DrugScreen
from .rules import ANALYTES, RESULTS


def screens_of(patient, user):
    return DrugScreen.objects.filter(patient=patient).order_by("collected_at", "pk")


def results(screen: DrugScreen) -> str:
    return ", ".join(
        f"{ANALYTES[analyte]} {RESULTS[result].lower()}"
        for analyte, result in screen.results.items()
        if result != "not_tested"
    )


def screen_row(screen: DrugScreen) -> dict:
    return {
        "collected_at": screen.collected_at,
        "observed": screen.observed,
        "results": results(screen),
        "note": screen.note,
        "entered_in_error": screen.change_reason if screen.entered_in_error else "",
    }


register(
    RecordKind(
        key="drug_screens",
        title="Urine drug screens",
        model="drug_screens.DrugScreen",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="drug_screens",
        rows=screens_of,
        columns=(
            ("collected_at", "Collected"),
            ("observed", "Observed"),
            ("results", "Results"),
            ("note", "Note"),
            ("entered_in_error", "Entered in error"),
        ),
        render=screen_row,
        fhir_kinds=("drug-screen",),
        chart_section="waypoint.drug_screens.sections.screens_progress",
        not_seeded="the seed's synthetic histories hold no drug screens yet: no generator is written for them",
        position=30,
    )
)
