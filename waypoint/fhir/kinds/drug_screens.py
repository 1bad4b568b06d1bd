"""Urine drug screens (waypoint.drug_screens): one laboratory Observation per specimen, one component per analyte.

No LOINC code is claimed: shared/reference/ names opioid screen codes only "check each code's meaning before
use" and none per analyte, so the screen and its analytes are coded in Waypoint's own CodeSystems. A result is
coded positive/negative with the v3 interpretation POS/NEG, and the interpretation's text says whether it was
expected under the MOUD orders active at collection (waypoint.drug_screens.rules); an analyte not tested has
the data-absent reason "not-performed". A screen marked entered in error is emitted with that status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.db.models import Q
from django.db.models.functions import Coalesce

from waypoint.drug_screens import rules
from waypoint.drug_screens.models import DrugScreen
from waypoint.drug_screens.services import with_findings

from ..codes import (
    DATA_ABSENT_REASON,
    INTERPRETATION,
    OBSERVATION_CATEGORY,
    coding,
    concept,
    episode_extension,
    instant,
    meta,
    own,
    prune,
    reference,
)
from ..registry import ResourceKind, by_pk, register

SCREENS = own("CodeSystem/drug-screens")
ANALYTES = own("CodeSystem/drug-screen-analytes")
RESULTS = own("CodeSystem/drug-screen-results")
URINE_DRUG_SCREEN = ("urine-drug-screen", "Urine drug screen")
INTERPRETATIONS = {"positive": ("POS", "Positive"), "negative": ("NEG", "Negative")}
FINDING_TEXT = {
    "expected_positive": "Expected positive",
    "unexpected_positive": "Unexpected positive",
    "expected_absent": "Expected positive absent",
    "negative": "Negative",
}


def component(finding: rules.Finding) -> dict:
    code = concept(ANALYTES, finding.analyte, finding.label, text=finding.label)
    if finding.result not in INTERPRETATIONS:
        return {"code": code, "dataAbsentReason": concept(DATA_ABSENT_REASON, "not-performed", "Not Performed")}
    text = FINDING_TEXT[finding.kind] + (f" ({finding.why})" if finding.why else "")
    return {
        "code": code,
        "valueCodeableConcept": concept(RESULTS, finding.result, rules.RESULTS[finding.result]),
        "interpretation": [{"coding": [coding(INTERPRETATION, *INTERPRETATIONS[finding.result])], "text": text}],
    }


def screen_resource(screen: DrugScreen) -> list[dict]:
    (read,) = with_findings([screen])
    notes = [{"text": screen.note}] if screen.note else []
    if screen.entered_in_error:
        marked_at = cast(datetime, screen.status_changed_at)  # in error: it has its time
        notes.append({"time": instant(marked_at), "text": f"Entered in error: {screen.change_reason}"})
    return [
        prune(
            {
                "resourceType": "Observation",
                "id": f"drug-screen-{screen.pk}",
                "meta": meta(cast(Any, screen).last_updated, part2=True),  # annotated by the queryset
                "status": "entered-in-error" if screen.entered_in_error else "final",
                "category": [concept(OBSERVATION_CATEGORY, "laboratory", "Laboratory")],
                "code": concept(SCREENS, *URINE_DRUG_SCREEN, text=URINE_DRUG_SCREEN[1]),
                "subject": reference("Patient", screen.patient_id),
                "extension": episode_extension(screen.episode_id),
                "effectiveDateTime": instant(screen.collected_at),
                "issued": instant(screen.recorded_at),
                "performer": [{"display": screen.recorded_by.get_full_name() or screen.recorded_by.username}],
                "method": {"text": "Observed collection" if screen.observed else "Unobserved collection"},
                "specimen": {"display": "Urine"},
                "note": notes,
                "component": [component(finding) for finding in read.findings],
            }
        )
    ]


def screen_code(system: str | None, code: str) -> Q | None:
    return Q(pk__isnull=False) if system in (None, SCREENS) and code == URINE_DRUG_SCREEN[0] else None


register(
    ResourceKind(
        key="drug-screen",
        resource_type="Observation",
        queryset=lambda: DrugScreen.objects.select_related("recorded_by").annotate(
            last_updated=Coalesce("status_changed_at", "recorded_at")
        ),
        to_resources=screen_resource,
        program_field="program",
        patient_field="patient",
        updated_field="last_updated",
        parse_id=by_pk("drug-screen-"),
        date_field="collected_at",
        code_q=screen_code,
    )
)
