from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyError(RuntimeError):
    """Audit events are never changed or removed."""


class AuditEvent(models.Model):
    """One access to or change of patient data: who, when, what, on whom, and with what outcome.

    Append-only and hash-chained: `hash` covers this event's fields and the previous event's hash, so
    altering or removing any event breaks the chain from there on (`waypoint audit verify`).
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        DENIED = "denied", "Denied"
        FAILED = "failed", "Failed"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150)
    program_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=64)
    patient_id = models.BigIntegerField(null=True, blank=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.SUCCESS)
    channel = models.CharField(max_length=8, blank=True)  # page, api, command
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["patient_id", "at"], name="audit_patient_at")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only.")


class AuditVerification(models.Model):
    """One run of `waypoint audit verify`: when, how many events it checked, and whether the chain held."""

    at = models.DateTimeField(default=timezone.now)
    checked = models.PositiveIntegerField()
    intact = models.BooleanField()
    first_bad_id = models.BigIntegerField(null=True, blank=True)
    problem = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        get_latest_by = "at"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {'intact' if self.intact else 'BROKEN'} ({self.checked})"
