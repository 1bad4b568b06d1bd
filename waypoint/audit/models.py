"""The audit trail's records: the hash-chained events, the runs of `waypoint audit verify` and the signed checkpoints.

They keep the `privacy` app label and its migrations (they were defined in privacy/models.py, which imports them so
the app registers them): the audit trail is the foundation every service calls, and imports no app.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyError(RuntimeError):
    """Audit events are never changed or removed."""


class AuditEvent(models.Model):
    """One access to or change of patient data: who, when, what, on whom, and with what outcome.

    Written once by the request (one INSERT, unsealed: no hash yet), then sealed once by the sequencer
    (`waypoint audit seal`, audit/sequencer.py) into its program's hash chain: `chain_seq` is its place in the
    chain, `hash` covers its fields, its place and the previous event's hash, so altering, inserting or removing a
    sealed event breaks the chain from there on (`waypoint audit verify`). `xid` is the PostgreSQL transaction that
    wrote it (set by the database): the sequencer seals only events whose transaction has ended. Nothing else is
    ever changed: the database refuses any UPDATE but sealing an unsealed event, and every DELETE.
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
    # Sealing (the sequencer; never the request): place in the program's chain, link, hash, when.
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    chain_seq = models.BigIntegerField(null=True, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)
    xid = models.BigIntegerField(null=True, blank=True, editable=False)  # the writing transaction (PostgreSQL)

    class Meta:
        app_label = "privacy"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["patient_id", "at"], name="audit_patient_at"),
            models.Index(fields=["program_id", "chain_seq"], name="audit_chain_seq"),
            models.Index(fields=["program_id", "id"], name="audit_unsealed", condition=models.Q(hash__isnull=True)),
        ]

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
        app_label = "privacy"
        ordering = ["-at", "-id"]
        get_latest_by = "at"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {'intact' if self.intact else 'BROKEN'} ({self.checked})"


class AuditCheckpoint(models.Model):
    """A signed statement of the chain's head: "up to event #id there were `count` events, the last one hashed
    `head_hash`", signed with a key kept outside the database (HMAC-SHA256, audit/signing.py).

    Someone with write access to the database but not the key can rewrite the chain and recompute its hashes,
    or delete the newest events, but cannot make a checkpoint that matches: `waypoint audit verify` compares
    the chain with every checkpoint, and with checkpoints exported elsewhere (`waypoint audit checkpoints`).
    The sequencer writes one per chain per sealed batch; `chain` names the chain (a program's id, or "none" for
    the events of no program); "" marks a checkpoint of the single chain kept before sequencing, re-sealed into
    per-program chains by privacy migration 0008, which checked it first. Append-only like the events.
    """

    at = models.DateTimeField(default=timezone.now)
    chain = models.CharField(max_length=24, blank=True, default="")
    last_event_id = models.BigIntegerField()
    count = models.PositiveBigIntegerField()
    head_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16)  # which key signed it (the first 16 hex of its SHA-256), never the key
    signature = models.CharField(max_length=64)

    class Meta:
        app_label = "privacy"
        ordering = ["last_event_id", "id"]
        indexes = [models.Index(fields=["chain", "id"], name="audit_checkpoint_chain")]

    def __str__(self) -> str:
        return f"checkpoint at event #{self.last_event_id} ({self.count} events)"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit checkpoints are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit checkpoints are append-only.")
