from datetime import datetime, time

from django.conf import settings
from django.db import models
from django.utils import timezone

from waypoint.accounts.scoping import program_scoped

# The audit trail's models live with the audit trail (waypoint/audit/models.py) and break the glass with the access
# rules (patients/models.py), keeping this app's label and migrations; imported here so the app registers them.
from waypoint.audit.models import AppendOnlyError, AuditCheckpoint, AuditEvent, AuditVerification  # noqa: F401
from waypoint.patients.models import EmergencyAccess  # noqa: F401


class InformationKind(models.TextChoices):
    """What a consent allows to be disclosed. SUD counseling notes are never covered unless named."""

    ALL_SUD_RECORDS = "all_sud_records", "All substance use disorder treatment records (except counseling notes)"
    DEMOGRAPHICS = "demographics", "Identification and demographics"
    EPISODES = "episodes", "Admissions, levels of care and discharges"
    WITHDRAWAL = "withdrawal_assessments", "Withdrawal assessments (COWS, SOWS) and vital signs"
    MEDICATION = "moud", "Medication for opioid use disorder: orders and doses given, held, refused or missed"
    DRUG_SCREENS = "drug_screens", "Urine drug screen results"
    COUNSELING_NOTES = "counseling_notes", "SUD counseling notes"


def covered_information(named) -> set[str]:
    """The kinds of information that naming these kinds covers: "all SUD records" is every kind but SUD
    counseling notes, which are covered only where they are named themselves."""
    covered = set(named)
    if InformationKind.ALL_SUD_RECORDS in covered:
        covered |= set(InformationKind.values) - {InformationKind.COUNSELING_NOTES}
    return covered


class Purpose(models.TextChoices):
    TREATMENT = "treatment", "Treatment"
    PAYMENT = "payment", "Payment"
    OPERATIONS = "health_care_operations", "Health care operations"
    OTHER = "other", "Other (described)"


TPO_PURPOSES = {Purpose.TREATMENT, Purpose.PAYMENT, Purpose.OPERATIONS}


class Consent(models.Model):
    """A written consent to disclose, with every element 42 CFR 2.31 requires. Revocation is written and dated."""

    class Expiry(models.TextChoices):
        DATE = "date", "On a date"
        END_OF_TREATMENT = "end_of_treatment", "End of treatment"
        NONE = "none", "None (TPO consents only)"
        EVENT = "event", "Another event (described)"

    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="consents")
    disclosing_party = models.CharField("Who may make the disclosure", max_length=200)
    information = models.JSONField("Kinds of information")
    information_description = models.TextField("How much and what kind of information")
    recipients = models.JSONField("Recipients (one per line)")
    general_designation = models.BooleanField(
        default=False, help_text="TPO only: recipients named by a general designation (e.g. 'my treating providers')."
    )
    purposes = models.JSONField()
    purpose_description = models.TextField(blank=True)
    expiry = models.CharField(max_length=20, choices=Expiry.choices)
    expires_on = models.DateField(null=True, blank=True)
    expiry_event = models.CharField(max_length=200, blank=True)
    signed_by = models.CharField(max_length=200)
    signer_is_patient = models.BooleanField(default=True)
    representative_authority = models.CharField(max_length=200, blank=True)
    signed_on = models.DateField()
    right_to_revoke_explained = models.BooleanField()
    redisclosure_statement = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    revoked_on = models.DateField(null=True, blank=True)
    revocation_note = models.TextField(blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = program_scoped()

    class Meta:
        ordering = ["-signed_on", "-id"]

    def __str__(self) -> str:
        return f"Consent of patient {self.patient_id} signed {self.signed_on}"

    @property
    def is_tpo(self) -> bool:
        return bool(self.purposes) and set(self.purposes) <= TPO_PURPOSES

    def is_active(self, on=None) -> bool:
        """Active on the program's day `on` (default: the program's today, in its time zone, not the server's date)."""
        on = on or self.program.today()
        if self.revoked_on is not None and self.revoked_on <= on:
            return False
        if self.expiry == self.Expiry.DATE and self.expires_on is not None and self.expires_on < on:
            return False
        # "End of treatment": the first discharge after the consent was signed ends it for good.
        return not (
            self.expiry == self.Expiry.END_OF_TREATMENT
            and self.patient.episodes.filter(
                discharged_at__gte=datetime.combine(self.signed_on, time.min, tzinfo=self.program.tz)
            ).exists()
        )


class Disclosure(models.Model):
    """A record disclosed outside the program under a consent, with the Part 2 notice it carried (2.32)."""

    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="disclosures")
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="disclosures")
    recipient = models.CharField(max_length=200)
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    information = models.JSONField()
    notice = models.TextField()
    disclosed_at = models.DateTimeField(default=timezone.now)
    disclosed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=12, default="print")

    objects = program_scoped()

    class Meta:
        ordering = ["-disclosed_at"]

    def __str__(self) -> str:
        return f"Disclosure to {self.recipient} on {self.disclosed_at:%Y-%m-%d}"
