import re
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from waypoint.accounts.models import CareTeam, Program
from waypoint.accounts.scoping import program_scoped
from waypoint.placement.levels import level


def not_in_the_future(value: date) -> None:
    if value > timezone.localdate():
        raise ValidationError("The birth date cannot be in the future.")


# A birth date before 1900 is a typing slip (e.g. 1088 for 1988), not a patient: the oldest person alive was born
# in the 1900s. Program choice (docs/security.md, "Input bounds").
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


def not_before_1900(value: date) -> None:
    if value < EARLIEST_BIRTH_DATE:
        raise ValidationError("The birth date cannot be before 1900: check the year.")


# One line of text as typed at a keyboard: no control characters (newline, tab, escape, NUL...), no line or
# paragraph separators, no invisible text-direction overrides. MRNs and names are printed on wristbands, labels,
# headers of downloads and CSV rows; an invisible or line-breaking character there misleads or breaks them.
SINGLE_LINE_CHARACTER = r"[^\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
SINGLE_LINE = rf"^{SINGLE_LINE_CHARACTER}*$"
SINGLE_LINE_FIELDS = ("mrn", "given_name", "family_name", "preferred_name", "emergency_contact_name")


SINGLE_LINE_MESSAGE = "Use letters, digits, spaces and punctuation only: no line breaks or control characters."


def single_line(value: str) -> None:
    if not re.fullmatch(SINGLE_LINE, value):
        raise ValidationError(SINGLE_LINE_MESSAGE)


class Patient(models.Model):
    """A person in the program's care. The MRN is unique within the program."""

    class SexAtBirth(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        UNKNOWN = "unknown", "Unknown"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=32)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField(validators=[not_in_the_future])
    sex_at_birth = models.CharField(max_length=8, choices=SexAtBirth.choices)
    gender_identity = models.CharField(max_length=60, blank=True)
    pronouns = models.CharField(max_length=30, blank=True)
    preferred_language = models.CharField(max_length=40, blank=True, default="English")
    phone = models.CharField(max_length=30, blank=True)
    address_line = models.CharField("Address", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=40, blank=True)
    postal_code = models.CharField(max_length=12, blank=True)
    emergency_contact_name = models.CharField(max_length=120, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    emergency_contact_phone = models.CharField(max_length=30, blank=True)
    allergies = models.TextField(blank=True, help_text="Known allergies; write 'No known allergies' if none.")
    alerts = models.TextField(blank=True, help_text="Safety alerts shown in the chart header.")
    care_team = models.ForeignKey(CareTeam, on_delete=models.PROTECT, null=True, blank=True, related_name="patients")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)  # +1 at each change of the demographics: stale edits are refused

    objects = program_scoped()

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        constraints = [models.UniqueConstraint(fields=["program", "mrn"], name="unique_mrn_per_program")]
        indexes = [
            models.Index(fields=["program", "family_name", "given_name"], name="patient_name"),
            models.Index(fields=["program", "birth_date"], name="patient_birth_date"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.mrn})"

    def get_absolute_url(self) -> str:
        return reverse("patients:chart", args=[self.pk])

    def clean(self) -> None:
        """The character rule of MRN and names and the plausible birth dates (page, API and services alike)."""
        errors = {}
        for name in SINGLE_LINE_FIELDS:
            try:
                single_line(getattr(self, name))
            except ValidationError as error:
                errors[name] = error.messages
        if self.birth_date:
            try:
                not_before_1900(self.birth_date)
            except ValidationError as error:
                errors["birth_date"] = error.messages
        if errors:
            raise ValidationError(errors)

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.given_name
        return f"{first} {self.family_name}"

    @property
    def age(self) -> int:
        today = timezone.localdate()
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class Episode(models.Model):
    """An episode of care, from admission to discharge. A patient has at most one open episode."""

    class DischargeReason(models.TextChoices):
        COMPLETED = "completed", "Completed treatment"
        AGAINST_ADVICE = "left_against_advice", "Left against advice"
        TRANSFERRED = "transferred", "Transferred"
        ADMINISTRATIVE = "administrative", "Administrative"
        OTHER = "other", "Other"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="episodes")
    admitted_at = models.DateTimeField()
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharge_reason = models.CharField(max_length=24, choices=DischargeReason.choices, blank=True)
    discharge_note = models.TextField(blank=True)
    admitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = program_scoped()

    class Meta:
        ordering = ["-admitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=models.Q(discharged_at__isnull=True), name="one_open_episode"
            ),
            models.CheckConstraint(
                condition=models.Q(discharged_at__isnull=True) | models.Q(discharged_at__gte=models.F("admitted_at")),
                name="discharge_after_admission",
            ),
        ]

    def __str__(self) -> str:
        return f"Episode {self.admitted_at:%Y-%m-%d} of {self.patient}"

    @property
    def is_open(self) -> bool:
        return self.discharged_at is None

    @property
    def current_stay(self) -> "LevelOfCareStay | None":
        return next((s for s in self.stays.all() if s.ended_at is None), None)


class LevelOfCareStay(models.Model):
    """A stretch of an episode spent at one level of care. One open stay per open episode."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="stays")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="stays")
    level_code = models.CharField(max_length=16)
    asam_edition = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The placement assessment the move rests on (optional), and the recommended level of the patient's latest
    # placement when the stay began (blank: none yet), so that a move against it shows.
    placement = models.ForeignKey(
        "placements.PlacementAssessment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supported_stays",
    )
    latest_recommendation = models.CharField(max_length=16, blank=True)

    objects = program_scoped()

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode"], condition=models.Q(ended_at__isnull=True), name="one_open_stay_per_episode"
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="stay_ends_after_it_starts",
            ),
        ]
        indexes = [models.Index(fields=["program", "ended_at", "level_code"], name="stay_census")]

    def __str__(self) -> str:
        return f"{self.level.label} from {self.started_at:%Y-%m-%d}"

    @property
    def level(self):
        return level(self.asam_edition, self.level_code)

    @property
    def against_recommendation(self) -> bool:
        return bool(self.latest_recommendation) and self.latest_recommendation != self.level_code


class TimelineEntry(models.Model):
    """One line of the patient's timeline: every step of care lands here, written by its service."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="timeline")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=40)
    summary = models.CharField(max_length=300)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["patient", "occurred_at"], name="timeline_patient")]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.summary}"


# Break the glass (privacy/views.py grants it) is part of who may see a patient (access.py), so its model sits
# here, below the privacy features; it keeps the `privacy` app label and migrations.
class EmergencyAccess(models.Model):
    """Break the glass: a clinician opens a chart outside their care team in an emergency, giving a reason.

    Grants sight of one patient for a limited time (program setting privacy.break_glass_hours); every
    grant is audited and listed on the privacy officer's report.
    """

    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="emergency_accesses")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    objects = program_scoped()

    class Meta:
        app_label = "privacy"
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["user", "expires_at"], name="emergency_access_active")]

    def __str__(self) -> str:
        return f"{self.user} opened patient {self.patient_id} at {self.started_at:%Y-%m-%d %H:%M}"


from .allergy_models import Allergy  # noqa: E402, F401  (a ClinicalRecord: the records kernel imports this module)
