"""Symptom-triggered ("comfort") medications: the program's protocol (versioned, signed), a patient's order set
under one version, and the doses given, held or refused with their effectiveness follow-up.

Nothing is edited or deleted: a new protocol is a new version (doses keep the entry they were given under), an
order set ends by being stopped, and a dose is corrected by marking it entered in error.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from waypoint.accounts.models import Program
from waypoint.accounts.scoping import program_scoped
from waypoint.medication.catalog import ROUTE_NAMES, ROUTES, dose_text, interval_text
from waypoint.patients.models import Episode, Patient
from waypoint.patients.records import ClinicalRecord

from . import catalog


class Protocol(models.Model):
    """One signed version of a program's symptom-triggered protocol. The newest version is the one in force."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    is_demo = models.BooleanField(default=False)  # shown as "demo — not clinical guidance" wherever it appears
    note = models.TextField(blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["program", "version"], name="comfort_protocol_version")]

    def __str__(self) -> str:
        return f"{self.title}, version {self.version}" + (f" ({catalog.DEMO_LABEL})" if self.is_demo else "")


class ProtocolEntry(models.Model):
    """One drug for one symptom under a protocol version, with every limit the medical director set."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="entries")
    symptom = models.CharField(max_length=24, choices=list(catalog.SYMPTOMS.items()))
    drug = models.CharField(max_length=24, choices=list(catalog.DRUGS.items()))
    route = models.CharField(max_length=16, choices=list(ROUTE_NAMES.items()))
    dose_min_mg = models.DecimalField(max_digits=8, decimal_places=2)
    dose_max_mg = models.DecimalField(max_digits=8, decimal_places=2)
    min_interval_minutes = models.PositiveIntegerField()
    max_24h_mg = models.DecimalField(max_digits=8, decimal_places=2)
    hold_systolic_below = models.PositiveSmallIntegerField(null=True, blank=True)  # hold when systolic < this
    hold_pulse_below = models.PositiveSmallIntegerField(null=True, blank=True)  # hold when pulse < this
    vitals_max_age_minutes = models.PositiveIntegerField(null=True, blank=True)  # needed with any hold parameter
    condition = models.CharField(max_length=24, blank=True, choices=list(catalog.CONDITIONS.items()))
    condition_max_24h_mg = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    follow_up_minutes = models.PositiveIntegerField()

    objects = program_scoped()

    class Meta:
        ordering = ["symptom", "drug", "id"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "symptom", "drug"], name="comfort_entry_once"),
        ]

    def __str__(self) -> str:
        return f"{self.drug_name} for {self.symptom_name.lower()}"

    @property
    def drug_name(self) -> str:
        return catalog.DRUGS[self.drug]

    @property
    def symptom_name(self) -> str:
        return catalog.SYMPTOMS[self.symptom]

    @property
    def dose_text(self) -> str:
        low, high = dose_text(self.dose_min_mg), dose_text(self.dose_max_mg)
        return f"{low} mg" if low == high else f"{low}-{high} mg"

    @property
    def route_abbreviation(self) -> str:
        return ROUTES.get(self.route, self.route)

    @property
    def holds_text(self) -> str:
        holds = []
        if self.hold_systolic_below is not None:
            holds.append(f"systolic below {self.hold_systolic_below} mmHg")
        if self.hold_pulse_below is not None:
            holds.append(f"pulse below {self.hold_pulse_below}/min")
        if not holds:
            return ""
        return f"hold if {' or '.join(holds)} (vital signs no older than {self.vitals_max_age_minutes} min)"

    @property
    def condition_text(self) -> str:
        if not self.condition:
            return ""
        return f"{dose_text(self.condition_max_24h_mg)} mg per 24 h with {catalog.CONDITIONS[self.condition].lower()}"


class OrderQuerySet(models.QuerySet):
    def active_at(self, at):
        return self.filter(start_at__lte=at).filter(models.Q(stop_at__isnull=True) | models.Q(stop_at__gt=at))


class ComfortOrder(models.Model):
    """A prescriber's order set for one patient under one protocol version: the drugs kept, each with its limits."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="comfort_orders")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="+")
    start_at = models.DateTimeField()
    stop_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.TextField(blank=True)
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped(OrderQuerySet)

    class Meta:
        ordering = ["-start_at", "-id"]

    def __str__(self) -> str:
        return f"Comfort medications under {self.protocol} from {self.start_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("comfort:mar", args=[self.patient_id])


