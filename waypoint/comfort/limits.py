"""The arithmetic of as-needed dose limits, pure (no Django): the minimum interval and the rolling 24 hours.

A dose at time `t` counts in the 24-hour window ending at `e` when e - 24 h < t <= e: a dose given exactly 24 hours
earlier no longer counts. A dose may be recorded late (after doses given later than it), so a new dose is checked
against every window that would hold it, not only the one ending at its own time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Given:
    at: datetime
    mg: Decimal


def too_close(at: datetime, doses: Iterable[Given], min_interval: timedelta) -> Given | None:
    """The dose nearest to `at` that is less than `min_interval` from it (before or after), or None.
    Exactly `min_interval` apart is allowed."""
    close = [d for d in doses if abs(d.at - at) < min_interval]
    return min(close, key=lambda d: abs(d.at - at)) if close else None


def in_window(end: datetime, doses: Iterable[Given]) -> Decimal:
    """The total given in the 24 hours ending at `end` (end - 24 h excluded, `end` included)."""
    return sum((d.mg for d in doses if end - WINDOW < d.at <= end), Decimal(0))


def peak_with(at: datetime, mg: Decimal, doses: Iterable[Given]) -> tuple[Decimal, datetime]:
    """The largest 24-hour total of any window holding a new dose of `mg` at `at`, and where that window ends.

    Only windows ending at `at` or at a later dose inside the next 24 hours can hold the new dose and reach a new
    maximum (a window's total only changes at a dose)."""
    doses = list(doses)
    ends = [at] + sorted(d.at for d in doses if at < d.at < at + WINDOW)
    best, best_end = Decimal(-1), at
    for end in ends:
        total = in_window(end, doses) + mg
        if total > best:
            best, best_end = total, end
    return best, best_end


def next_allowed(now: datetime, doses: Iterable[Given], min_interval: timedelta) -> datetime | None:
    """When the interval after the latest dose at or before `now` ends, or None if it already has."""
    earlier = [d.at for d in doses if d.at <= now]
    if not earlier:
        return None
    ready = max(earlier) + min_interval
    return ready if ready > now else None


def remaining(now: datetime, doses: Iterable[Given], maximum: Decimal) -> Decimal:
    """What is left of the 24-hour maximum for a dose given now."""
    return max(maximum - in_window(now, doses), Decimal(0))
