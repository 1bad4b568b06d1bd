"""Bulk Data export jobs and the NDJSON file of each resource type, with the checkpoint that makes a job
resumable: a file's `last_pk` (per kind), `bytes_written` and `count` are committed together after each page."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from waypoint.accounts.models import Program


class ExportJob(models.Model):
    """One $export request: what was asked, by whom, and where the background run stands."""

    class Level(models.TextChoices):
        SYSTEM = "system", "System ($export)"
        PATIENT = "patient", "All patients (Patient/$export)"
        GROUP = "group", "Group (Group/[id]/$export)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETE = "complete", "Complete"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # unguessable: it is in URLs
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=8, choices=Level.choices)
    group_id = models.CharField(max_length=64, blank=True)
    types = models.JSONField()  # resource types, in export order
    since = models.DateTimeField(null=True, blank=True)
    output_format = models.CharField(max_length=40, default="application/fhir+ndjson")
    request_url = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    transaction_time = models.DateTimeField(null=True, blank=True)  # set when the first run starts
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=120, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    files_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "lease_expires_at"], name="bulk_job_claim")]

    def __str__(self) -> str:
        return f"Export {self.id} ({self.get_level_display()}, {self.status})"


class ExportFile(models.Model):
    """The NDJSON file of one resource type in one job. Its checkpoint moves only with a committed page."""

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveSmallIntegerField()
    resource_type = models.CharField(max_length=64)
    kind_key = models.CharField(max_length=80, blank=True)  # the kind being exported ("" before the first)
    last_pk = models.BigIntegerField(default=0)  # of that kind: rows up to here are in the file
    bytes_written = models.BigIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)
    done = models.BooleanField(default=False)

    class Meta:
        ordering = ["job", "position"]
        constraints = [models.UniqueConstraint(fields=["job", "resource_type"], name="one_file_per_type")]

    def __str__(self) -> str:
        return f"{self.resource_type}.ndjson of {self.job_id}: {self.count}"

    @property
    def filename(self) -> str:
        return f"{self.resource_type}.ndjson"
