from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from waypoint.accounts.models import Program
from waypoint.accounts.scoping import program_scoped
from waypoint.patients.models import Episode, Patient
from waypoint.scales import get_instrument

from .vitals import VITALS


class AssessmentQuerySet(models.QuerySet):
    def current(self):
        """The versions in force: neither replaced by an amendment nor marked entered-in-error."""
        return self.filter(status=Assessment.Status.FINAL)


class Assessment(models.Model):
    """One scored instrument (COWS, SOWS, Short OWS, craving) with the vitals taken with it.

    Never edited: a correction is a new version (`replaces` the old one, which becomes `amended`), and a
    mistaken entry is marked `entered_in_error`. The chart shows every version.
    """

    class Status(models.TextChoices):
        FINAL = "final", "Final"
        AMENDED = "amended", "Replaced by an amendment"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    class Source(models.TextChoices):
        STAFF = "staff", "Entered by staff"
        KIOSK = "kiosk", "Patient kiosk"

    # program and patient need no index of their own: they lead `assessment_program_time` and `assessment_series`
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+", db_index=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assessments", db_index=False)
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    instrument = models.CharField(max_length=32)
    instrument_version = models.CharField(max_length=16)
    taken_at = models.DateTimeField()
    responses = models.JSONField()
    total = models.PositiveSmallIntegerField()
    severity = models.CharField(max_length=24, blank=True)
    derived = models.JSONField(default=list, blank=True)  # item keys derived from vitals
    pulse_bpm = models.PositiveSmallIntegerField(null=True, blank=True)
    systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    respiratory_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    temperature_c = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    spo2_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    reporter = models.CharField(max_length=12)  # clinician or patient: who answered the items
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.STAFF)
    late_entry_reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.FINAL)
    version = models.PositiveSmallIntegerField(default=1)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by")
    change_reason = models.TextField(blank=True)  # why this version amends the last, or why it is in error
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)

    objects = program_scoped(AssessmentQuerySet)

    class Meta:
        ordering = ["-taken_at", "-id"]
        indexes = [
            # id last: the board's "newest two" (ORDER BY taken_at DESC, id DESC LIMIT 2) is a backward index walk
            models.Index(fields=["patient", "instrument", "status", "taken_at", "id"], name="assessment_series"),
            models.Index(fields=["program", "taken_at"], name="assessment_program_time"),
        ]

    def __str__(self) -> str:
        return f"{self.definition.short_title} {self.total} at {self.taken_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("withdrawal:flowsheet", args=[self.patient_id]) + f"#assessment-{self.pk}"

    @property
    def definition(self):
        return get_instrument(self.instrument)

    @property
    def severity_label(self) -> str:
        band = next((b for b in self.definition.bands if b.code == self.severity), None)
        return band.label if band else ""

    @property
    def vitals(self) -> dict:
        return {v.key: getattr(self, v.key) for v in VITALS if getattr(self, v.key) is not None}


class KioskSession(models.Model):
    """A patient self-report session that a staff member opened for one patient on one device."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = program_scoped()

    def __str__(self) -> str:
        return f"Kiosk for patient {self.patient_id} opened {self.opened_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None and self.expires_at > timezone.now()
