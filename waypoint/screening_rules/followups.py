"""The ONE follow-up table: what each present screen item (and the injection route from the history)
calls for. Reviewable in one place; nothing else in the code decides follow-ups.

Each row says where it comes from: "issue 4" rows are the mappings the issue names; "program decision"
rows are this implementation's choice for items the issue left without a follow-up (reviewable here).
Items deliberately without a follow-up are listed in NO_FOLLOW_UP with the reason, so the table is
complete: every item is either in a row or in NO_FOLLOW_UP (a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .complications import HEROIN_COMPLICATIONS

FOLLOW_UPS: dict[str, str] = {
    "hiv_test": "HIV testing",
    "hepatitis_b_test": "Hepatitis B testing",
    "hepatitis_c_test": "Hepatitis C testing",
    "wound_check": "Wound check",
    "liver_panel": "Liver panel",
    "urgent_medical_evaluation": "Urgent medical evaluation",
    "pulmonary_evaluation": "Pulmonary evaluation",
    "sleep_evaluation": "Sleep evaluation",
    "cognitive_screening": "Cognitive screening",
    "medical_referral": "Medical referral",
}

ROUTE = "route"
ITEM = "item"
ISSUE = "issue 4"
PROGRAM = "program decision"
ORIGIN_LABELS = {
    ISSUE: "Waypoint's heroin-complication requirements",
    PROGRAM: "Waypoint's choice for an item given no follow-up",
}


@dataclass(frozen=True)
class Row:
    trigger_kind: str  # "route" (from the history) or "item" (a present screen item)
    trigger: str  # route code or item key
    follow_ups: tuple[str, ...]
    origin: str  # ISSUE or PROGRAM

    @property
    def follow_up_labels(self) -> list[str]:
        return [FOLLOW_UPS[code] for code in self.follow_ups]

    @property
    def origin_label(self) -> str:
        return ORIGIN_LABELS[self.origin]

    @property
    def trigger_label(self) -> str:
        if self.trigger_kind == ROUTE:
            return f"{self.trigger.capitalize()} route (history)"
        return HEROIN_COMPLICATIONS.item(self.trigger).label


_COGNITIVE = ("memory_problems", "critical_thinking", "decision_making", "stress_management", "impulse_control")

TABLE: tuple[Row, ...] = (
    Row(ROUTE, "injection", ("hiv_test", "hepatitis_b_test", "hepatitis_c_test", "wound_check"), ISSUE),
    Row(ITEM, "liver_disease", ("liver_panel", "hepatitis_b_test", "hepatitis_c_test"), ISSUE),
    # blood or tissue infection signs
    Row(ITEM, "tissue_blood_infection", ("urgent_medical_evaluation",), ISSUE),
    Row(ITEM, "injection_site_infection", ("urgent_medical_evaluation", "wound_check"), ISSUE),
    # breathing problems
    Row(ITEM, "lung_problems", ("pulmonary_evaluation", "sleep_evaluation"), ISSUE),
    Row(ITEM, "slowed_breathing", ("pulmonary_evaluation", "sleep_evaluation"), ISSUE),
    Row(ITEM, "smoking_oral_lung_digestive", ("pulmonary_evaluation", "sleep_evaluation"), ISSUE),
    # cognitive items (the whole "cognitive and emotional" group)
    *(Row(ITEM, key, ("cognitive_screening",), ISSUE) for key in _COGNITIVE),
    # sexual or menstrual problems
    Row(ITEM, "sexual_function", ("medical_referral",), ISSUE),
    Row(ITEM, "menstrual_problems", ("medical_referral",), ISSUE),
    # items the issue left without a follow-up
    Row(ITEM, "trouble_sleeping", ("sleep_evaluation",), PROGRAM),
    Row(ITEM, "kidney_disease", ("medical_referral",), PROGRAM),
    Row(ITEM, "clogged_blood_vessels", ("medical_referral",), PROGRAM),
    Row(ITEM, "severe_constipation", ("medical_referral",), PROGRAM),
)

NO_FOLLOW_UP: dict[str, str] = {
    "adulterant_reaction": "feeds the overdose-risk picture (unknown supply); no test follows from it",
    "pain_numbness": "an expected effect right after use",
    "loss_of_consciousness": "an overdose sign: record an overdose event; it feeds the overdose-risk picture",
    "nausea_vomiting": "an expected effect right after use",
    "dulled_senses": "an expected effect right after use",
}


@dataclass(frozen=True)
class Due:
    code: str
    label: str
    reasons: tuple[str, ...]  # trigger labels, in table order


def follow_ups_for(present_items: Iterable[str], routes: Iterable[str]) -> list[Due]:
    """The follow-ups due for these present screen items and history routes, each once, in the order
    of FOLLOW_UPS, with every reason that calls for it."""
    present = set(present_items)
    route_set = set(routes)
    reasons: dict[str, list[str]] = {}
    for row in TABLE:
        hit = row.trigger in (route_set if row.trigger_kind == ROUTE else present)
        if hit:
            for code in row.follow_ups:
                reasons.setdefault(code, []).append(row.trigger_label)
    return [Due(code, label, tuple(reasons[code])) for code, label in FOLLOW_UPS.items() if code in reasons]
