"""Synthetic patient histories: who, which episodes of care, which levels of care and when (pure Python).

A history runs over the last `days` days before `now`: first contact (referral), admission, a path through
levels of care (usually withdrawal management first), discharge, and after a gap sometimes readmission.
Patients chosen to be "in withdrawal management now" end with an open episode whose current stay is a
withdrawal-management level that started within the last five days; no other patient ends in one, so a
benchmark knows exactly how many patients the withdrawal board shows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import cast

GIVEN = (
    "Avery",
    "Jordan",
    "Riley",
    "Casey",
    "Morgan",
    "Quinn",
    "Rowan",
    "Skyler",
    "Emerson",
    "Harper",
    "Finley",
    "Reese",
    "Sawyer",
    "Parker",
    "Dakota",
    "Hayden",
    "Jules",
    "Kendall",
    "Lennon",
    "Marlow",
    "Noel",
    "Oakley",
    "Peyton",
    "Remy",
    "Sage",
    "Tatum",
    "Wren",
    "Blair",
    "Corin",
    "Devon",
)
FAMILY = (
    "Ashdown",
    "Birchley",
    "Calloway",
    "Dunmore",
    "Ellery",
    "Fairbank",
    "Greaves",
    "Holloway",
    "Ingram",
    "Jessop",
    "Kettering",
    "Lowther",
    "Marchetti",
    "Northam",
    "Ormsby",
    "Pemberton",
    "Quarry",
    "Redfern",
    "Stanier",
    "Thornbury",
    "Upshaw",
    "Vickery",
    "Whitlock",
    "Yarrow",
    "Zeller",
)
# Every synthetic MRN starts with this, so synthetic patients are recognisable in any listing.
MRN_PREFIX = "SYN"

# Paths through care: (levels with their length in days as (low, high)), discharge reason.
PATHS = (
    ((("3.7-WM", (3, 7)), ("3.5", (14, 35)), ("2.1", (28, 60)), ("1", (60, 180))), "completed"),
    ((("3.7-WM", (3, 6)), ("3.5", (20, 40))), "completed"),
    ((("3.7-WM", (2, 5)),), "left_against_advice"),
    ((("3.7-WM", (4, 7)), ("OTP", (90, 365))), "completed"),
    ((("3.7-WM", (3, 6)), ("2.5", (14, 30)), ("1", (30, 120))), "completed"),
    ((("3.5", (21, 45)), ("2.5", (14, 28))), "completed"),
    ((("2.1", (28, 56)),), "left_against_advice"),
    ((("1", (30, 120)),), "completed"),
)
PATH_WEIGHTS = (22, 18, 12, 12, 10, 10, 8, 8)


@dataclass
class Stay:
    level: str
    start: datetime
    end: datetime | None  # None: still open
    id: int = 0


@dataclass
class Episode:
    admitted: datetime
    discharged: datetime | None
    discharge_reason: str
    stays: list[Stay]
    referral_at: datetime
    id: int = 0


@dataclass
class PatientPlan:
    number: int
    mrn: str
    given: str
    family: str
    birth_date: date
    sex: str
    created: datetime
    episodes: list[Episode] = field(default_factory=list)
    last_use_hours: float = 12.0  # hours between last use and the first withdrawal-management stay
    id: int = 0


def _path_for(rng: random.Random, offered: set[str], wm_level: str) -> tuple[list[tuple[str, float]], str]:
    while True:
        path, reason = rng.choices(PATHS, weights=PATH_WEIGHTS)[0]
        levels = [(wm_level if code == "3.7-WM" else code, rng.uniform(*days)) for code, days in path]
        levels = [(code, days) for code, days in levels if code in offered]
        if levels:
            return levels, reason


def _episode(rng, start: datetime, offered, wm_level) -> Episode:
    levels, reason = _path_for(rng, offered, wm_level)
    stays, at = [], start
    for code, days in levels:
        end = at + timedelta(days=days, hours=rng.uniform(-6, 6))
        stays.append(Stay(code, at, end))
        at = end
    return Episode(start, at, reason, stays, referral_at=start - timedelta(days=rng.uniform(0.5, 21)))


def plan_patient(
    rng: random.Random, number: int, *, now: datetime, days: int, offered: set[str], wm_level: str, in_withdrawal: bool
) -> PatientPlan:
    sex = rng.choice(("female", "male", "male"))
    age = rng.randint(19, 64)
    begin = now - timedelta(days=days)
    patient = PatientPlan(
        number=number,
        mrn=f"{MRN_PREFIX}{number:08d}",
        given=rng.choice(GIVEN),
        family=rng.choice(FAMILY),
        birth_date=(now - timedelta(days=age * 365 + rng.randint(0, 364))).date(),
        sex=sex,
        created=begin + timedelta(days=rng.uniform(0, days * 0.3)),
        last_use_hours=rng.uniform(6, 30),
    )
    at = patient.created + timedelta(hours=rng.uniform(1, 72))
    while at < now:
        episode = _episode(rng, at, offered, wm_level)
        assert episode.discharged is not None  # _episode plans a whole stay, discharge included
        if episode.discharged >= now:
            current = next(s for s in episode.stays if cast(datetime, s.end) >= now)  # every stay of it ends
            if current.level == wm_level:
                break  # only the patients chosen for it are in withdrawal management now
            episode.stays = [s for s in episode.stays if s.start < now]
            episode.stays[-1].end = None
            episode.discharged, episode.discharge_reason = None, ""
            patient.episodes.append(episode)
            break
        patient.episodes.append(episode)
        at = episode.discharged + timedelta(days=rng.uniform(30, 400))
    if in_withdrawal:
        if patient.episodes and patient.episodes[-1].discharged is None:
            patient.episodes.pop()
        start = now - timedelta(hours=rng.uniform(2, 120))
        # the open episode was popped above: the others were discharged
        while patient.episodes and cast(datetime, patient.episodes[-1].discharged) > start - timedelta(days=7):
            patient.episodes.pop()
        patient.created = min(patient.created, start - timedelta(days=1))
        patient.episodes.append(
            Episode(
                start, None, "", [Stay(wm_level, start, None)], referral_at=start - timedelta(days=rng.uniform(0.5, 10))
            )
        )
    return patient
