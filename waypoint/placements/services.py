"""Recording placement assessments: rate, recommend by the program's rule table, decide, audit.

Errors name their key: `ratings.d1`..`ratings.d6`, `notes.dN`, `decided_level`, `reason`, `reason_text`, `at`.
Nothing is written when any of them fails.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from waypoint.accounts.models import Program, User
from waypoint.accounts.roles import EPISODE_MANAGE
from waypoint.patients.access import require
from waypoint.patients.models import Patient
from waypoint.patients.recording import episode_at, write_timeline
from waypoint.patients.services import CLOCK_SKEW
from waypoint.placement import rules
from waypoint.placement.levels import EDITIONS, LEVELS

from .models import PlacementAssessment, RuleTableVersion
from .rule_tables import table_in_force

KEYS = tuple(f"d{n}" for n in range(1, rules.DIMENSION_COUNT + 1))


def clean_ratings(ratings: object, notes: object) -> tuple[list[int], list[str]]:
    errors = {}
    if not isinstance(ratings, dict):
        raise ValidationError({"ratings": "Expected an object of ratings d1..d6, each 0-4."})
    notes = notes or {}
    if not isinstance(notes, dict):
        raise ValidationError({"notes": "Expected an object of notes d1..d6."})
    for key in sorted(set(ratings) - set(KEYS)):
        errors[f"ratings.{key}"] = "Unknown dimension; expected d1..d6."
    for key in sorted(set(notes) - set(KEYS)):
        errors[f"notes.{key}"] = "Unknown dimension; expected d1..d6."
    clean = []
    for key in KEYS:
        value = ratings.get(key)
        if value is None or value == "":
            errors[f"ratings.{key}"] = "Rate this dimension 0-4."
        elif isinstance(value, bool) or not isinstance(value, int) or value not in rules.RATINGS:
            errors[f"ratings.{key}"] = f"A rating is a whole number 0-4, not {value!r}."
        else:
            clean.append(value)
        if not isinstance(notes.get(key, ""), str):
            errors[f"notes.{key}"] = "A note is text."
    if errors:
        raise ValidationError(errors)
    return clean, [notes.get(key, "").strip() for key in KEYS]


def _recommend(
    program: Program, ratings: list[int]
) -> tuple[dict[str, Any], RuleTableVersion | None, rules.Recommendation]:
    table, version = table_in_force(program)
    return table, version, rules.recommend(table, ratings)


@transaction.atomic
def record_placement(
    *,
    acting_user: User,
    patient: Patient,
    ratings: object,
    notes: object = None,
    decided_level: str = "",
    reason: str = "",
    reason_text: str = "",
    at: datetime | None = None,
) -> PlacementAssessment:
    """Rate, recommend and record the decision; when the decision differs from the recommendation a reason."""
    from waypoint.audit import trail as audit

    require(acting_user, patient.program_id, EPISODE_MANAGE)
    program = patient.program
    edition = program.asam_edition
    clean, clean_notes = clean_ratings(ratings, notes)
    at = at or timezone.now()
    if at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"at": "The assessment time is in the future."})
    table, version, result = _recommend(program, clean)
    assert result.level is not None  # a table is saved only when it recommends one level for every combination
    decided_level = (decided_level or "").strip() or result.level
    errors = {}
    if (edition, decided_level) not in LEVELS:
        errors["decided_level"] = f"{decided_level!r} is not a level of care of the {EDITIONS[edition]}."
    if reason and reason not in PlacementAssessment.Reason.values:
        errors["reason"] = (
            "Unknown reason; expected one of " + ", ".join(v for v in PlacementAssessment.Reason.values if v) + "."
        )
    elif decided_level != result.level and not reason:
        errors["reason"] = (
            f"The decided level differs from the recommendation ({result.level}): give the reason "
            "(patient preference, level not available, payer decision, clinical judgement, other)."
        )
    elif decided_level == result.level and reason:
        errors["reason"] = "The decision follows the recommendation: no reason is needed."
    if reason == PlacementAssessment.Reason.OTHER and not reason_text.strip():
        errors["reason_text"] = "Describe the other reason."
    if errors:
        raise ValidationError(errors)
    placement = PlacementAssessment.objects.create(
        program=program,
        patient=patient,
        episode=episode_at(patient, at),
        edition=edition,
        ratings=clean,
        notes=clean_notes,
        table_name=table.get("name", ""),
        table_version=table.get("version", 1),
        rule_table=version,
        recommended_level=result.level,
        recommended_withdrawal=result.withdrawal or "",
        rules_fired=list(result.fired),
        decided_level=decided_level,
        reason=reason,
        reason_text=reason_text.strip(),
        decided_by=acting_user,
        at=at,
    )
    differs = f" (recommended {result.level}: {placement.get_reason_display().lower()})" if placement.differs else ""
    write_timeline(
        patient,
        "placement.create",
        f"Placement: level {decided_level} decided{differs}",
        at=at,
        by=acting_user,
        episode=placement.episode,
    )
    audit.record(
        acting_user,
        "placement.create",
        patient=patient,
        obj=placement,
        detail={"recommended": result.level, "decided": decided_level, "reason": reason},
    )
    return placement
