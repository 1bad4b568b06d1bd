"""MOUD orders and the administration record. Every table has `program` (sharding key); nothing is deleted:
an order ends by being stopped (with its reason), and a dose record is never edited."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from waypoint.accounts.models import Program
from waypoint.accounts.scoping import program_scoped
from waypoint.patients.models import Episode, Patient
from waypoint.patients.records import ClinicalRecord

from . import catalog


class Phase(models.TextChoices):
    INDUCTION = "induction", "Induction"
    MAINTENANCE = "maintenance", "Maintenance"
    TAPER = "taper", "Taper"


class OrderQuerySet(models.QuerySet):
    def active_at(self, at):
        """Orders in force at `at`: started at or before it, and not stopped by then."""
        return self.filter(start_at__lte=at).filter(models.Q(stop_at__isnull=True) | models.Q(stop_at__gt=at))


class MedicationOrder(models.Model):
    """A prescriber's order: medication, dose with unit, route, frequency, start and (optional) stop."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medication_orders")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    medication = models.CharField(max_length=32, choices=catalog.CHOICES)
    dose = models.DecimalField(max_digits=7, decimal_places=2)
    unit = models.CharField(max_length=8, default="mg")
    route = models.CharField(max_length=16, choices=list(catalog.ROUTE_NAMES.items()))
    # How often: at most `times_per_day` doses given in one program day, at least `min_interval_minutes` apart.
    # Null times_per_day: an order written before frequency was structured (its text could not be read).
    times_per_day = models.PositiveSmallIntegerField(null=True, blank=True)
    min_interval_minutes = models.PositiveIntegerField(null=True, blank=True)
    frequency = models.CharField(max_length=120, blank=True)  # an added instruction only, e.g. "as needed"
    agonist_override_reason = models.TextField(blank=True)  # why a second opioid-agonist order was allowed
    phase = models.CharField(max_length=12, choices=Phase.choices, default=Phase.MAINTENANCE)
    instructions = models.TextField(blank=True)
    start_at = models.DateTimeField()
    stop_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.TextField(blank=True)
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)  # when the order was written or stopped
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = program_scoped(OrderQuerySet)

    class Meta:
        ordering = ["-start_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "medication", "start_at"], name="moud_order_patient"),
            models.Index(fields=["program", "start_at"], name="moud_order_program"),
        ]

    def __str__(self) -> str:
        return f"{self.label}, {self.schedule}"

    def get_absolute_url(self) -> str:
        return reverse("medication:page", args=[self.patient_id]) + f"#order-{self.pk}"

    @property
    def label(self) -> str:
        return catalog.label(self.medication, self.dose, self.unit, self.route)

    @property
    def schedule(self) -> str:
        """The frequency in words, e.g. "twice daily, at least 8 h apart; with food"."""
        return catalog.schedule_text(self.times_per_day, self.min_interval_minutes, self.frequency)

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.start_at <= at and (self.stop_at is None or self.stop_at > at)


class Administration(ClinicalRecord):
    """One scheduled or requested dose: given (with the dose), held (with the reason), refused or missed."""

    class Status(models.TextChoices):
        GIVEN = "given", "Given"
        HELD = "held", "Held"
        REFUSED = "refused", "Refused by the patient"
        MISSED = "missed", "Missed"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="administrations")
    order = models.ForeignKey(MedicationOrder, on_delete=models.PROTECT, related_name="administrations")
    status = models.CharField(max_length=8, choices=Status.choices)
    dose = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)  # given doses only
    unit = models.CharField(max_length=8, default="mg")
    at = models.DateTimeField()
    reason = models.TextField(blank=True)  # required when held
    note = models.TextField(blank=True)
    cows_override_reason = models.TextField(blank=True)  # an induction dose given without a qualifying COWS: why
    # recorded_by (ClinicalRecord) is the nurse who gave, held or recorded the dose

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["patient", "status", "at"], name="moud_admin_patient"),
            models.Index(fields=["order", "at"], name="moud_admin_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.label} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        order = self.order
        dose = self.dose if self.dose is not None else order.dose
        return catalog.label(order.medication, dose, self.unit, order.route)
