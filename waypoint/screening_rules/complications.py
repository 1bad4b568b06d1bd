"""The health-complication screen of heroin use, declared (coded and versioned), and its validation.

Items are grouped as issue 4 lists them: at the time of use; right after use; long-term physical;
long-term cognitive and emotional. This is not a scored instrument: each item is answered
present / absent / not assessed, with an optional "since when" (present items only) and a note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

PRESENT = "present"
ABSENT = "absent"
NOT_ASSESSED = "not_assessed"
STATUSES: tuple[tuple[str, str], ...] = ((PRESENT, "Present"), (ABSENT, "Absent"), (NOT_ASSESSED, "Not assessed"))
STATUS_CODES: frozenset[str] = frozenset(code for code, _ in STATUSES)


@dataclass(frozen=True)
class ComplicationItem:
    key: str
    label: str
    plain: str  # plain-language wording for the patient handout

    def __post_init__(self) -> None:
        if not (self.key.isidentifier() and self.key == self.key.lower()):
            raise ValueError(f"item key {self.key!r} must be a lower-case identifier")


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    items: tuple[ComplicationItem, ...]


@dataclass(frozen=True)
class Screen:
    code: str
    version: str
    title: str
    source: str
    groups: tuple[Group, ...]

    def __post_init__(self) -> None:
        keys = [item.key for group in self.groups for item in group.items]
        if len(keys) != len(set(keys)):
            raise ValueError(f"{self.code}: duplicate item keys")

    @property
    def items(self) -> tuple[ComplicationItem, ...]:
        return tuple(item for group in self.groups for item in group.items)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)

    def item(self, key: str) -> ComplicationItem:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def group_of(self, key: str) -> Group:
        for group in self.groups:
            if any(item.key == key for item in group.items):
                return group
        raise KeyError(key)


I = ComplicationItem  # noqa: E741 - short alias for the table below

HEROIN_COMPLICATIONS = Screen(
    code="heroin-complications",
    version="1",
    title="Health complications of heroin use",
    source="Issue 4 (program clinicians' grouping of the complications of heroin use); not a scored instrument",
    groups=(
        Group(
            "at_use",
            "At the time of use",
            (
                I("injection_site_infection", "Infection at injection sites", "infection where you inject"),
                I(
                    "smoking_oral_lung_digestive",
                    "Lung or digestive problems from smoking or oral use",
                    "lung or stomach problems from smoking or swallowing drugs",
                ),
                I(
                    "adulterant_reaction",
                    "Reaction to substances mixed into the drug unknowingly (fentanyl, xylazine)",
                    "reactions to something mixed into the drug, like fentanyl or xylazine",
                ),
            ),
        ),
        Group(
            "after_use",
            "Right after use",
            (
                I("pain_numbness", "Numbness to pain", "not feeling pain"),
                I("loss_of_consciousness", "Loss of consciousness", "passing out"),
                I("nausea_vomiting", "Nausea and vomiting", "feeling sick or throwing up"),
                I("dulled_senses", "Dulled senses", "dulled senses"),
                I("slowed_breathing", "Slowed or hindered breathing", "slow or difficult breathing"),
            ),
        ),
        Group(
            "long_term_physical",
            "Long-term physical",
            (
                I("lung_problems", "Lung problems", "lung problems"),
                I(
                    "tissue_blood_infection",
                    "Infections of tissue and blood (including heart-valve infection)",
                    "infections of the skin, tissue, blood or heart valves",
                ),
                I("clogged_blood_vessels", "Clogged blood vessels", "blocked blood vessels"),
                I("severe_constipation", "Severe constipation", "severe constipation"),
                I("trouble_sleeping", "Trouble sleeping", "trouble sleeping"),
                I("liver_disease", "Liver disease", "liver disease"),
                I("kidney_disease", "Kidney disease", "kidney disease"),
                I("sexual_function", "Problems with sexual function", "problems with sex"),
                I("menstrual_problems", "Menstrual problems", "problems with periods"),
            ),
        ),
        Group(
            "long_term_cognitive",
            "Long-term cognitive and emotional",
            (
                I("memory_problems", "Memory problems", "memory problems"),
                I("critical_thinking", "Compromised critical thinking", "trouble thinking things through"),
                I(
                    "decision_making",
                    "Poor decision making and problem solving",
                    "trouble making decisions and solving problems",
                ),
                I("stress_management", "Trouble managing stress", "trouble handling stress"),
                I("impulse_control", "Trouble controlling impulses", "trouble controlling urges"),
            ),
        ),
    ),
)

SCREENS: dict[str, Screen] = {HEROIN_COMPLICATIONS.code: HEROIN_COMPLICATIONS}


class ScreenError(ValueError):
    """All problems with a set of answers, keyed like `answers.<item>.<field>`."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class Answer:
    status: str
    since: date | None = None
    note: str = ""


def validate(screen: Screen, answers: Mapping[str, object], *, today: date) -> dict[str, Answer]:
    """Check a full set of answers: every item answered, no unknown key, a known status, `since` only
    for a present item and not in the future. Returns the answers as `Answer`s; raises ScreenError
    naming every offending key at once."""
    errors: dict[str, str] = {}
    result: dict[str, Answer] = {}
    for key in answers:
        if key not in screen.keys:
            errors[f"answers.{key}"] = f"unknown item {key!r} for {screen.code} v{screen.version}"
    for key in screen.keys:
        raw = answers.get(key)
        if raw is None:
            errors[f"answers.{key}"] = "not answered (choose present, absent or not assessed)"
            continue
        if isinstance(raw, Answer):
            answer = raw
        elif isinstance(raw, str):
            answer = Answer(raw)
        elif isinstance(raw, Mapping):
            answer = Answer(raw.get("status"), raw.get("since"), raw.get("note") or "")  # type: ignore[arg-type]
        else:
            errors[f"answers.{key}"] = "expected a status or {status, since, note}"
            continue
        if answer.status not in STATUS_CODES:
            errors[f"answers.{key}.status"] = f"{answer.status!r} is not one of present, absent, not_assessed"
            continue
        if answer.since is not None:
            if not isinstance(answer.since, date):
                errors[f"answers.{key}.since"] = "must be a date"
                continue
            if answer.status != PRESENT:
                errors[f"answers.{key}.since"] = "'since when' applies only to a present item"
                continue
            if answer.since > today:
                errors[f"answers.{key}.since"] = "cannot be in the future"
                continue
        if not isinstance(answer.note, str):
            errors[f"answers.{key}.note"] = "must be text"
            continue
        result[key] = answer
    if errors:
        raise ScreenError(errors)
    return result


def present_keys(answers: Mapping[str, Answer]) -> frozenset[str]:
    return frozenset(key for key, answer in answers.items() if answer.status == PRESENT)
