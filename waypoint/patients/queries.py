"""Read-side helpers for patient lists, charts and the census (no writes, no audit: callers audit)."""

from bisect import bisect_left
from datetime import date, datetime, time, timedelta
from typing import cast

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet

from waypoint.accounts.models import CareTeam, ProgramLevel
from waypoint.placement.levels import level

from .models import Episode, LevelOfCareStay, Patient


def parse_birth_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 (only the calendar date is kept)
        except ValueError:
            continue
    return None


# A search names a person: a few words. Each word is one more condition for the database, so a pasted paragraph
# would keep it busy for seconds; longer searches are refused with a message naming the limit.
SEARCH_MAX_LENGTH = 100
SEARCH_MAX_WORDS = 6


def search_words(text: str) -> list[str]:
    """The words of a search, or a ValidationError on `q` naming the limit it passes."""
    if len(text) > SEARCH_MAX_LENGTH:
        raise ValidationError({"q": f"Search with at most {SEARCH_MAX_LENGTH} characters."})
    words = text.split()
    if len(words) > SEARCH_MAX_WORDS:
        raise ValidationError({"q": f"Search with at most {SEARCH_MAX_WORDS} words (a name, an MRN or a birth date)."})
    return words


def search(patients: QuerySet[Patient], text: str) -> QuerySet[Patient]:
    """Match every word against name or MRN; a date (YYYY-MM-DD or MM/DD/YYYY) matches the birth date."""
    text = (text or "").strip()
    words = search_words(text)
    if not words:
        return patients
    born = parse_birth_date(text)
    if born is not None:
        return patients.filter(birth_date=born)
    for word in words:
        patients = patients.filter(
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(preferred_name__icontains=word)
            | Q(mrn__iexact=word)
        )
    return patients


def with_current_care(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """Attach `open_episodes` (0 or 1) with their open stay, in two extra queries whatever the count."""
    open_stays = LevelOfCareStay.objects.filter(ended_at__isnull=True)
    return patients.prefetch_related(
        Prefetch(
            "episodes",
            queryset=Episode.objects.filter(discharged_at__isnull=True).prefetch_related(Prefetch("stays", open_stays)),
            to_attr="open_episodes",
        )
    )


def census(program, visible: QuerySet[Patient]) -> list[dict]:
    """Patients in care now, by level of care offered by the program (levels with nobody included).

    Every stay counts; only the patients the user may see are listed by name (minimum necessary).
    """
    visible_ids = set(visible.values_list("id", flat=True))
    stays = (
        LevelOfCareStay.objects.filter(program=program, ended_at__isnull=True)
        .select_related("patient")
        .order_by("patient__family_name", "patient__given_name")
    )
    by_level: dict[str, list] = {}
    for stay in stays:
        by_level.setdefault(stay.level_code, []).append(stay)
    rows = []
    offered = {row.code: row for row in ProgramLevel.objects.filter(program=program)}
    codes = set(offered) | set(by_level)
    for code in sorted(codes, key=lambda c: level(program.asam_edition, c).position):
        capacity = offered[code].capacity if code in offered else None
        here = by_level.get(code, [])
        listed = [stay for stay in here if stay.patient_id in visible_ids]
        rows.append(
            {
                "level": level(program.asam_edition, code),
                "stays": listed,
                "unlisted": len(here) - len(listed),
                "count": len(here),
                "capacity": capacity,
            }
        )
    return rows


CENSUS_DEFINITION = (
    "Midnight census: for each date, the patients in each level of care at 00:00 at the start of that date in the "
    "program's time zone (a stay counts when it began at or before that midnight and had not ended by it). Someone "
    "admitted and discharged between two midnights is not counted; the table above shows who is in care now."
)
MAX_HISTORY_DAYS = 366


def midnight(day: date, tz) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def census_history(program, start: date, end: date) -> dict:
    """Daily midnight counts by level from `start` to `end` (inclusive), program time zone.

    Returns {"days": [date...], "levels": [{"level": Level, "capacity": int|None, "counts": [int...]}]} with every
    level the program offers (and any level a stay in the range used) in display order.
    """
    tz = program.tz
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    midnights = [midnight(day, tz) for day in days]
    stays = (
        LevelOfCareStay.objects.filter(program=program, started_at__lte=midnights[-1])
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=midnights[0]))
        .values_list("level_code", "started_at", "ended_at")
    )
    deltas: dict[str, list[int]] = {}
    for code, started, ended in stays:
        first = bisect_left(midnights, started)  # the first midnight at or after the start
        last = len(midnights) if ended is None else bisect_left(midnights, ended)  # midnights before the end
        if first >= last:
            continue
        row = deltas.setdefault(code, [0] * (len(days) + 1))
        row[first] += 1
        row[last] -= 1
    offered = {row.code: row for row in ProgramLevel.objects.filter(program=program)}
    levels = []
    for code in sorted(set(offered) | set(deltas), key=lambda c: level(program.asam_edition, c).position):
        running, counts = 0, []
        for change in deltas.get(code, [0] * (len(days) + 1))[:-1]:
            running += change
            counts.append(running)
        levels.append(
            {
                "level": level(program.asam_edition, code),
                "capacity": offered[code].capacity if code in offered else None,
                "counts": counts,
            }
        )
    return {"days": days, "levels": levels, "definition": CENSUS_DEFINITION}


