"""Time from first contact to admission, pure Python (no Django).

Median: the middle value (the mean of the two middle values for an even count). 90th percentile: the
nearest-rank definition (the ceil(0.9 * n)-th smallest value), so it is always an observed wait.
A window "last N days" holds the referrals ADMITTED in (now - N days, now].
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median


@dataclass(frozen=True)
class Waits:
    days: int | None  # the window; None: all time
    count: int
    median: timedelta | None
    p90: timedelta | None


def nearest_rank(values: list[timedelta], fraction: float) -> timedelta:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def waits(pairs: Iterable[tuple[datetime, datetime]], now: datetime, days: int | None) -> Waits:
    """pairs: (first contact, admitted at) of admitted referrals."""
    since = now - timedelta(days=days) if days is not None else None
    durations = [
        admitted - contact for contact, admitted in pairs if admitted <= now and (since is None or admitted > since)
    ]
    if not durations:
        return Waits(days, 0, None, None)
    return Waits(days, len(durations), median(durations), nearest_rank(durations, 0.9))  # type: ignore[type-var]  # timedelta has + and / 2, all median needs


def in_words(value: timedelta | None) -> str:
    if value is None:
        return "—"
    hours = value.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"
