"""Intake screening records. Every table has `program` (sharding key); nothing is deleted: a history is
updated by a new version, a follow-up moves to an end state, other records are marked entered-in-error."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from waypoint.accounts.models import Program
from waypoint.accounts.scoping import program_scoped
from waypoint.patients.models import Patient
from waypoint.patients.records import ClinicalRecord
from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS
from waypoint.screening_rules.followups import FOLLOW_UPS

SUBSTANCES = (
    ("heroin", "Heroin"),
    ("fentanyl", "Fentanyl"),
    ("prescription_opioids", "Prescription opioids"),
    ("methadone", "Methadone"),
    ("buprenorphine", "Buprenorphine"),
    ("alcohol", "Alcohol"),
    ("benzodiazepines", "Benzodiazepines"),
    ("stimulants", "Stimulants"),
    ("other", "Other"),
)
SUBSTANCE_LABELS = dict(SUBSTANCES)
ROUTES = (("injection", "Injection"), ("smoking", "Smoking"), ("snorting", "Snorting"), ("oral", "Oral"))
ROUTE_LABELS = dict(ROUTES)
# Which routes apply to which substance (a route outside this set is refused).
ROUTES_FOR: dict[str, frozenset[str]] = {
    "heroin": frozenset({"injection", "smoking", "snorting", "oral"}),
    "fentanyl": frozenset({"injection", "smoking", "snorting", "oral"}),
    "prescription_opioids": frozenset({"injection", "smoking", "snorting", "oral"}),
    "methadone": frozenset({"injection", "oral"}),
    "buprenorphine": frozenset({"injection", "snorting", "oral"}),
    "alcohol": frozenset({"oral"}),
    "benzodiazepines": frozenset({"injection", "snorting", "oral"}),
    "stimulants": frozenset({"injection", "smoking", "snorting", "oral"}),
    "other": frozenset({"injection", "smoking", "snorting", "oral"}),
}
FREQUENCIES = (
    ("daily_multiple", "Several times a day"),
    ("daily", "Daily"),
    ("weekly", "Weekly"),
    ("less_than_weekly", "Less than weekly"),
    ("past_use", "Not currently using"),
    ("unknown", "Unknown"),
)


class History(models.Model):
    """One version of a patient's substance use history; the newest version is in force."""

    class Supply(models.TextChoices):
        NO = "no", "Not known or suspected"
        SUSPECTED = "suspected", "Suspected"
        KNOWN = "known", "Known"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="use_histories")
    version = models.PositiveIntegerField(default=1)
    fentanyl_xylazine = models.CharField(max_length=10, choices=Supply.choices, default=Supply.NO)
    prior_overdoses = models.PositiveIntegerField(default=0)
    most_recent_overdose = models.DateField(null=True, blank=True)
    naloxone_used = models.BooleanField(null=True, blank=True)
    uses_alone = models.BooleanField(default=False)
    shared_equipment = models.BooleanField(default=False)
    prior_treatment = models.TextField(blank=True)
    conditions = models.JSONField(default=list, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["patient", "version"], name="one_history_version")]

    def __str__(self) -> str:
        return f"Substance use history v{self.version} of patient {self.patient_id}"

    @property
    def routes(self) -> set[str]:
        return {route for use in self.uses.all() for route in use.routes}

    @property
    def last_use(self):
        times = [use.last_use for use in self.uses.all() if use.last_use]
        return max(times) if times else None


class SubstanceUse(models.Model):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    history = models.ForeignKey(History, on_delete=models.PROTECT, related_name="uses")
    substance = models.CharField(max_length=24, choices=SUBSTANCES)
    other_name = models.CharField(max_length=80, blank=True)
    routes = models.JSONField(default=list)
    frequency = models.CharField(max_length=20, choices=FREQUENCIES, default="unknown")
    amount = models.CharField(max_length=120, blank=True)
    age_first_use = models.PositiveSmallIntegerField(null=True, blank=True)
    last_use = models.DateTimeField(null=True, blank=True)

    objects = program_scoped()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.other_name if self.substance == "other" and self.other_name else SUBSTANCE_LABELS[self.substance]


