"""Treatment plans, sessions, attendance and notes. Every table carries `program` (sharding key); nothing is
deleted: a signed plan is amended by a new version, attendance changes are audited, notes are kept."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from waypoint.accounts.models import Program
from waypoint.accounts.scoping import program_scoped
from waypoint.patients.models import Episode, Patient

OBJECTIVE_STATUSES = (
    ("not_started", "Not started"),
    ("in_progress", "In progress"),
    ("met", "Met"),
    ("not_met", "Not met"),
    ("discontinued", "Discontinued"),
)
OBJECTIVE_STATUS_LABELS = dict(OBJECTIVE_STATUSES)


class PlanTemplate(models.Model):
    """A program's starting point for plans at some levels of care ("Residential", "Intensive outpatient").

    The body has the shape of a plan's, with `target_days` (days from the plan's start) instead of target dates
    and no responsible staff. Saving a template under an existing name retires the old one.
    """

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    level_codes = models.JSONField(default=list, help_text="Levels of care the template is meant for.")
    body = models.JSONField()
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "name"], condition=models.Q(active=True), name="one_active_template_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TreatmentPlan(models.Model):
    """One version of an episode's treatment plan.

    A draft is edited (its `revision` guards against lost updates). The clinician's signature locks it; the
    patient's acknowledgement follows. A signed plan is never edited: an amendment is a new version that
    `replaces` it, and when that version is signed the old one becomes superseded.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"
        SUPERSEDED = "superseded", "Superseded"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="treatment_plans")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="treatment_plans")
    version = models.PositiveIntegerField(default=1)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    body = models.JSONField(default=dict)
    revision = models.PositiveIntegerField(default=1)
    template_name = models.CharField(max_length=120, blank=True)
    change_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)  # edit, signature, acknowledgement, superseding
    clinician_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    clinician_signed_at = models.DateTimeField(null=True, blank=True)
    patient_signed_name = models.CharField(max_length=200, blank=True)
    patient_signed_at = models.DateTimeField(null=True, blank=True)
    patient_witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = program_scoped()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "version"], name="one_plan_version"),
            models.UniqueConstraint(fields=["episode"], condition=models.Q(status="draft"), name="one_draft_plan"),
            models.UniqueConstraint(fields=["episode"], condition=models.Q(status="signed"), name="one_plan_in_force"),
        ]
        indexes = [models.Index(fields=["program", "status"], name="plan_program_status")]

    def __str__(self) -> str:
        return f"Treatment plan v{self.version} ({self.status}) of patient {self.patient_id}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def objectives(self) -> list[dict]:
        """Every objective with its problem and goal, in plan order."""
        rows = []
        for problem in self.body.get("problems", []):
            for goal in problem.get("goals", []):
                for objective in goal.get("objectives", []):
                    rows.append({**objective, "problem": problem, "goal": goal})
        return rows


class PlanReview(models.Model):
    """A review of the plan in force that keeps it unchanged (an amendment is a review too: its new version)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plan_reviews")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="reviews")
    reviewed_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField()

    objects = program_scoped()

    class Meta:
        ordering = ["-reviewed_at", "-id"]

    def __str__(self) -> str:
        return f"Review of plan {self.plan_id} at {self.reviewed_at:%Y-%m-%d}"


class Session(models.Model):
    """A scheduled therapy session: a group (roster of many) or an individual session (roster of one)."""

    class Kind(models.TextChoices):
        GROUP = "group", "Group"
        INDIVIDUAL = "individual", "Individual"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    modality = models.CharField(max_length=60)
    modality_label = models.CharField(max_length=120)
    topic = models.CharField(max_length=200)
    facilitator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    room = models.CharField(max_length=80, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["program", "starts_at"], name="session_program_time")]

    def __str__(self) -> str:
        return f"{self.modality_label}: {self.topic} {self.starts_at:%Y-%m-%d %H:%M}"

    def has_started(self, now=None) -> bool:
        return self.starts_at <= (now or timezone.now())


class RosterEntry(models.Model):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="roster")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="session_roster")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["patient__family_name", "patient__given_name", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "patient"], name="one_roster_entry")]

    def __str__(self) -> str:
        return f"Patient {self.patient_id} on session {self.session_id}"


class Attendance(models.Model):
    """A rostered patient's attendance at a session that has started. A change is audited (from -> to)."""

    class Status(models.TextChoices):
        PRESENT = "present", "Present"
        LATE = "late", "Late"
        LEFT_EARLY = "left_early", "Left early"
        ABSENT_EXCUSED = "absent_excused", "Absent, excused"
        ABSENT_UNEXCUSED = "absent_unexcused", "Absent, unexcused"

    ATTENDED = (Status.PRESENT, Status.LATE, Status.LEFT_EARLY)

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="attendance")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(max_length=20, choices=Status.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["session__starts_at", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "patient"], name="one_attendance_mark")]

    def __str__(self) -> str:
        return f"{self.status} at session {self.session_id}"

    @property
    def attended(self) -> bool:
        return self.status in self.ATTENDED


class GroupNote(models.Model):
    """One note for a group session; each attendee's short individualized part is a GroupNoteEntry."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="group_note")
    body = models.TextField()
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["-written_at"]

    def __str__(self) -> str:
        return f"Group note of session {self.session_id}"


class GroupNoteEntry(models.Model):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    note = models.ForeignKey(GroupNote, on_delete=models.PROTECT, related_name="entries")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="group_note_entries")
    text = models.TextField()

    objects = program_scoped()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["note", "patient"], name="one_group_note_entry")]

    def __str__(self) -> str:
        return f"Group note part for patient {self.patient_id}"


class ProgressNote(models.Model):
    """A progress note (of an individual session or not), linked to the plan's objectives it reports on."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="progress_notes")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    occurred_at = models.DateTimeField()
    body = models.TextField()
    objective_updates = models.JSONField(default=list)  # [{"objective": id, "status": ..., "comment": ...}]
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["patient", "occurred_at"], name="progress_note_patient")]

    def __str__(self) -> str:
        return f"Progress note {self.occurred_at:%Y-%m-%d} of patient {self.patient_id}"


class CounselingNote(models.Model):
    """An SUD counseling note (42 CFR Part 2): kept apart from the chart, the timeline and general lists; read by
    its author and by care-team staff whose role may read counseling notes; disclosed only under a consent that
    names counseling notes."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    occurred_at = models.DateTimeField()
    body = models.TextField()
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"Counseling note {self.occurred_at:%Y-%m-%d}"