class OrderLine(models.Model):
    """One protocol entry kept in an order set, with the limits the prescriber narrowed (or, with a reason,
    widened); an empty limit is the protocol's."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(ComfortOrder, on_delete=models.PROTECT, related_name="lines")
    entry = models.ForeignKey(ProtocolEntry, on_delete=models.PROTECT, related_name="+")
    dose_max_mg = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    min_interval_minutes = models.PositiveIntegerField(null=True, blank=True)
    max_24h_mg = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    widen_reason = models.TextField(blank=True)

    objects = program_scoped()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.entry)

    @property
    def dose_max(self) -> Decimal:
        return self.dose_max_mg if self.dose_max_mg is not None else self.entry.dose_max_mg

    @property
    def dose_min(self) -> Decimal:
        return min(self.entry.dose_min_mg, self.dose_max)

    @property
    def min_interval(self) -> timedelta:
        minutes = (
            self.min_interval_minutes if self.min_interval_minutes is not None else self.entry.min_interval_minutes
        )
        return timedelta(minutes=minutes)

    @property
    def max_24h(self) -> Decimal:
        return self.max_24h_mg if self.max_24h_mg is not None else self.entry.max_24h_mg

    @property
    def interval_text(self) -> str:
        return interval_text(int(self.min_interval.total_seconds() // 60))

    @property
    def dose_range_text(self) -> str:
        low, high = dose_text(self.dose_min), dose_text(self.dose_max)
        return f"{low} mg" if low == high else f"{low}-{high} mg"

    @property
    def max_24h_text(self) -> str:
        return f"{dose_text(self.max_24h)} mg"


class Dose(ClinicalRecord):
    """One as-needed dose: given (with the amount), held by the nurse or refused by the patient (with the reason)."""

    class Status(models.TextChoices):
        GIVEN = "given", "Given"
        HELD = "held", "Held"
        REFUSED = "refused", "Refused by the patient"

    class Outcome(models.TextChoices):
        EASED = "eased", "Eased"
        UNCHANGED = "unchanged", "Unchanged"
        WORSE = "worse", "Worse"

    # program, episode, recorded_by (the nurse who gave, held or recorded the refusal), recorded_at and the record
    # status come from ClinicalRecord
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="comfort_doses")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="doses")
    entry = models.ForeignKey(ProtocolEntry, on_delete=models.PROTECT, related_name="+")  # the version given under
    drug = models.CharField(max_length=24, choices=list(catalog.DRUGS.items()))
    symptom = models.CharField(max_length=24, choices=list(catalog.SYMPTOMS.items()))
    status = models.CharField(max_length=8, choices=Status.choices)
    dose_mg = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)  # given doses only
    at = models.DateTimeField()
    reason = models.TextField(blank=True)  # why held or refused
    pulse_bpm = models.PositiveSmallIntegerField(null=True, blank=True)  # measured with the dose
    systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    follow_up_due_at = models.DateTimeField(null=True, blank=True)  # given doses only
    follow_up_at = models.DateTimeField(null=True, blank=True)
    follow_up_outcome = models.CharField(max_length=10, blank=True, choices=Outcome.choices)
    follow_up_note = models.TextField(blank=True)
    follow_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["patient", "drug", "at"], name="comfort_dose_drug"),
            models.Index(fields=["program", "follow_up_due_at"], name="comfort_dose_follow_up"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.label} at {self.at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("comfort:mar", args=[self.patient_id]) + f"#dose-{self.pk}"

    @property
    def label(self) -> str:
        amount = f" {dose_text(self.dose_mg)} mg" if self.dose_mg is not None else ""
        return f"{catalog.DRUGS[self.drug].lower()}{amount} {ROUTES.get(self.entry.route, self.entry.route)}"

    def follow_up_state(self, now=None) -> str:
        """ "" (none due), "due", "overdue" or "done"."""
        if self.status != self.Status.GIVEN or self.follow_up_due_at is None:
            return ""
        if self.follow_up_at is not None:
            return "done"
        return "overdue" if (now or timezone.now()) > self.follow_up_due_at else "due"