class Screen(ClinicalRecord):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="complication_screens")
    screen_code = models.CharField(max_length=40)
    screen_version = models.CharField(max_length=10)
    taken_at = models.DateTimeField()
    answers = models.JSONField()  # {item: {"status", "since" (ISO date or null), "note"}}

    class Meta:
        ordering = ["-taken_at", "-id"]

    def __str__(self) -> str:
        return f"{self.screen_code} v{self.screen_version} {self.taken_at:%Y-%m-%d}"

    @property
    def present(self) -> list[str]:
        return [key for key, answer in self.answers.items() if answer["status"] == "present"]

    def saved(self) -> dict[str, list[Any]]:
        """What was recorded, item by item in words: the present ones (with since and note), and the labels of
        those absent and not assessed."""
        present: list[dict[str, Any]] = []
        absent: list[str] = []
        not_assessed: list[str] = []
        for key, answer in self.answers.items():
            label = HEROIN_COMPLICATIONS.item(key).label
            if answer["status"] == "present":
                present.append({"label": label, "since": answer.get("since"), "note": answer.get("note", "")})
            else:
                (absent if answer["status"] == "absent" else not_assessed).append(label)
        return {"present": present, "absent": absent, "not_assessed": not_assessed}


class FollowUp(models.Model):
    class Status(models.TextChoices):
        DUE = "due", "Due"
        ORDERED = "ordered", "Ordered"
        DONE = "done", "Done"
        DECLINED = "declined", "Declined"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    OPEN = (Status.DUE, Status.ORDERED)

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="follow_ups")
    code = models.CharField(max_length=40, choices=list(FOLLOW_UPS.items()))
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DUE)
    result = models.TextField(blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = program_scoped()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["program", "status"], name="followup_worklist")]

    def __str__(self) -> str:
        return f"{self.get_code_display()} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class NaloxoneKit(ClinicalRecord):
    class Formulation(models.TextChoices):
        NASAL_4 = "nasal_4mg", "Nasal spray 4 mg"
        NASAL_8 = "nasal_8mg", "Nasal spray 8 mg"
        IM_04 = "im_0.4mg_ml", "Intramuscular injection 0.4 mg/mL"
        AUTOINJECTOR = "autoinjector", "Auto-injector"
        OTHER = "other", "Other (see strength)"

    class Recipient(models.TextChoices):
        PATIENT = "patient", "Patient"
        FAMILY = "family", "Family member"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="naloxone_kits")
    dispensed_at = models.DateTimeField()
    formulation = models.CharField(max_length=16, choices=Formulation.choices)
    strength = models.CharField(max_length=40)
    quantity = models.PositiveSmallIntegerField()
    recipient = models.CharField(max_length=8, choices=Recipient.choices, default=Recipient.PATIENT)
    recipient_name = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-dispensed_at", "-id"]

    def __str__(self) -> str:
        return f"Naloxone {self.quantity} x {self.formulation} {self.dispensed_at:%Y-%m-%d}"


class Education(ClinicalRecord):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="overdose_education")
    given_at = models.DateTimeField()
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]

    def __str__(self) -> str:
        return f"Overdose-prevention education {self.given_at:%Y-%m-%d}"


class Refusal(ClinicalRecord):
    """The patient refused a naloxone kit or overdose-prevention education in this episode."""

    class What(models.TextChoices):
        KIT = "kit", "Naloxone kit"
        EDUCATION = "education", "Overdose-prevention education"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="naloxone_refusals")
    what = models.CharField(max_length=10, choices=What.choices)
    refused_at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-refused_at", "-id"]

    def __str__(self) -> str:
        return f"Refused {self.what} {self.refused_at:%Y-%m-%d}"


class UseEvent(ClinicalRecord):
    """An overdose or a return to use."""

    class Kind(models.TextChoices):
        OVERDOSE = "overdose", "Overdose"
        RETURN_TO_USE = "return_to_use", "Return to use"

    class Outcome(models.TextChoices):
        RECOVERED = "recovered", "Recovered"
        HOSPITALISED = "hospitalised", "Hospitalised"
        DIED = "died", "Died"
        UNKNOWN = "unknown", "Unknown"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="use_events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    during_care = models.BooleanField(default=False)
    place = models.CharField(max_length=120, blank=True)
    naloxone_given = models.BooleanField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    substance = models.CharField(max_length=24, choices=SUBSTANCES, blank=True)
    how_known = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.occurred_at:%Y-%m-%d}"
