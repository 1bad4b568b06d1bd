"""The overdose-risk picture: risk factors, each traced to where it came from, and a level from a
readable rule table. No numeric score, no weights: none is published (see
shared/reference/clinical-scales.md, "Overdose risk"; RIOSORD's weights are not public here).

The app gathers the facts (history, screen, episode events) into `Facts`; `picture(facts, ...)` says
which factors are present and why, and which level rule applies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

REFERENCE = "shared/reference/clinical-scales.md, Overdose risk"


@dataclass(frozen=True)
class Factor:
    key: str
    label: str
    reference: str  # the phrase of the reference this factor implements


FACTORS: tuple[Factor, ...] = (
    Factor("prior_overdose", "Prior overdose", "prior overdose"),
    Factor(
        "loss_of_tolerance",
        "Reduced tolerance",
        "loss of tolerance (after withdrawal management, residential stay, hospital stay, or release from jail/prison)",
    ),
    Factor("co_use", "Alcohol, benzodiazepine or stimulant co-use", "alcohol, benzodiazepine or stimulant co-use"),
    Factor("injection", "Injection use", "injection route"),
    Factor("using_alone", "Uses alone", "using alone"),
    Factor("unknown_supply", "Fentanyl or xylazine in the supply", "unknown supply potency (fentanyl, xylazine)"),
    Factor(
        "major_illness",
        "Serious lung, liver, kidney or heart disease, or sleep apnea",
        "major medical or mental illness (cirrhosis, CKD, COPD/asthma, sleep apnea, heart failure)",
    ),
)
FACTOR_BY_KEY = {factor.key: factor for factor in FACTORS}

# Screen items that are serious lung, liver or kidney disease (major illness).
MAJOR_ILLNESS_ITEMS = ("lung_problems", "liver_disease", "kidney_disease")
# Known conditions a history may record (major illness).
CONDITIONS: dict[str, str] = {
    "copd_asthma": "COPD or asthma",
    "cirrhosis": "Cirrhosis",
    "ckd": "Chronic kidney disease",
    "heart_failure": "Heart failure",
    "sleep_apnea": "Sleep apnea",
    "serious_mental_illness": "Serious mental illness",
}
CO_USE_SUBSTANCES = ("alcohol", "benzodiazepines", "stimulants")


@dataclass(frozen=True)
class Facts:
    """What the records say. Each `*_source` text says where a fact came from (shown to the reader)."""

    prior_overdoses: int = 0  # from the history
    overdose_events: int = 0  # recorded overdose events
    substances: tuple[str, ...] = ()  # from the history
    routes: tuple[str, ...] = ()  # all routes in the history
    uses_alone: bool = False
    fentanyl_or_xylazine: bool = False
    conditions: tuple[str, ...] = ()  # CONDITIONS keys from the history
    present_items: tuple[str, ...] = ()  # present items of the latest screen
    tolerance_traces: tuple[str, ...] = ()  # from derive_loss_of_tolerance
    referral_flags: tuple[str, ...] = ()  # priority flags of the referral the patient was admitted from


@dataclass(frozen=True)
class Present:
    factor: Factor
    sources: tuple[str, ...]


def factors_present(facts: Facts) -> list[Present]:
    found: dict[str, list[str]] = {}

    def add(key: str, source: str) -> None:
        found.setdefault(key, []).append(source)

    if facts.prior_overdoses > 0:
        add("prior_overdose", f"history: {facts.prior_overdoses} prior overdose(s)")
    if facts.overdose_events > 0:
        add("prior_overdose", f"events: {facts.overdose_events} recorded overdose(s)")
    for trace in facts.tolerance_traces:
        add("loss_of_tolerance", trace)
    for substance in CO_USE_SUBSTANCES:
        if substance in facts.substances:
            add("co_use", f"history: uses {substance}")
    if "recent_overdose" in facts.referral_flags:
        add("prior_overdose", "referral: recent overdose survivor")
    if "injection" in facts.routes:
        add("injection", "history: injection route")
    if "injects" in facts.referral_flags:
        add("injection", "referral: injects drugs")
    if facts.uses_alone:
        add("using_alone", "history: uses alone")
    if facts.fentanyl_or_xylazine:
        add("unknown_supply", "history: fentanyl or xylazine known or suspected in the supply")
    if "adulterant_reaction" in facts.present_items:
        add("unknown_supply", "screen: reaction to substances mixed into the drug")
    for key in MAJOR_ILLNESS_ITEMS:
        if key in facts.present_items:
            add("major_illness", f"screen: {key.replace('_', ' ')}")
    for key in facts.conditions:
        if key in CONDITIONS:
            add("major_illness", f"history: {CONDITIONS[key]}")
    return [Present(factor, tuple(found[factor.key])) for factor in FACTORS if factor.key in found]


HIGH = "high"
ELEVATED = "elevated"
NONE_RECORDED = "none_recorded"
LEVEL_LABELS = {HIGH: "High", ELEVATED: "Elevated", NONE_RECORDED: "No risk factor recorded"}


@dataclass(frozen=True)
class LevelRule:
    level: str
    when: str  # the rule as the program reads it

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self.level]


# The rule table, read top to bottom; the first rule that holds gives the level. "High factors" is a
# program setting (default: loss of tolerance only, the one the issue names as high); no counts, no weights.
LEVEL_RULES: tuple[LevelRule, ...] = (
    LevelRule(HIGH, "any of the program's high-risk factors is present (default: reduced tolerance)"),
    LevelRule(ELEVATED, "any other risk factor is present"),
    LevelRule(
        NONE_RECORDED,
        "no risk factor is recorded (not a low risk: overdose education and naloxone are still due for every patient)",
    ),
)
DEFAULT_HIGH_FACTORS: tuple[str, ...] = ("loss_of_tolerance",)


def factor_labels(keys: Iterable[str]) -> list[str]:
    """Factor keys (e.g. a program setting's value) as their labels; an unknown key is shown as given."""
    labels = {factor.key: factor.label for factor in FACTORS}
    return [labels.get(key, key) for key in keys]


@dataclass(frozen=True)
class Picture:
    factors: list[Present]
    level: str
    rule: LevelRule
    headline: str = field(default="")

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]

    @property
    def reduced_tolerance(self) -> bool:
        return any(p.factor.key == "loss_of_tolerance" for p in self.factors)


