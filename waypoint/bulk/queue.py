"""The database-backed job queue: workers lease jobs, renew the lease with every committed page, and take over
a job whose lease has run out (its worker died). On PostgreSQL the claim is SELECT ... FOR UPDATE SKIP LOCKED,
so workers never wait on each other; on SQLite a transaction takes the database's write lock when it begins
(settings: transaction_mode IMMEDIATE), so claims are serialised; on both the claim is a conditional UPDATE."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from . import storage
from .models import ExportJob

ACTIVE = (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claimable(now=None):
    now = now or timezone.now()
    return ExportJob.objects.filter(status__in=ACTIVE).filter(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    )


def lease_seconds() -> int:
    return int(settings.BULK_LEASE_SECONDS)


def claim_next(worker_id: str, lease: int | None = None) -> ExportJob | None:
    """Lease the oldest job that is queued, or whose worker's lease has expired; None when there is none."""
    lease = lease or lease_seconds()
    with transaction.atomic():
        candidates = claimable().order_by("created_at")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        job = candidates.first()
        if job is None:
            return None
        return _take(job, worker_id, lease)


def claim(job: ExportJob, worker_id: str, lease: int | None = None) -> ExportJob | None:
    """Lease this job if it is claimable (for `export.run` called directly, e.g. by a benchmark)."""
    lease = lease or lease_seconds()
    with transaction.atomic():
        job = claimable().filter(pk=job.pk).first()
        return _take(job, worker_id, lease) if job is not None else None


def _take(job: ExportJob, worker_id: str, lease: int) -> ExportJob | None:
    now = timezone.now()
    taken = ExportJob.objects.filter(
        pk=job.pk, status__in=ACTIVE, lease_owner=job.lease_owner, lease_expires_at=job.lease_expires_at
    ).update(
        status=ExportJob.Status.RUNNING,
        lease_owner=worker_id,
        lease_expires_at=now + timedelta(seconds=lease),
        attempts=job.attempts + 1,
    )
    if not taken:
        return None
    job.refresh_from_db()
    return job


def release(job: ExportJob, worker_id: str) -> None:
    """Give the job back at once (a worker stopping cleanly): the next worker resumes it without waiting."""
    ExportJob.objects.filter(pk=job.pk, lease_owner=worker_id, status=ExportJob.Status.RUNNING).update(
        lease_owner="", lease_expires_at=None
    )


def housekeeping(now=None) -> int:
    """Remove the files of cancelled jobs and of completed jobs past their retention; returns how many."""
    now = now or timezone.now()
    retention = timedelta(hours=settings.BULK_RETENTION_HOURS)
    stale = ExportJob.objects.filter(files_removed_at__isnull=True).filter(
        Q(status=ExportJob.Status.CANCELLED) | Q(status=ExportJob.Status.COMPLETE, finished_at__lt=now - retention)
    )
    removed = 0
    for job in stale:
        storage.remove(job)
        ExportJob.objects.filter(pk=job.pk).update(files_removed_at=now)
        removed += 1
    return removed
