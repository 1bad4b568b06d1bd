"""Synthetic clinical values: withdrawal trajectories, item-level answers, vital signs (pure Python).

Nothing here comes from a real person. Answers are built only from each instrument's allowed item scores
(waypoint/scales), so every generated row re-scores to the stored total; vital signs stay inside the
plausibility limits of waypoint/withdrawal/vitals.py and rise with withdrawal severity.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass

from waypoint.scales import get_instrument, pulse_score

POOL_SIZE = 24  # distinct answer sets kept per (instrument, total)


def withdrawal_curve(hours_since_last_use: float, peak: float, peak_hours: float) -> float:
    """A gamma-shaped course: rises from 0 to `peak` at `peak_hours` after the last use, then eases off.

    Short-acting opioids (heroin, fentanyl) peak within 1-3 days and subside over 5-10 days; the shape is
    a plausible curve for synthetic data, not a clinical model.
    """
    if hours_since_last_use <= 0:
        return 0.0
    ratio = hours_since_last_use / peak_hours
    return peak * (ratio**2) * math.exp(2 * (1 - ratio))


@dataclass(frozen=True)
class Answer:
    """One pre-built answer set: its JSON text (items in the instrument's order) and its total."""

    json: str
    total: int


class AnswerPools:
    """For each instrument and total, a few answer sets that add up to exactly that total.

    Built once per seed run from a seeded random generator, so a run is deterministic; rows then pick from
    the pools, which keeps generation cheap at ten million rows.
    """

    def __init__(self, rng: random.Random, skip: tuple[str, ...] = ()):
        self.rng = rng
        self.skip = skip
        self._pools: dict[tuple[str, int], list[Answer]] = {}

    def items(self, code: str):
        return [item for item in get_instrument(code).items if item.key not in self.skip]

    def max_total(self, code: str) -> int:
        return sum(max(item.scores) for item in self.items(code))

    def pick(self, code: str, total: int) -> Answer:
        total = max(0, min(total, self.max_total(code)))
        pool = self._pools.get((code, total))
        if pool is None:
            pool = self._pools[(code, total)] = self._build(code, total)
        return pool[self.rng.randrange(len(pool))]

    def _build(self, code: str, total: int) -> list[Answer]:
        items = self.items(code)
        found: dict[str, Answer] = {}
        for _ in range(POOL_SIZE * 8):
            scores = self._one(items, total)
            if scores is not None:
                text = json.dumps(scores, separators=(", ", ": "))
                found[text] = Answer(text, total)
            if len(found) >= POOL_SIZE:
                break
        if not found:
            raise ValueError(f"no answer set of {code} adds up to {total}")
        return list(found.values())

    def _one(self, items, total: int) -> dict[str, int] | None:
        """Raise random items one allowed step at a time until the total is reached exactly."""
        scores = {item.key: min(item.scores) for item in items}
        current = sum(scores.values())
        steps = 0
        while current < total and steps < 500:
            steps += 1
            item = self.rng.choice(items)
            higher = sorted(s for s in item.scores if s > scores[item.key])
            if not higher or current - scores[item.key] + higher[0] > total:
                continue
            current += higher[0] - scores[item.key]
            scores[item.key] = higher[0]
        if current != total:
            return None
        return {item.key: scores[item.key] for item in items}


def cows_vitals(target: int, rng: random.Random) -> dict:
    """Vital signs that rise with a COWS total, inside the plausibility limits."""
    pulse = int(min(140, max(52, 68 + 1.4 * target + rng.gauss(0, 6))))
    systolic = int(min(175, max(95, 116 + 0.9 * target + rng.gauss(0, 8))))
    diastolic = int(min(105, max(55, min(systolic - 30, 72 + 0.5 * target + rng.gauss(0, 6)))))
    return {
        "pulse_bpm": pulse,
        "systolic_mmhg": systolic,
        "diastolic_mmhg": diastolic,
        "respiratory_rate": int(min(26, max(12, 15 + target / 8 + rng.gauss(0, 1.5)))),
        "temperature_c": round(min(38.4, max(36.0, 36.7 + target * 0.018 + rng.gauss(0, 0.2))), 1),
        "spo2_percent": int(min(100, max(93, 98 + rng.gauss(0, 1.2)))),
    }


def cows_row(target: int, pools: AnswerPools, rng: random.Random) -> tuple[str, int, dict]:
    """COWS answers near `target` with the pulse item derived from the measured pulse.

    Returns (responses JSON with every item in the instrument's order, total, vitals)."""
    vitals = cows_vitals(target, rng)
    pulse_item = pulse_score(vitals["pulse_bpm"])
    rest = pools.pick("cows", max(0, target - pulse_item))
    responses = '{"resting_pulse": %d, %s' % (pulse_item, rest.json[1:])  # noqa: UP031 - hot path
    return responses, pulse_item + rest.total, vitals


def severity_table(code: str) -> dict[int, str]:
    instrument = get_instrument(code)
    table = {}
    for total in range(instrument.min_total, instrument.max_total + 1):
        band = instrument.band_for(total)
        table[total] = band.code if band else ""
    return table