def picture(facts: Facts, high_factors: tuple[str, ...] = DEFAULT_HIGH_FACTORS) -> Picture:
    unknown = set(high_factors) - set(FACTOR_BY_KEY)
    if unknown:
        raise ValueError(f"unknown risk factor(s): {', '.join(sorted(unknown))}")
    present = factors_present(facts)
    keys = {p.factor.key for p in present}
    if keys & set(high_factors):
        rule = LEVEL_RULES[0]
    elif keys:
        rule = LEVEL_RULES[1]
    else:
        rule = LEVEL_RULES[2]
    headline = ""
    if "loss_of_tolerance" in keys:
        headline = "High overdose risk: reduced tolerance"
    elif rule.level == HIGH:
        headline = "High overdose risk"
    return Picture(present, rule.level, rule, headline)


@dataclass(frozen=True)
class Stay:
    """A level-of-care stay, as the tolerance rule needs it."""

    kind: str  # "withdrawal" | "residential" | "other"
    started_at: datetime
    ended_at: datetime | None


def derive_loss_of_tolerance(
    *, stays: tuple[Stay, ...], last_use: datetime | None, now: datetime, days_without_use: int
) -> tuple[str, ...]:
    """Traces of reduced tolerance, derived (never typed):
    - a withdrawal-management stay that ended with no known use since;
    - a residential stay (current or ended) with no known use since it started;
    - `days_without_use` (a program setting) or more days since the last known use.
    A known use after the stay ended (a return to use) cancels that stay's trace."""
    traces: list[str] = []
    for stay in stays:
        ended = stay.ended_at
        if stay.kind == "withdrawal" and ended is not None and ended <= now and (last_use is None or last_use < ended):
            traces.append(f"episode: withdrawal-management stay ended {ended:%Y-%m-%d}")
        if stay.kind == "residential" and stay.started_at <= now and (last_use is None or last_use < stay.started_at):
            state = "current" if ended is None else f"ended {ended:%Y-%m-%d}"
            traces.append(f"episode: residential stay ({state})")
    if last_use is not None and now - last_use >= timedelta(days=days_without_use):
        traces.append(f"history: {(now - last_use).days} days without use (program setting: {days_without_use})")
    return tuple(traces)
