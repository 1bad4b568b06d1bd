"""Starting, describing and cancelling exports. The heavy work is in `export.run`, outside the request."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from waypoint.audit import trail as audit
from waypoint.fhir import registry
from waypoint.fhir.access import reader_for

from . import storage
from .models import ExportJob
from .params import ExportRequest


class TooManyExports(Exception):
    """A client may have only settings.BULK_MAX_ACTIVE_PER_USER exports queued or running (429)."""


@transaction.atomic
def kick_off(
    *, acting_user, program, level: str, request: ExportRequest, request_url: str, group_id: str = ""
) -> ExportJob:
    """Queue an export of what the client may receive in the program (PermissionDenied if nothing)."""
    reader_for(acting_user, program)  # raises PermissionDenied for a user who may read no FHIR data here
    active = ExportJob.objects.filter(
        owner=acting_user, status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING]
    ).count()
    if active >= settings.BULK_MAX_ACTIVE_PER_USER:
        raise TooManyExports(
            f"You have {active} exports queued or running; wait for one to finish or cancel "
            f"one (DELETE its status URL)."
        )
    job = ExportJob.objects.create(
        program=program,
        owner=acting_user,
        level=level,
        group_id=group_id,
        types=request.types,
        since=request.since,
        output_format=request.output_format,
        request_url=request_url,
    )
    audit.record(
        acting_user,
        "fhir.bulk.kickoff",
        program=program,
        obj=job,
        detail={
            "level": level,
            "group": group_id,
            "types": request.types,
            "since": request.since.isoformat() if request.since else None,
        },
    )
    return job


def owned_job(user, job_id) -> ExportJob | None:
    """The job if this user started it (anyone else, including another program's staff, gets None: 404)."""
    return ExportJob.objects.filter(pk=job_id, owner=user).select_related("program").first()


def cancel(*, acting_user, job: ExportJob) -> None:
    """DELETE on the status URL: stop the job if it runs and remove its files (a worker running it stops at
    its next page)."""
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.CANCELLED, lease_expires_at=None, finished_at=job.finished_at or timezone.now()
        )
        audit.record(acting_user, "fhir.bulk.cancel", program=job.program, obj=job, detail={"was": job.status})
    storage.remove(job)
    ExportJob.objects.filter(pk=job.pk).update(files_removed_at=timezone.now())


def expires_at(job: ExportJob):
    return job.finished_at + timedelta(hours=settings.BULK_RETENTION_HOURS)


def progress(job: ExportJob) -> str:
    files = list(job.files.all())
    written = sum(file.count for file in files)
    done = sum(file.done for file in files)
    if job.status == ExportJob.Status.QUEUED or not files:
        return "queued: waiting for a worker"
    return f"{written} resources written; {done} of {len(files)} resource types done"


def total_written(job: ExportJob) -> int:
    return job.files.aggregate(total=Sum("count"))["total"] or 0


def manifest(job: ExportJob, build_uri) -> dict:
    """The completion manifest of FHIR Bulk Data Access: one output entry per non-empty NDJSON file."""
    output = [
        {
            "type": file.resource_type,
            "count": file.count,
            "url": build_uri(reverse("bulk:file", args=[job.pk, file.filename])),
        }
        for file in job.files.order_by("position")
        if file.count
    ]
    return {
        "transactionTime": job.transaction_time.isoformat().replace("+00:00", "Z"),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": output,
        "error": [],
    }


def record_download(user, job: ExportJob, file) -> None:
    audit.record(
        user, "fhir.bulk.download", program=job.program, obj=job, detail={"file": file.filename, "count": file.count}
    )


def group_resource(user, group) -> dict | None:
    """The Group as FHIR, its quantity counting the members this client may receive; None if it may read
    nothing in the group's program (PermissionDenied from the reader is left to the caller to choose)."""
    reader = reader_for(user, group.program)
    patient_kind = next((kind for kind in registry.KINDS.values() if kind.patient_field == ""), None)
    quantity = None
    if patient_kind is not None and reader.may_receive(patient_kind):
        quantity = reader.rows(patient_kind).filter(pk__in=group.members().values("pk")).count()
    return group.resource(quantity or 0)
