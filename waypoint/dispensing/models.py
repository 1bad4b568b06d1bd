"""The dosing window's records. Every table has `program`; nothing is deleted: a hold ends by being lifted (who,
when, why), a bottle by being returned, and the stock balance is never typed: it is the sum of the ledger."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from waypoint.accounts.models import Program
from waypoint.accounts.scoping import program_scoped
from waypoint.medication import catalog
from waypoint.medication.models import Administration, MedicationOrder
from waypoint.patients.models import Patient

USER = settings.AUTH_USER_MODEL


class Hold(models.Model):
    """A hold on a patient's doses at the window: who set it, why, and how it is lifted."""

    class Kind(models.TextChoices):
        CLINICAL = "clinical", "Clinical hold"
        ADMINISTRATIVE = "administrative", "Administrative hold"
        MISSED_DOSES = "missed_doses", "Missed-dose reassessment"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="dosing_holds")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reason = models.TextField()
    set_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    lift_note = models.TextField(blank=True)

    objects = program_scoped()

    class Meta:
        ordering = ["-set_at", "-id"]
        indexes = [models.Index(fields=["patient", "lifted_at"], name="dosing_hold_patient")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reason}"

    @property
    def how_to_lift(self) -> str:
        if self.kind == self.Kind.ADMINISTRATIVE:
            return "A nurse or prescriber lifts it once the administrative matter is settled."
        return "A prescriber lifts it after reassessing the patient."


class StockLot(models.Model):
    """One lot of a MOUD medication the program holds (e.g. methadone oral concentrate 10 mg/mL, lot A123)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    medication = models.CharField(max_length=32, choices=catalog.CHOICES)
    strength = models.CharField(max_length=40)  # as printed on the stock, e.g. "10 mg/mL"
    lot_number = models.CharField(max_length=40)
    expires_on = models.DateField(null=True, blank=True)

    objects = program_scoped()

    class Meta:
        ordering = ["medication", "lot_number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "medication", "strength", "lot_number"], name="dosing_lot_once")
        ]

    def __str__(self) -> str:
        return f"{catalog.MEDICATIONS[self.medication].name} {self.strength}, lot {self.lot_number}"


class TakeHomeDecision(models.Model):
    """A practitioner's signed decision on take-home doses: days, the six federal criteria answered, the basis."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="take_home_decisions")
    days = models.PositiveSmallIntegerField()
    criteria = models.JSONField()  # {criterion key: true (met) / false (not met)}, every key answered
    basis = models.TextField()
    day_of_treatment = models.PositiveIntegerField()
    tier = models.CharField(max_length=80)  # the tier in words when signed
    signed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"Take-home doses: up to {self.days} days (signed {self.signed_at:%Y-%m-%d})"


def _bottle_code() -> str:
    return "B" + secrets.token_hex(5).upper()


class TakeHomeBottle(models.Model):
    """One take-home dose: a labelled bottle to be taken on one day, issued, and later returned (empty or not)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="take_home_bottles")
    order = models.ForeignKey(MedicationOrder, on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey(TakeHomeDecision, on_delete=models.PROTECT, related_name="bottles")
    lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="bottles")
    code = models.CharField(max_length=16, unique=True, default=_bottle_code)
    dose = models.DecimalField(max_digits=7, decimal_places=2)
    take_on = models.DateField()
    issued_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    returned_empty = models.BooleanField(null=True, blank=True)
    return_note = models.TextField(blank=True)

    objects = program_scoped()

    class Meta:
        ordering = ["take_on", "id"]
        indexes = [models.Index(fields=["patient", "take_on"], name="dosing_bottle_patient")]

    def __str__(self) -> str:
        return f"Bottle {self.code}: {self.label} to take on {self.take_on:%Y-%m-%d}"

    @property
    def label(self) -> str:
        return catalog.label(self.order.medication, self.dose, self.order.unit, self.order.route)


class WindowDose(models.Model):
    """What the window adds to an observed dose given (the administration record itself is the medication app's):
    the stock lot it came from and, for a split dose, which part it was."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    administration = models.OneToOneField(Administration, on_delete=models.PROTECT, related_name="window_dose")
    lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="+")
    part = models.PositiveSmallIntegerField(default=1)
    of_parts = models.PositiveSmallIntegerField(default=1)
    pump_dose_id = models.CharField(max_length=40, blank=True)  # the id the pump poured it under
    asked_ml = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    dispensed_ml = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)  # as the pump reported

    objects = program_scoped()

    def __str__(self) -> str:
        return f"Part {self.part} of {self.of_parts} from lot {self.lot_id}"


