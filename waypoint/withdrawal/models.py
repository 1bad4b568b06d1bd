from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from waypoint.accounts.models import Program
from waypoint.accounts.scoping import program_scoped
from waypoint.patients.models import Patient
from waypoint.patients.records import ClinicalRecord
from waypoint.scales import get_instrument

from .settings import NO_BANDS
from .vitals import VITALS


class Assessment(ClinicalRecord):
    """One scored instrument (COWS, SOWS, Short OWS, craving) with the vitals taken with it.

    Never edited: a correction is a new version (`replaces` the old one, which becomes `amended`), and a
    mistaken entry is marked `entered_in_error` (`record_status`, see ClinicalRecord). The chart shows every
    version.
    """

    class Source(models.TextChoices):
        STAFF = "staff", "Entered by staff"
        KIOSK = "kiosk", "Patient kiosk"

    # program and patient need no index of their own: they lead `assessment_program_time` and `assessment_series`
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+", db_index=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assessments", db_index=False)
    instrument = models.CharField(max_length=32)
    instrument_version = models.CharField(max_length=16)
    taken_at = models.DateTimeField()
    responses = models.JSONField()
    total = models.PositiveSmallIntegerField()
    severity = models.CharField(max_length=24, blank=True)
    # The program's band for an instrument that has none of its own (CIWA-Ar), as set when it was recorded: a later
    # change of the program's bands never relabels it. Empty: no bands were set by the program (also the database's
    # default, for the rows the seed and the benchmark load by COPY without naming these columns).
    band_label = models.CharField(max_length=60, blank=True, default="", db_default="")
    band_source = models.CharField(max_length=200, blank=True, default="", db_default="")
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
    version = models.PositiveSmallIntegerField(default=1)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by")

    class Meta:
        ordering = ["-taken_at", "-id"]
        indexes = [
            # id last: the board's "newest two" (ORDER BY taken_at DESC, id DESC LIMIT 2) is a backward index walk
            models.Index(fields=["patient", "instrument", "record_status", "taken_at", "id"], name="assessment_series"),
            models.Index(fields=["program", "taken_at"], name="assessment_program_time"),
            # the last update as FHIR reads it (`_since`, `_lastUpdated`, a bulk export's transaction time): with
            # this index PostgreSQL knows how many rows a `_since` keeps (its statistics), so an export page
            # (`id > last ORDER BY id LIMIT n`) walks the primary key for n rows instead of scanning the table
            models.Index(Coalesce("status_changed_at", "recorded_at"), name="assessment_last_updated"),
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
        return band.label if band else self.band_label

    @property
    def band_words(self) -> str:
        """The program's band for CIWA-Ar as stored when recorded, with its source; else "no bands set by the
        program". Empty for an instrument with bands of its own (its severity label says it)."""
        if self.definition.bands:
            return ""
        if self.band_label:
            return f"{self.band_label} (program bands: {self.band_source})"
        return NO_BANDS if self.instrument == "ciwa-ar" else ""

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


class CiwaArMonitoring(models.Model):
    """A nurse's or prescriber's instruction to assess a patient with CIWA-Ar (alcohol co-use), with its reason: on
    from `started_at` until it is turned off. Turning it on again starts a new row; none is edited otherwise."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="ciwa_ar_monitoring")
    reason = models.TextField()
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    stop_reason = models.TextField(blank=True)

    objects = program_scoped()

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=models.Q(stopped_at__isnull=True), name="ciwa_ar_monitoring_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"Assess CIWA-Ar ({self.reason}) from {self.started_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("withdrawal:flowsheet", args=[self.patient_id])
