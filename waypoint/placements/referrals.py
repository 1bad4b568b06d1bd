"""Referrals and the waitlist: record first contact, screen, then admit, refer elsewhere or close.

Errors name their key: `name`, `contact`, `source`, `received_at`, `urgency`, `requested_level`,
`priority_flags`, `status`, `reason`, `patient`, plus the admission's own keys. One transaction each, audited.
"""

from datetime import datetime
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from waypoint.accounts.models import Program, User
from waypoint.accounts.roles import REFERRAL_WRITE
from waypoint.audit import trail as audit
from waypoint.patients import services as patient_services
from waypoint.patients.access import require
from waypoint.patients.models import Patient
from waypoint.patients.services import CLOCK_SKEW
from waypoint.placement import waitlist
from waypoint.placement.levels import EDITIONS, LEVELS

from .models import Referral
from .settings import PRIORITY_FLAGS


def flag_choices(program) -> list[tuple[str, str]]:
    return [(f["code"], f["label"]) for f in PRIORITY_FLAGS.get(program)]


@transaction.atomic
def create_referral(
    *,
    acting_user: User,
    program: Program,
    name: str,
    contact: str,
    source: str,
    received_at: datetime,
    requested_level: str,
    urgency: str = Referral.Urgency.ROUTINE,
    priority_flags=(),
    source_detail: str = "",
    note: str = "",
) -> Referral:
    require(acting_user, program.pk, REFERRAL_WRITE)
    errors = {}
    if not name.strip():
        errors["name"] = "Give the person's name."
    if not contact.strip():
        errors["contact"] = "Give a way to reach them."
    if source not in Referral.Source.values:
        errors["source"] = "Expected one of " + ", ".join(Referral.Source.values) + "."
    if urgency not in Referral.Urgency.values:
        errors["urgency"] = "Expected one of " + ", ".join(Referral.Urgency.values) + "."
    if (program.asam_edition, requested_level) not in LEVELS:
        errors["requested_level"] = (
            f"{requested_level!r} is not a level of care of the {EDITIONS[program.asam_edition]}."
        )
    known = dict(flag_choices(program))
    flags = list(priority_flags or [])
    unknown = [f for f in flags if f not in known]
    if unknown:
        errors["priority_flags"] = f"Unknown flag(s) {', '.join(map(str, unknown))}; known: {', '.join(known)}."
    if received_at > timezone.now() + CLOCK_SKEW:
        errors["received_at"] = "The first contact is in the future."
    if errors:
        raise ValidationError(errors)
    referral = Referral.objects.create(
        program=program,
        name=name.strip(),
        contact=contact.strip(),
        source=source,
        source_detail=source_detail,
        received_at=received_at,
        urgency=urgency,
        requested_level=requested_level,
        priority_flags=list(dict.fromkeys(flags)),
        note=note,
        created_by=acting_user,
    )
    audit.record(
        acting_user,
        "referral.create",
        program=program,
        obj=referral,
        detail={"source": source, "level": requested_level},
    )
    return referral


def _screening(referral: Referral) -> Referral:
    referral = Referral.objects.select_for_update().select_related("program").get(pk=referral.pk)
    if referral.status != Referral.Status.SCREENING:
        raise ValidationError({"status": f"This referral is already {referral.get_status_display().lower()}."})
    return referral


@transaction.atomic
def admit_referral(
    *,
    acting_user: User,
    referral: Referral,
    admitted_at: datetime,
    patient: Patient | None = None,
    level_code: str = "",
    birth_date=None,
    sex_at_birth: str = "",
    care_team=None,
) -> Referral:
    """Admit the referred person at the requested level unless another is given. Without `patient`, the person is
    registered from the referral in the same step (name and contact carried over, MRN generated in the program's
    format); only what the referral lacks is asked: birth date and sex at birth. The referral's priority flags
    (injects, recent overdose) stay linked to the patient and reach the overdose-risk picture."""
    require(acting_user, referral.program_id, REFERRAL_WRITE)
    referral = _screening(referral)
    if patient is None:
        patient = _register_from(acting_user, referral, birth_date, sex_at_birth, care_team)
    elif patient.program_id != referral.program_id:
        raise ValidationError({"patient": "The patient belongs to another program."})
    if admitted_at < referral.received_at:
        raise ValidationError({"admitted_at": "The admission is before the first contact."})
    episode = patient_services.admit(
        acting_user=acting_user,
        patient=patient,
        admitted_at=admitted_at,
        level_code=level_code or referral.requested_level,
        reason=f"Referral ({referral.get_source_display().lower()})",
        care_team=care_team,
    )
    referral.status, referral.outcome_at = Referral.Status.ADMITTED, admitted_at
    referral.patient, referral.episode = patient, episode
    referral.save(update_fields=["status", "outcome_at", "patient", "episode"])
    audit.record(acting_user, "referral.admit", patient=patient, obj=referral, detail={"episode": episode.pk})
    return referral


def _register_from(acting_user: User, referral: Referral, birth_date, sex_at_birth: str, care_team) -> Patient:
    """The referred person as a patient: names split at the last space (a single name is the family name)."""
    errors = {}
    if birth_date is None:
        errors["birth_date"] = "Give the birth date (the referral does not carry it)."
    if not sex_at_birth:
        errors["sex_at_birth"] = "Give the sex at birth (the referral does not carry it)."
    if errors:
        raise ValidationError(errors)
    given, _, family = referral.name.strip().rpartition(" ")
    contact = referral.contact.strip()
    return patient_services.register_patient(
        acting_user=acting_user,
        program=referral.program,
        given_name=given or family,
        family_name=family,
        birth_date=birth_date,
        sex_at_birth=sex_at_birth,
        phone=contact if len(contact) <= 30 and "@" not in contact else "",
        care_team=care_team,
    )


@transaction.atomic
def close_referral(
    *, acting_user: User, referral: Referral, status: str, reason: str, at: datetime | None = None
) -> Referral:
    """Referred elsewhere or closed, with the reason."""
    require(acting_user, referral.program_id, REFERRAL_WRITE)
    if status not in (Referral.Status.REFERRED_ELSEWHERE, Referral.Status.CLOSED):
        raise ValidationError({"status": "Expected referred_elsewhere or closed (admission has its own step)."})
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason."})
    referral = _screening(referral)
    referral.status, referral.outcome_reason = status, reason.strip()
    referral.outcome_at = at or timezone.now()
    referral.save(update_fields=["status", "outcome_reason", "outcome_at"])
    audit.record(acting_user, f"referral.{status}", program=referral.program, obj=referral)
    return referral


def waitlist_figures(program, now=None) -> list[waitlist.Waits]:
    now = now or timezone.now()
    pairs = list(
        Referral.objects.filter(program=program, status=Referral.Status.ADMITTED).values_list(
            "received_at", "outcome_at"
        )
    )
    admitted = cast(list[tuple[datetime, datetime]], pairs)  # an admitted referral has its outcome (admission) time
    return [waitlist.waits(admitted, now, days) for days in (30, 90)]


def waiting(program):
    """Who waits, priority-flagged first, then most urgent, then longest waiting."""
    order = {Referral.Urgency.EMERGENT: 0, Referral.Urgency.URGENT: 1, Referral.Urgency.ROUTINE: 2}
    rows = list(Referral.objects.filter(program=program, status=Referral.Status.SCREENING))
    return sorted(rows, key=lambda r: (not r.priority_flags, order[r.urgency], r.received_at))
