from django.conf import settings
from django.db import models
from django.utils import timezone

from waypoint.accounts.models import Program
from waypoint.accounts.scoping import program_scoped
from waypoint.patients.models import Episode, Patient
from waypoint.placement.levels import LEVELS
from waypoint.placement.rules import DIMENSIONS


class RuleTableVersion(models.Model):
    """One saved version of a program's placement rule table. Never edited: saving (or restoring an older one)
    adds a new version, and the newest is the one in force. No version yet: Waypoint's default table."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    table = models.JSONField()
    note = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # null: carried over from the former program setting
    created_at = models.DateTimeField(default=timezone.now)
    restored_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["program", "number"], name="one_rule_table_version_number")]

    def __str__(self) -> str:
        return f"Rule table version {self.number} of {self.program}"


class PlacementAssessment(models.Model):
    """Six dimension ratings (0-4, each with a note), the rule table's recommendation and the level decided.

    Never edited: a new assessment replaces the old one as the latest.
    """

    class Reason(models.TextChoices):
        NONE = "", "—"
        PATIENT_PREFERENCE = "patient_preference", "Patient preference"
        LEVEL_NOT_AVAILABLE = "level_not_available", "Level not available"
        PAYER_DECISION = "payer_decision", "Payer decision"
        CLINICAL_JUDGEMENT = "clinical_judgement", "Clinical judgement"
        OTHER = "other", "Other"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="placements")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    edition = models.PositiveSmallIntegerField()
    ratings = models.JSONField()  # [d1..d6], each 0-4
    notes = models.JSONField()  # [d1..d6] text
    table_name = models.CharField(max_length=200)
    table_version = models.PositiveIntegerField()
    # The program's rule table version used; null: Waypoint's default table (table_name/table_version say which).
    rule_table = models.ForeignKey(
        RuleTableVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="placements"
    )
    recommended_level = models.CharField(max_length=16)
    recommended_withdrawal = models.CharField(max_length=40, blank=True)
    rules_fired = models.JSONField(default=list)
    decided_level = models.CharField(max_length=16)
    reason = models.CharField(max_length=24, choices=Reason.choices, blank=True)
    reason_text = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["patient", "at"], name="placement_patient_time"),
            models.Index(fields=["program", "at"], name="placement_program_time"),
        ]

    def __str__(self) -> str:
        return f"Placement {self.decided_level} (recommended {self.recommended_level}) at {self.at:%Y-%m-%d}"

    @property
    def differs(self) -> bool:
        return self.decided_level != self.recommended_level

    def level_label(self, code) -> str:
        found = LEVELS.get((self.edition, code))
        return found.label if found else code

    @property
    def recommended_label(self) -> str:
        return self.level_label(self.recommended_level)

    @property
    def decided_label(self) -> str:
        return self.level_label(self.decided_level)

    @property
    def dimensions(self) -> list[dict]:
        return [
            {"number": i + 1, "name": name, "rating": self.ratings[i], "note": self.notes[i]}
            for i, name in enumerate(DIMENSIONS[self.edition])
        ]


class Referral(models.Model):
    """Someone asking for care (or referred), from first contact through screening to an outcome."""

    class Source(models.TextChoices):
        SELF = "self", "Self"
        FAMILY = "family", "Family"
        HOSPITAL = "hospital", "Hospital"
        COURT = "court", "Court"
        OTHER_PROVIDER = "other_provider", "Other provider"

    class Urgency(models.TextChoices):
        ROUTINE = "routine", "Routine"
        URGENT = "urgent", "Urgent"
        EMERGENT = "emergent", "Emergent"

    class Status(models.TextChoices):
        SCREENING = "screening", "Screening"
        ADMITTED = "admitted", "Admitted"
        REFERRED_ELSEWHERE = "referred_elsewhere", "Referred elsewhere"
        CLOSED = "closed", "Closed"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    contact = models.CharField(max_length=200, help_text="Phone, e-mail or how to reach them")
    source = models.CharField(max_length=16, choices=Source.choices)
    source_detail = models.CharField(max_length=200, blank=True, help_text="Referring person or organisation")
    received_at = models.DateTimeField(help_text="First contact")
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    requested_level = models.CharField(max_length=16)
    priority_flags = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCREENING)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_reason = models.TextField(blank=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [models.Index(fields=["program", "status", "received_at"], name="referral_waitlist")]

    def __str__(self) -> str:
        return f"Referral of {self.name} ({self.get_status_display()})"

    @property
    def waiting_for(self):
        return (self.outcome_at or timezone.now()) - self.received_at
