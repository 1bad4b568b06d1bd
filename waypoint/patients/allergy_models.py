"""A patient's drug allergies, one structured entry each (drug or class of drugs, reaction, severity), and "no
known drug allergies" as an entry of its own: no entry at all means the question was not asked.

Imported at the end of patients/models.py (the records kernel it builds on imports that module)."""

from django.db import models
from django.urls import reverse

from .models import Patient
from .records import ClinicalRecord, RecordStatus


class Allergy(ClinicalRecord):
    class Kind(models.TextChoices):
        DRUG = "drug", "A drug"
        DRUG_CLASS = "drug_class", "A class of drugs"
        NONE_KNOWN = "none_known", "No known drug allergies"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"
        UNKNOWN = "unknown", "Not known"

    # program, episode, recorded_by, recorded_at and the record status come from ClinicalRecord
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergy_entries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    substance = models.CharField(max_length=120, blank=True)  # the drug or class as the patient or record names it
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["patient", "record_status"], name="allergy_patient_status")]

    def __str__(self) -> str:
        if self.kind == self.Kind.NONE_KNOWN:
            return "No known drug allergies"
        text = self.substance + (" (class)" if self.kind == self.Kind.DRUG_CLASS else "")
        details = ", ".join(
            part
            for part in (self.reaction, self.get_severity_display().lower() if self.severity != "unknown" else "")
            if part
        )
        return f"{text}: {details}" if details else text

    def get_absolute_url(self) -> str:
        return reverse("patients:allergies", args=[self.patient_id])


def allergies_in_force(patient: Patient) -> list[Allergy]:
    return list(Allergy.objects.filter(patient=patient, record_status=RecordStatus.FINAL).order_by("recorded_at", "id"))
