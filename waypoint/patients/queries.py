"""Read-side helpers for patient lists, charts and the census (no writes, no audit: callers audit)."""

from datetime import date, datetime

from django.db.models import Prefetch, Q, QuerySet

from waypoint.accounts.models import ProgramLevel
from waypoint.placement.levels import level

from .models import Episode, LevelOfCareStay, Patient


def parse_birth_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def search(patients: QuerySet[Patient], text: str) -> QuerySet[Patient]:
    """Match every word against name or MRN; a date (YYYY-MM-DD or MM/DD/YYYY) matches the birth date."""
    text = (text or "").strip()
    if not text:
        return patients
    born = parse_birth_date(text)
    if born is not None:
        return patients.filter(birth_date=born)
    for word in text.split():
        patients = patients.filter(
            Q(given_name__icontains=word) | Q(family_name__icontains=word) | Q(preferred_name__icontains=word)
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
        rows.append({
            "level": level(program.asam_edition, code),
            "stays": listed,
            "unlisted": len(here) - len(listed),
            "count": len(here),
            "capacity": capacity,
        })
    return rows
