"""Recording a patient's drug allergies: one function each, atomic, with its audit event and timeline line.

Three states a medication page shows: not asked (no entry in force), "no known drug allergies" (that one entry),
or the allergies recorded. Recording an allergy replaces a "no known drug allergies" entry (it becomes amended,
with the reason); "no known drug allergies" is refused while an allergy is in force. Errors name the field:
`kind`, `substance`, `reaction`, `severity`, `reason`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from waypoint.accounts.models import User
from waypoint.accounts.roles import PATIENT_EDIT
from waypoint.audit import trail as audit

from . import records
from .access import require
from .allergy_models import Allergy, allergies_in_force
from .models import Patient
from .recording import episode_at, write_timeline
from .records import RecordStatus

NOT_ASKED, NONE_KNOWN, RECORDED = "not_asked", "none_known", "recorded"


def allergy_state(patient: Patient) -> tuple[str, list[Allergy]]:
    """(not_asked | none_known | recorded, the entries in force)."""
    entries = allergies_in_force(patient)
    if not entries:
        return NOT_ASKED, []
    if all(entry.kind == Allergy.Kind.NONE_KNOWN for entry in entries):
        return NONE_KNOWN, entries
    return RECORDED, [entry for entry in entries if entry.kind != Allergy.Kind.NONE_KNOWN]


def _text(value: Any, errors: dict[str, str], field: str, limit: int) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > limit:
        errors[field] = f"At most {limit} characters."
    elif any(ord(char) < 32 for char in text):
        errors[field] = "One line of text, without control characters."
    return text


@transaction.atomic
def record_allergy(
    *,
    acting_user: User,
    patient: Patient,
    kind: str,
    substance: str = "",
    reaction: str = "",
    severity: str = "",
    note: str = "",
) -> Allergy:
    """Record one drug allergy (a drug or a class of drugs, the reaction, its severity), or that the patient has no
    known drug allergies."""
    require(acting_user, patient.program_id, PATIENT_EDIT)
    errors: dict[str, str] = {}
    if kind not in Allergy.Kind.values:
        raise ValidationError({"kind": "Choose a drug, a class of drugs, or no known drug allergies."})
    substance = _text(substance, errors, "substance", 120)
    reaction = _text(reaction, errors, "reaction", 200)
    severity = severity or ""
    # sanctioned (not visible_patients): locks the row of a patient the caller found, so two entries never race
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    state, entries = allergy_state(patient)
    if kind == Allergy.Kind.NONE_KNOWN:
        if substance or reaction or severity:
            errors["kind"] = "“No known drug allergies” has no drug, reaction or severity."
        if state == RECORDED:
            names = ", ".join(entry.substance for entry in entries)
            errors["kind"] = (
                f"Allergies are recorded ({names}): mark them entered in error first if they were a mistake."
            )
        elif state == NONE_KNOWN:
            errors["kind"] = "“No known drug allergies” is already recorded."
    else:
        if not substance and "substance" not in errors:
            errors["substance"] = "Name the drug or the class of drugs."
        if severity not in Allergy.Severity.values:
            errors["severity"] = "Choose mild, moderate, severe or not known."
        if substance and any(entry.substance.lower() == substance.lower() for entry in entries):
            errors["substance"] = f"An allergy to {substance} is already recorded."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    allergy = Allergy.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode_at(patient, now),
        recorded_by=acting_user,
        recorded_at=now,
        kind=kind,
        substance=substance,
        reaction=reaction,
        severity=severity,
        note=(note or "").strip(),
    )
    if kind != Allergy.Kind.NONE_KNOWN and state == NONE_KNOWN:
        for old in entries:
            old.record_status, old.change_reason = RecordStatus.AMENDED, f"Allergy recorded: {allergy}"
            old.status_changed_by, old.status_changed_at = acting_user, now
            old.save(update_fields=["record_status", "change_reason", "status_changed_by", "status_changed_at"])
    write_timeline(patient, "allergy", f"Allergy recorded: {allergy}", at=now, by=acting_user, episode=allergy.episode)
    audit.record(acting_user, "patient.allergy.create", patient=patient, obj=allergy, detail={"kind": kind})
    return allergy


@transaction.atomic
def mark_allergy_in_error(*, acting_user: User, allergy: Allergy, reason: str) -> Allergy:
    require(acting_user, allergy.program_id, PATIENT_EDIT)
    allergy = Allergy.objects.select_for_update().get(pk=allergy.pk)
    return records.mark_entered_in_error(
        allergy,
        acting_user=acting_user,
        reason=reason,
        noun="allergy entry",
        audit_action="patient.allergy.entered_in_error",
        timeline=lambda marked, at: marked.write_timeline(
            "allergy", f"Allergy entry entered in error: {marked}", at=at, by=acting_user
        ),
    )


def allergy_header(request, patient: Patient) -> tuple[str, dict[str, Any]]:
    """The chart's allergy line, under its header."""
    state, entries = allergy_state(patient)
    return (
        "patients/_chart_allergies.html",
        {"patient": patient, "state": state, "entries": entries, "NOT_ASKED": NOT_ASKED, "NONE_KNOWN": NONE_KNOWN},
    )