def census_range(program, start_text: str | None, end_text: str | None) -> tuple[date, date]:
    """The date range asked for (YYYY-MM-DD), by default the last 30 days to today in the program's time zone.

    Refused under `from` / `to`: a date that does not parse, a range that ends before it starts, ends after
    today, or spans more than MAX_HISTORY_DAYS days.
    """
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    today = timezone.localdate(timezone=program.tz)
    errors = {}
    parsed: dict[str, date | None] = {}
    for key, text, fallback in (("to", end_text, today), ("from", start_text, None)):
        text = (text or "").strip()
        if not text:
            parsed[key] = fallback
            continue
        try:
            parsed[key] = date.fromisoformat(text)
        except ValueError:
            errors[key] = "Give a date as YYYY-MM-DD."
    if errors:
        raise ValidationError(errors)
    end = cast(date, parsed["to"])  # its fallback is today
    start = parsed["from"] or end - timedelta(days=29)
    if end > today:
        errors["to"] = f"The range cannot end after today ({today:%Y-%m-%d})."
    elif start > end:
        errors["from"] = "The range starts after it ends."
    elif (end - start).days + 1 > MAX_HISTORY_DAYS:
        errors["from"] = f"At most {MAX_HISTORY_DAYS} days at a time."
    if errors:
        raise ValidationError(errors)
    return start, end


def _may_be_unassigned(program) -> QuerySet[LevelOfCareStay]:
    """Open stays of patients on no care team or on a team that covers only some levels: the candidates `unassigned`
    checks one by one (a team's levels are a JSON list: Django's `contains` on it does not work on SQLite).

    The program's teams that cover only some levels are read first (a handful of rows) and named by id, so the stays
    are found from their patients through the index of patients by team: the same rule written as a join of every
    patient to their team scanned all the program's patients on every refresh of the board (28 ms with 42,010
    patients, for none found)."""
    limited = list(CareTeam.objects.filter(program=program).filter(~Q(levels=[])).values_list("pk", flat=True))
    return LevelOfCareStay.objects.filter(program=program, ended_at__isnull=True).filter(
        Q(patient__care_team__isnull=True) | Q(patient__care_team__in=limited)
    )


def unassigned(program) -> list[LevelOfCareStay]:
    """Open stays of patients on no care team, or on a team that does not cover the stay's level: patients the
    staff who must care for them cannot see. The service prevents them (`services.team_for_level`); this work
    list catches anything that slips through (data from before the rule, a team's levels changed since)."""
    stays = _may_be_unassigned(program).select_related("patient", "patient__care_team").order_by("started_at", "id")
    return [
        stay for stay in stays if stay.patient.care_team is None or not stay.patient.care_team.covers(stay.level_code)
    ]


def unassigned_count(program) -> int:
    """How many `unassigned` lists, by the same rule (`CareTeam.covers`), reading two columns instead of the stays,
    patients and teams: the board shows this count on every refresh."""
    candidates = _may_be_unassigned(program).values_list(
        "level_code", "patient__care_team_id", "patient__care_team__levels"
    )
    return sum(1 for code, team, levels in candidates if team is None or not CareTeam(levels=levels).covers(code))
