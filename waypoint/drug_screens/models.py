"""Urine drug screens. `program` on every row (sharding key); a screen is never edited or deleted."""

from django.db import models
from django.urls import reverse

from waypoint.patients.models import Patient
from waypoint.patients.records import ClinicalRecord


class DrugScreen(ClinicalRecord):
    """One urine specimen: when it was collected, whether collection was observed, and a result per analyte
    (positive / negative / not tested; see rules.ANALYTES). Expected and unexpected are derived on reading from
    the MOUD orders active at the collection time (rules.EXPECTED), so an order entered late still counts."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="drug_screens")
    collected_at = models.DateTimeField()
    observed = models.BooleanField()
    results = models.JSONField()  # {analyte: "positive" | "negative" | "not_tested"} for every analyte
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-collected_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "collected_at"], name="drug_screen_patient"),
            models.Index(fields=["program", "collected_at"], name="drug_screen_program"),
        ]

    def __str__(self) -> str:
        return f"Urine drug screen {self.collected_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("drug_screens:page", args=[self.patient_id]) + f"#screen-{self.pk}"
