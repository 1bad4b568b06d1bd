"""Signed, versioned consents (42 CFR 2.31) and the breach register (45 CFR 164.400-414, applied by 42 CFR 2.16).

A consent text is immutable: editing it makes a new version with its own SHA-256 hash of the exact text shown.
A signature made on the kiosk binds the signer to that hash; the Part 2 consent it creates (privacy.Consent) is
what disclosure enforces."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from waypoint.accounts.scoping import program_scoped


class ImmutableError(RuntimeError):
    """A consent text version or a signature is never changed: a changed text is a new version."""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ConsentText(models.Model):
    """One version of a consent form's text, with the terms the signed consent will carry."""

    class Kind(models.TextChoices):
        TPO = "tpo", "Single consent for treatment, payment and health care operations (2024 rule)"
        SPECIFIC = "specific", "Consent to a named recipient"

    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    series = models.CharField(max_length=32, db_index=True)  # every version of one form shares it
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField("Plain-language explanation")
    terms = models.JSONField()  # the 42 CFR 2.31 elements the signed consent carries (privacy.Consent fields)
    full_text = models.TextField()  # exactly what the signer reads
    sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    change_note = models.TextField(blank=True)

    objects = program_scoped()

    class Meta:
        ordering = ["title", "-version"]
        constraints = [models.UniqueConstraint(fields=["series", "version"], name="consent_text_series_version")]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableError("A consent text version is never changed: revise it into a new version.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("A consent text version is never removed.")

    @property
    def text_after_title(self) -> str:
        """The full text below its first line, the title (shown as the heading): together, exactly full_text."""
        return self.full_text.split("\n", 2)[2] if self.full_text.count("\n") >= 2 else ""

    @property
    def short_hash(self) -> str:
        return self.sha256[:12]


class ConsentSignature(models.Model):
    """The signature on a Part 2 consent: who signed which exact text (its hash), how, and when."""

    class Method(models.TextChoices):
        TYPED = "typed", "Typed name with an attestation"
        DRAWN = "drawn", "Drawn signature"

    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    consent = models.OneToOneField("privacy.Consent", on_delete=models.PROTECT, related_name="signature")
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="signatures")
    text_sha256 = models.CharField(max_length=64)  # the hash of the text shown, as the signer's device sent it
    method = models.CharField(max_length=8, choices=Method.choices)
    typed_name = models.CharField(max_length=200, blank=True)
    attested = models.BooleanField(default=False)
    drawing = models.TextField(blank=True)  # SVG path data of the drawn signature
    signer_name = models.CharField(max_length=200)
    signer_is_patient = models.BooleanField(default=True)
    representative_authority = models.CharField(max_length=200, blank=True)
    signed_at = models.DateTimeField(default=timezone.now)
    kiosk_session_id = models.BigIntegerField(null=True, blank=True)
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = program_scoped()

    class Meta:
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"{self.signer_name} signed {self.text} at {self.signed_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableError("A signature is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("A signature is never removed.")

    @property
    def intact(self) -> bool:
        """The text on file still hashes to what was signed."""
        return self.text_sha256 == self.text.sha256 == text_hash(self.text.full_text)


