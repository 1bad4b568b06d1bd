"""The program's view of comfort medications over a span of program days: doses given per symptom per day, held
and refused doses by reason, and effectiveness follow-ups done on time (at or before the time due), late, or not
done. Counts only, no names; doses entered in error count nowhere."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from waypoint.accounts.models import Program

from . import catalog
from .models import Dose


@dataclass
class Report:
    days: list[date]
    given: dict[str, dict[date, int]]  # symptom name -> program day -> doses given
    not_given: list[tuple[str, str, int]]  # (held | refused, reason, count), most first
    on_time: int
    late: int
    not_done: int


def comfort_report(program: Program, first: date, last: date) -> Report:
    tz = program.tz
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    rows = Dose.objects.in_force().filter(program=program, at__gte=start, at__lt=end)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    given: dict[str, dict[date, int]] = {}
    not_given: Counter[tuple[str, str]] = Counter()
    on_time = late = not_done = 0
    for status, symptom, at, reason, due, done in rows.values_list(
        "status", "symptom", "at", "reason", "follow_up_due_at", "follow_up_at"
    ):
        if status != Dose.Status.GIVEN:
            not_given[(Dose.Status(status).label, reason.strip() or "no reason recorded")] += 1
            continue
        day = timezone.localtime(at, tz).date()
        per_day = given.setdefault(catalog.SYMPTOMS[symptom], dict.fromkeys(days, 0))
        per_day[day] += 1
        if due is None:
            continue
        if done is None:
            not_done += 1
        elif done <= due:
            on_time += 1
        else:
            late += 1
    return Report(
        days=days,
        given=dict(sorted(given.items())),
        not_given=[(status, reason, n) for (status, reason), n in not_given.most_common()],
        on_time=on_time,
        late=late,
        not_done=not_done,
    )
