"""The base of every model that records a clinical fact about a patient (`ClinicalRecord`): the program it
belongs to, the patient, the episode of care it falls in, who recorded it and when, and one status vocabulary
shaped like FHIR's (`final`, `amended`, `entered_in_error`) with one queryset method, `in_force()`.

A record is never deleted: a correction is either a new version (the old one becomes `amended`, where the kind
allows amendments) or the mistaken record is marked `entered_in_error` with the reason (`mark_entered_in_error`).
A record not in force is kept and shown, but counts in no figure or check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from waypoint.accounts.models import Program
from waypoint.accounts.scoping import program_scoped

from .models import Episode, Patient, TimelineEntry
from .recording import episode_at, write_timeline


class RecordStatus(models.TextChoices):
    FINAL = "final", "Final"
    AMENDED = "amended", "Replaced by an amendment"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class ClinicalRecordQuerySet(models.QuerySet):
    def in_force(self):
        """The records in force: neither replaced by an amendment nor marked entered-in-error."""
        return self.filter(record_status=RecordStatus.FINAL)


class ClinicalRecord(models.Model):
    """Abstract: a kind may redeclare a field to name its reverse relation or its indexes, never its meaning."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    # db_default too: rows written in bulk by raw SQL (the seed, the bench) need name neither column
    record_status = models.CharField(
        max_length=20, choices=RecordStatus.choices, default=RecordStatus.FINAL, db_default=RecordStatus.FINAL
    )
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    change_reason = models.TextField(blank=True, default="", db_default="")  # why amended, or why in error

    objects = program_scoped(ClinicalRecordQuerySet)

    class Meta:
        abstract = True

    @property
    def in_force(self) -> bool:
        return self.record_status == RecordStatus.FINAL

    @property
    def entered_in_error(self) -> bool:
        return self.record_status == RecordStatus.ENTERED_IN_ERROR

    @staticmethod
    def episode_for(patient: Patient, at: datetime) -> Episode | None:
        """The episode of care the patient was in at that time, if any (what a new record belongs to)."""
        return episode_at(patient, at)

    def write_timeline(self, kind: str, summary: str, *, at: datetime, by) -> TimelineEntry:
        """This record's line on the patient's timeline (capped), in the caller's transaction."""
        return write_timeline(self.patient, kind, summary, at=at, by=by, episode=self.episode)


R = TypeVar("R", bound=ClinicalRecord)


def mark_entered_in_error(
    record: R, *, acting_user, reason: str, noun: str, audit_action: str, timeline: Callable[[R, datetime], object]
) -> R:
    """Mark a record made by mistake entered-in-error, with the reason: it stays, out of every figure and check.

    The caller checks the permission, locks the row (`select_for_update`) inside its transaction and passes
    `timeline(record, marked_at)`, which writes the record's timeline line. Refused, with the field named, when
    the record is no longer in force or no reason is given; nothing is saved then."""
    from waypoint.audit import trail as audit  # the audit trail: foundation, imported late to keep models import-light

    if record.record_status != RecordStatus.FINAL:
        done = "is already marked entered in error" if record.entered_in_error else "was replaced by an amendment"
        raise ValidationError({"reason": f"This {noun} {done}."})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": f"Say why this {noun} is in error."})
    record.record_status, record.change_reason = RecordStatus.ENTERED_IN_ERROR, reason
    marked_at = timezone.now()
    record.status_changed_by, record.status_changed_at = acting_user, marked_at
    record.save(update_fields=["record_status", "change_reason", "status_changed_by", "status_changed_at"])
    timeline(record, marked_at)
    audit.record(acting_user, audit_action, patient=record.patient, obj=record)
    return record
