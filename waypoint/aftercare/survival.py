"""The Kaplan-Meier estimator, in whole days after discharge. Pure standard library.

Each case is (day, event): the day the event happened (event True) or the last day the patient is known to be
without it (event False: censored). At a day with both, the events are counted first and the censored cases are
still at risk on that day (the usual convention). The hand-computed test is
waypoint/aftercare/tests/test_survival.py.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    day: int
    at_risk: int  # cases whose day is this day or later
    events: int
    censored: int
    survival: float  # the estimated share still without the event at the end of this day


def kaplan_meier(cases: list[tuple[int, bool]]) -> list[Step]:
    """One step per day on which something happened (an event or a censoring), in day order."""
    if any(day < 0 for day, _ in cases):
        raise ValueError("A day after discharge cannot be negative.")
    steps: list[Step] = []
    survival = 1.0
    at_risk = len(cases)
    for day in sorted({day for day, _ in cases}):
        events = sum(1 for d, e in cases if d == day and e)
        censored = sum(1 for d, e in cases if d == day and not e)
        if events:
            survival *= 1 - events / at_risk
        steps.append(Step(day, at_risk, events, censored, survival))
        at_risk -= events + censored
    return steps


def survival_at(steps: list[Step], day: int) -> float | None:
    """The estimate at the end of `day`; None when every case ended before that day with the estimate above 0
    (the curve stops: nothing is known so far out)."""
    value = 1.0
    for step in steps:
        if step.day > day:
            return value
        value = step.survival
    if steps and steps[-1].day < day and value > 0:
        return None
    return value