class LedgerEntry(models.Model):
    """One movement of stock, in mg of the lot's medication: positive in (receipt, adjustment up), negative out.
    Never edited or deleted; the balance of a lot is the sum of its entries."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        OBSERVED = "observed", "Observed dose"
        TAKE_HOME = "take_home", "Take-home bottle"
        WASTE = "waste", "Waste (witnessed)"
        SPILL = "spill", "Spill (witnessed)"
        TRANSFER = "transfer", "Transfer out"
        ADJUSTMENT = "adjustment", "Adjustment"
        REPLACEMENT = "replacement", "Replacement dose"

    OUTFLOWS = (Kind.OBSERVED, Kind.TAKE_HOME, Kind.WASTE, Kind.SPILL, Kind.TRANSFER, Kind.REPLACEMENT)

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    quantity_mg = models.DecimalField(max_digits=10, decimal_places=2)  # signed: + in, - out
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    bottle = models.ForeignKey(TakeHomeBottle, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.TextField(blank=True)

    objects = program_scoped()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["lot", "at"], name="dosing_ledger_lot")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity_mg} mg"


class StockCount(models.Model):
    """A blind count of one lot by two users: the counted amount, the balance expected then (not shown to them
    before they counted), the discrepancy, its investigation note and the director's sign-off."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="counts")
    counted_mg = models.DecimalField(max_digits=10, decimal_places=2)
    expected_mg = models.DecimalField(max_digits=10, decimal_places=2)
    counted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    second_counter = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    investigation_note = models.TextField(blank=True)
    signed_off_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    signed_off_at = models.DateTimeField(null=True, blank=True)

    objects = program_scoped()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Count of lot {self.lot_id}: {self.counted_mg} mg"

    @property
    def discrepancy_mg(self):
        return self.counted_mg - self.expected_mg


class GuestDosing(models.Model):
    """A patient of another OTP dosed here for a few days (travel, work): the sending program's order and dates as
    it gave them, and the local order a prescriber wrote from them (the window doses against that order)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="guest_dosings")
    order = models.OneToOneField(MedicationOrder, on_delete=models.PROTECT, related_name="guest_dosing")
    sending_program = models.CharField(max_length=200)
    sending_contact = models.CharField(max_length=200)  # who confirmed the order there (name, telephone)
    sending_medication = models.CharField(max_length=32, choices=catalog.CHOICES)
    sending_dose = models.DecimalField(max_digits=7, decimal_places=2)
    last_dose_on = models.DateField()  # the last dose at the sending program, as it reported it
    first_day = models.DateField()
    last_day = models.DateField()
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["-first_day", "-id"]

    def __str__(self) -> str:
        return f"Guest from {self.sending_program}, {self.first_day:%Y-%m-%d} to {self.last_day:%Y-%m-%d}"


class ReplacementDose(models.Model):
    """A dose given again at the window because the first was spilled (observed) or a take-home bottle was lost:
    the reason, the amount from a lot, who gave it and, where the program requires it, a second staff member who
    signed. Its own record (not a second MOUD administration: the day's dose stays one dose on the MAR)."""

    class Reason(models.TextChoices):
        SPILL = "spill", "Spilled dose"
        LOST_TAKE_HOME = "lost_take_home", "Lost take-home dose"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="replacement_doses")
    order = models.ForeignKey(MedicationOrder, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    note = models.TextField()
    replaces_administration = models.OneToOneField(
        Administration, on_delete=models.PROTECT, null=True, blank=True, related_name="replacement"
    )
    replaces_bottle = models.OneToOneField(
        TakeHomeBottle, on_delete=models.PROTECT, null=True, blank=True, related_name="replacement"
    )
    amount = models.DecimalField(max_digits=7, decimal_places=2)
    lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="+")
    given_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    second_signer = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Replacement dose ({self.get_reason_display().lower()}): {self.amount} mg"


class ClosedDay(models.Model):
    """A day the program's dosing window is closed (a holiday, a closure); Sundays come from a program setting."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "Holiday"
        CLOSURE = "closure", "Program closure"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=120)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["program", "day"], name="dosing_closed_day_once")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}: {self.name}"


class SafeStorageEducation(models.Model):
    """Safe-storage education given to the patient (child-resistant container, locked place, no sharing), recorded
    before the first take-home bottle."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="safe_storage_educations")
    given_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    objects = program_scoped()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Safe-storage education ({self.at:%Y-%m-%d})"


class CallBack(models.Model):
    """A random call-back: the patient is asked to bring back their take-home bottles on a day; recorded as brought
    back or not (with what was found)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="call_backs")
    due_on = models.DateField()
    scheduled_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    scheduled_at = models.DateTimeField(default=timezone.now)
    bottles_out = models.JSONField(default=list)  # the codes of the bottles out when it was scheduled
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    brought_back = models.BooleanField(null=True, blank=True)
    note = models.TextField(blank=True)

    objects = program_scoped()

    class Meta:
        ordering = ["-due_on", "-id"]

    def __str__(self) -> str:
        if self.recorded_at is None:
            return f"Call-back due {self.due_on:%Y-%m-%d}"
        return (
            f"Call-back {self.due_on:%Y-%m-%d}: {'bottles brought back' if self.brought_back else 'not brought back'}"
        )


class PatientPhoto(models.Model):
    """The patient's photo taken at intake, to confirm identity at the window. Stored with the record (in the
    database, not a file path); a new photo replaces the shown one, the old ones stay."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="dosing_photos")
    image = models.BinaryField()
    content_type = models.CharField(max_length=20)
    small = models.BinaryField(default=b"", editable=False)  # photos.small_copy: the queue's thumbnail (a JPEG)
    taken_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    taken_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["-taken_at", "-id"]
        indexes = [models.Index(fields=["patient", "taken_at"], name="dosing_photo_patient")]

    def __str__(self) -> str:
        return f"Photo taken {self.taken_at:%Y-%m-%d}"
