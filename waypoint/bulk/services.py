"""Starting, describing and cancelling exports. The heavy work is in `export.run`, outside the request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone

from waypoint.accounts.models import Program, User
from waypoint.audit import trail as audit
from waypoint.fhir import codes, registry
from waypoint.fhir.access import notice_for, reader_for
from waypoint.fhir.http import outcome
from waypoint.fhir.models import ExternalClient

from . import storage
from .groups import Group
from .models import ExportFile, ExportJob
from .params import ExportRequest


class TooManyExports(Exception):
    """A client may have only settings.BULK_MAX_ACTIVE_PER_USER exports queued or running (429)."""


@transaction.atomic
def kick_off(
    *, acting_user: User, program: Program, level: str, request: ExportRequest, request_url: str, group_id: str = ""
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


def owned_job(user: User, job_id: UUID | str) -> ExportJob | None:
    """The job if this user started it (anyone else, including another program's staff, gets None: 404)."""
    return ExportJob.objects.filter(pk=job_id, owner=user).select_related("program").first()


def cancel(*, acting_user: User, job: ExportJob) -> None:
    """DELETE on the status URL: stop the job if it runs and remove its files (a worker running it stops at
    its next page)."""
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.CANCELLED, lease_expires_at=None, finished_at=job.finished_at or timezone.now()
        )
        audit.record(acting_user, "fhir.bulk.cancel", program=job.program, obj=job, detail={"was": job.status})
    storage.remove(job)
    ExportJob.objects.filter(pk=job.pk).update(files_removed_at=timezone.now())


def expires_at(job: ExportJob) -> datetime:
    assert job.finished_at is not None  # asked of a complete job only
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


def manifest(job: ExportJob, build_uri: Callable[[str], str]) -> dict[str, Any]:
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
    assert job.transaction_time is not None  # set when the run starts, before the job can be complete
    body: dict[str, Any] = {
        "transactionTime": job.transaction_time.isoformat().replace("+00:00", "Z"),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": output,
        "error": [],
    }
    notice = part2_notice(job)
    if notice is not None:
        body["extension"] = {PART2_NOTICE_EXTENSION: notice}
        body["error"] = [
            {"type": "OperationOutcome", "url": build_uri(reverse("bulk:file", args=[job.pk, NOTICE_FILE]))}
        ]
    return body


# 42 CFR 2.32: an export to an external recipient that holds Part 2 records carries the program's notice, in the
# manifest (an extension, as the Bulk Data IG reserves `extension` for) and as an informational OperationOutcome
# file listed under `error` (where the IG puts OperationOutcome files), so it travels with the downloaded files.
PART2_NOTICE_EXTENSION = codes.own("StructureDefinition/part2-disclosure-notice")
NOTICE_FILE = "part2-notice.ndjson"


def part2_notice(job: ExportJob) -> str | None:
    """The §2.32 notice when this finished export released Part 2 records to an external system, else None."""
    if not ExternalClient.objects.filter(user_id=job.owner_id, program_id=job.program_id).exists():
        return None
    part2_types = {kind.resource_type for kind in registry.KINDS.values() if kind.part2}
    if not job.files.filter(count__gt=0, resource_type__in=part2_types).exists():
        return None
    return notice_for(job.program)


def notice_file(notice: str) -> bytes:
    return orjson.dumps(outcome(notice, "informational", "information")) + b"\n"


def record_download(user: User, job: ExportJob, file: ExportFile) -> None:
    audit.record(
        user, "fhir.bulk.download", program=job.program, obj=job, detail={"file": file.filename, "count": file.count}
    )


def group_resource(user: User, group: Group) -> dict[str, Any] | None:
    """The Group as FHIR, its quantity counting the members this client may receive; None if it may read
    nothing in the group's program (PermissionDenied from the reader is left to the caller to choose)."""
    reader = reader_for(user, group.program)
    # A member counts when the client may receive any of its records (an external system's consent may cover
    # episodes and not demographics): the same patients a Group export releases records of.
    receivable: dict[str, registry.ResourceKind] = {}
    for kind in registry.KINDS.values():
        if kind.patient_field is not None and reader.may_receive(kind):
            receivable.setdefault(kind.information_kind if kind.part2 else "", kind)
    if not receivable:
        return group.resource(0)
    anyone = Q(pk__in=[])
    for kind in receivable.values():
        anyone |= Q(pk__in=reader.patients(kind).values("pk"))
    return group.resource(group.members().filter(anyone).count())