class Breach(models.Model):
    """A breach of unsecured Part 2 / PHI records: discovery, what was involved, risk assessment, notices, closure."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        NOT_A_BREACH = "not_a_breach", "Closed: low probability of compromise (documented risk assessment)"
        CLOSED = "closed", "Closed: notices sent"

    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    discovered_on = models.DateField()
    description = models.TextField("What happened")
    information_involved = models.TextField("What information was involved")
    # Where the affected-patient list comes from: the audit trail of these users (none: everyone) in this range.
    involved_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    risk_assessment = models.TextField(blank=True)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.OPEN)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = program_scoped()

    class Meta:
        ordering = ["-discovered_on", "-id"]

    def __str__(self) -> str:
        return f"{self.title} (discovered {self.discovered_on})"


class BreachNotice(models.Model):
    """A notice sent about a breach: to an individual, to HHS, or to the media."""

    class Recipient(models.TextChoices):
        INDIVIDUAL = "individual", "Individual"
        HHS = "hhs", "HHS (Secretary)"
        MEDIA = "media", "Media"

    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    breach = models.ForeignKey(Breach, on_delete=models.PROTECT, related_name="notices")
    recipient = models.CharField(max_length=10, choices=Recipient.choices)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sent_on = models.DateField()
    how = models.CharField(max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["sent_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_recipient_display()} notice of {self.sent_on}"


class RegistryReport(models.Model):
    """One report to the program's central registry (42 CFR 2.34), sent as a disclosure under consent."""

    class Event(models.TextChoices):
        ADMISSION = "admission", "Admission"
        DOSE_CHANGE = "dose_change", "Dose change"
        INTERRUPTION = "interruption", "Interruption of treatment"
        RESUMPTION = "resumption", "Resumption of treatment"
        END = "end_of_treatment", "End of treatment"

    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    disclosure = models.OneToOneField("privacy.Disclosure", on_delete=models.PROTECT, related_name="+")
    registry = models.CharField(max_length=200)
    event = models.CharField(max_length=20, choices=Event.choices)
    event_date = models.DateField()
    payload = models.JSONField()  # exactly what was sent
    adapter = models.CharField(max_length=40)
    reference = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.get_event_display()} of patient {self.patient_id} to {self.registry}"


class PdmpCheck(models.Model):
    """A prescriber's check of the state prescription drug monitoring program before a controlled-substance
    order: state, when, who, findings (and the report where provided), or why it could not be done."""

    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=2)
    checked_at = models.DateTimeField()
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    findings = models.TextField(blank=True)
    report = models.TextField(blank=True)  # the PDMP's report text, where provided
    # The PDMP's report as a file, where provided (a PDF or an image), kept with the check in the database (so the
    # backups hold it); downloadable by the prescriber roles only, each download audited.
    report_file = models.BinaryField(blank=True, default=b"")
    report_file_name = models.CharField(max_length=200, blank=True)
    report_file_type = models.CharField(max_length=40, blank=True)
    report_file_sha256 = models.CharField(max_length=64, blank=True)
    not_done_reason = models.TextField(blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"PDMP ({self.state}) for patient {self.patient_id} at {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def done(self) -> bool:
        return not self.not_done_reason

    @property
    def has_report_file(self) -> bool:
        return bool(self.report_file_sha256)


class DualEnrollment(models.Model):
    """The answer, recorded at admission, to whether the patient is enrolled in another opioid treatment program
    (the multiple enrollment that central registries, 42 CFR 2.34, exist to prevent). One per episode of care."""

    class Answer(models.TextChoices):
        NOT_ENROLLED = "not_enrolled", "Not enrolled in another opioid treatment program"
        ENROLLED = "enrolled", "Enrolled in another opioid treatment program"
        DECLINED = "declined", "Declined to answer"

    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    episode = models.OneToOneField("patients.Episode", on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=14, choices=Answer.choices)
    other_program = models.CharField("The other program", max_length=200, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"{self.get_answer_display()} (recorded {self.recorded_at:%Y-%m-%d})"


class TelemedicineEncounter(models.Model):
    """A telemedicine encounter in which a prescriber sees a patient before prescribing buprenorphine: when, how
    (audio-video or audio-only), where the patient was; the buprenorphine order written from it and the PDMP check
    current at that order are linked to it when the order is written."""

    class Modality(models.TextChoices):
        AUDIO_VIDEO = "audio_video", "Audio and video"
        AUDIO_ONLY = "audio_only", "Audio only"

    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    modality = models.CharField(max_length=12, choices=Modality.choices)
    patient_location = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    order = models.OneToOneField(
        "medication.MedicationOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pdmp_check = models.ForeignKey(PdmpCheck, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Telemedicine ({self.get_modality_display()}) at {self.at:%Y-%m-%d %H:%M}"
