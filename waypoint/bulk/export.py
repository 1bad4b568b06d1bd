"""The export itself: stream each resource type's rows into its NDJSON file, a keyset page at a time.

`run(job)` is the whole core (the worker calls it; so can a benchmark). Memory stays constant: one page of
rows (`pk > last ORDER BY pk LIMIT page_size`) is read, written, flushed to disk, and then its checkpoint (the
file's last pk and byte offset, its count, the release record, the renewed lease) is committed in one
transaction. After a crash the next run truncates each file to its committed offset and goes on from the
committed pk, so no resource is lost or written twice. Rows are bounded by the job's transactionTime
(`updated <= transactionTime`, and `> _since`), so the set exported does not move while the job runs.
"""

from __future__ import annotations

import fcntl
import gc
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from waypoint.accounts.models import ProgramLevel
from waypoint.accounts.scoping import program_scope
from waypoint.fhir import codesystems, registry
from waypoint.fhir.access import reader_for
from waypoint.fhir.questionnaires import all_questionnaires
from waypoint.fhir.versions import stamp
from waypoint.records.replica import replica_reads, wait_for_replica

from . import queue, services, storage
from .groups import GROUP_ID, Group, groups_of
from .models import ExportFile, ExportJob
from .params import DEFINITION_TYPES

log = logging.getLogger(__name__)
PATIENT_ANNOTATION = "wp_bulk_patient"


class Stop(Exception):
    """The job must not go on in this run: cancelled, or its lease went to another worker."""


class Cancelled(Stop):
    pass


class LeaseLost(Stop):
    pass


class Interrupted(Stop):
    """The worker was asked to stop; the job stays resumable from its last committed page."""


class Busy(Exception):
    """Another process on this host still holds the job's file lock."""


class JobError(Exception):
    """The job cannot be completed (reported in the status as an OperationOutcome)."""


def patient_lookup(kind: registry.ResourceKind) -> str:
    """The ORM lookup from a row of this kind to its patient's id ("pk" for Patient itself)."""
    return kind.patient_field or "pk"


@dataclass(frozen=True)
class Reading:
    """One pass over rows, checkpointed under `key`: one kind, or kinds read together (`registry.ReadTogether`),
    whose rows are those of the first."""

    key: str
    kinds: tuple[registry.ResourceKind, ...]


def readings_of(job: ExportJob, resource_type: str) -> list[Reading]:
    kinds = {kind.key: kind for kind in registry.kinds_for(resource_type)}
    if job.level != ExportJob.Level.SYSTEM:
        kinds = {key: kind for key, kind in kinds.items() if kind.patient_field is not None}
    readings = []
    for together in registry.together_for(resource_type):
        parts = tuple(kinds.pop(key) for key in together.kinds if key in kinds)
        if parts:
            readings.append(Reading(together.key, parts))
    readings += [Reading(kind.key, (kind,)) for kind in kinds.values()]
    return sorted(readings, key=lambda reading: reading.key)


def group_of(job: ExportJob) -> Group | None:
    if job.level != ExportJob.Level.GROUP:
        return None
    match = GROUP_ID.match(job.group_id)
    if match is None or match["program"] != str(job.program_id):
        raise JobError(f"Group {job.group_id} is not a group of this program.")
    if match["level"] is None:
        return Group(job.program)
    level = ProgramLevel.objects.filter(program=job.program, code=match["level"]).first()
    if level is None:
        raise JobError(f"Group {job.group_id} no longer exists.")
    return Group(job.program, level)


def plan(job: ExportJob) -> list[ExportFile]:
    """The job's files, one per resource type, created on the first run and kept for every resume."""
    if not job.files.exists():
        ExportFile.objects.bulk_create(
            ExportFile(job=job, position=n, resource_type=resource_type) for n, resource_type in enumerate(job.types)
        )
    return list(job.files.order_by("position"))


def page_query(job, reader, kind, group):
    rows = reader.rows(kind).filter(**{f"{kind.updated_field}__lte": job.transaction_time})
    if job.since is not None:
        rows = rows.filter(**{f"{kind.updated_field}__gt": job.since})
    if group is not None:
        rows = rows.filter(**{f"{patient_lookup(kind)}__in": group.members().values("pk")})
    if kind.patient_field is not None:
        rows = rows.annotate(**{PATIENT_ANNOTATION: F(patient_lookup(kind))})
    return rows.order_by("pk")


def read_page(rows, kind, last_pk, page_size) -> list[tuple[int, int | None, Any]]:
    """(pk, patient id, row) of the next page: light rows made from `.values_list` where the kind declares them
    (`ResourceKind.export_row`), else model instances."""
    rows = rows.filter(pk__gt=last_pk)
    patient = kind.patient_field is not None
    if kind.export_row is None:
        return [(row.pk, getattr(row, PATIENT_ANNOTATION) if patient else None, row) for row in rows[:page_size]]
    make, width = kind.export_row, len(kind.export_columns)
    columns = (*kind.export_columns, PATIENT_ANNOTATION) if patient else kind.export_columns
    page = []
    for values in rows.values_list(*columns)[:page_size]:  # the patient id last: the light row reads the others
        row = make(values)
        page.append((row.pk, values[width] if patient else None, row))
    return page


def encode(resources) -> tuple[bytes, int]:
    """NDJSON: one compact UTF-8 JSON resource per line (orjson: a fifth of the export's time with json.dumps)."""
    lines = []
    for resource in resources:
        if not isinstance(resource, dict) or not resource.get("resourceType"):
            raise JobError("A mapping produced something that is not a FHIR resource.")
        lines.append(orjson.dumps(resource))
    if not lines:
        return b"", 0
    return b"\n".join(lines) + b"\n", len(lines)


def stopped(job) -> Stop:
    """Why this run may not go on: the job was cancelled, or another worker holds it now."""
    status = ExportJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
    return Cancelled() if status in (ExportJob.Status.CANCELLED, None) else LeaseLost()


def commit(job, worker_id, lease, file, *, changes, release=None):
    """Move the checkpoint of one file, in one transaction with the release record and the lease renewal."""
    with transaction.atomic():
        renewed = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING, lease_owner=worker_id).update(
            lease_expires_at=timezone.now() + timedelta(seconds=lease)
        )
        if not renewed:
            raise stopped(job)
        ExportFile.objects.filter(pk=file.pk).update(**changes)
        if release is not None:
            release()
    for name, value in changes.items():
        setattr(file, name, value)


def definitions(job: ExportJob, resource_type: str) -> list[dict]:
    """The definitions of one type a system export carries (none with `_since`: they have no lastUpdated)."""
    if job.level != ExportJob.Level.SYSTEM or job.since is not None:
        return []
    if resource_type == "Questionnaire":
        return all_questionnaires()
    if resource_type == "CodeSystem":
        return codesystems.all_codesystems(job.program)
    if resource_type == "Group":  # quantity: the members this requester may receive, as a Group read says
        return [r for g in groups_of(job.program) if (r := services.group_resource(job.owner, g)) is not None]
    return []


def export_definitions(job, file, out, *, worker_id, lease, fsync):
    """Written in one go (a few hundred lines at most), then marked done: a resumed job finds it done."""
    data, count = encode(definitions(job, file.resource_type))
    out.write(data)
    out.flush()
    if fsync:
        os.fsync(out.fileno())
    commit(job, worker_id, lease, file, changes={"bytes_written": len(data), "count": count, "done": True})


def export_file(job, file, reader, group, *, worker_id, lease, page_size, pause, fsync, should_stop):
    path = storage.file_path(job, file.filename)
    readings = readings_of(job, file.resource_type)
    keys = [reading.key for reading in readings]
    if file.kind_key and file.kind_key not in keys:
        raise JobError(f"The server's mapping {file.kind_key!r} changed during the export; start a new export.")
    with os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+b") as out:  # the service user only
        if os.fstat(out.fileno()).st_size < file.bytes_written:
            # The file lost bytes that were committed (the machine went down before they reached the disk):
            # write this file again from the start.
            log.warning("export %s: %s is shorter than its checkpoint; rewriting it", job.pk, file.filename)
            commit(job, worker_id, lease, file, changes={"kind_key": "", "last_pk": 0, "bytes_written": 0, "count": 0})
        out.truncate(file.bytes_written)
        out.seek(file.bytes_written)
        if file.resource_type in DEFINITION_TYPES:
            export_definitions(job, file, out, worker_id=worker_id, lease=lease, fsync=fsync)
            return
        start = keys.index(file.kind_key) if file.kind_key else 0
        for position in range(start, len(readings)):
            reading = readings[position]
            if file.kind_key != reading.key:
                commit(job, worker_id, lease, file, changes={"kind_key": reading.key, "last_pk": 0})
            kinds = tuple(kind for kind in reading.kinds if reader.may_receive(kind))
            if kinds:
                export_reading(
                    job,
                    file,
                    kinds,
                    reader,
                    group,
                    out,
                    worker_id=worker_id,
                    lease=lease,
                    page_size=page_size,
                    pause=pause,
                    fsync=fsync,
                    should_stop=should_stop,
                )
        commit(job, worker_id, lease, file, changes={"done": True})


@contextmanager
def collected_once() -> Iterator[None]:
    """Python's cyclic garbage collector paused for one page and run once at its end, on what the page left.

    A page's thousands of resources (dicts and lists, freed by their reference counts when the page is done) are
    alive long enough for the automatic collector to move them to its oldest generation, and then to walk every
    object of the process again and again: 28 % of an export's CPU time (5.9 s for 89,507 resources, of which 1.1 s
    in 15 full collections). Memory stays bounded: the collection at the end of each page frees any cycle made in it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)


def export_reading(job, file, kinds, reader, group, out, *, worker_id, lease, page_size, pause, fsync, should_stop):
    """Page through the rows of the first kind; each row is mapped by every kind, each released to its patients."""
    rows = page_query(job, reader, kinds[0], group)
    recorded: set[tuple[str, int | None]] = set()
    while True:
        with collected_once():
            if not export_page(
                job, file, kinds, reader, rows, out, worker_id, lease, page_size, pause, fsync, should_stop, recorded
            ):
                return


def export_page(
    job, file, kinds, reader, rows, out, worker_id, lease, page_size, pause, fsync, should_stop, recorded
) -> bool:
    """Read, map, write and checkpoint the next page; False when there is none left.

    The release of a kind of a patient's records is recorded once per run, with the checkpoint of the first page
    that holds them (`recorded`: the (kind, patient) pairs already committed by this run). A patient's records
    run over many pages, and every page recorded them again: a hundred audit events (or, to an
    external system, Part 2 disclosures) per patient for one export, which told the privacy officer nothing more.
    A resumed run records its patients again: at least once, never none.
    A program-level kind (the stock ledger) is one read event naming no patient, as a FHIR search of it is."""
    if should_stop is not None and should_stop():
        raise Interrupted()
    page = read_page(rows, kinds[0], file.last_pk, page_size)
    if not page:
        return False
    resources = []
    released: dict[str, tuple[registry.ResourceKind, set[int | None]]] = {}
    for _, patient, row in page:
        for kind in kinds:
            mapped = kind.to_resources(row)
            if mapped or kind is kinds[0]:  # a row of the first kind is one of its own
                released.setdefault(kind.key, (kind, set()))[1].add(patient)  # None: a program-level kind
            resources.extend(mapped)
    data, count = encode(stamp(job.program_id, resources))
    out.write(data)
    out.flush()
    if fsync:
        os.fsync(out.fileno())
    if pause:
        time.sleep(pause)  # throttle (spares the database); also widens the crash window in tests

    def release(released=released):
        for kind, patients in released.values():
            new = {patient for patient in patients if (kind.key, patient) not in recorded}
            # patients this run recorded already: an external system's consents are asked again (a revocation since);
            # the new ones are asked by record_release itself
            reader.confirm_release(kind, {patient for patient in patients - new if patient is not None})
            if new:  # a program-level kind: one event naming no patient
                reader.record_release(kind, {patient for patient in new if patient is not None})

    commit(
        job,
        worker_id,
        lease,
        file,
        changes={
            "last_pk": page[-1][0],
            "bytes_written": file.bytes_written + len(data),
            "count": file.count + count,
        },
        release=release,
    )
    recorded.update((key, patient) for key, (_, patients) in released.items() for patient in patients)  # committed
    return True


def fail(job: ExportJob, worker_id: str, message: str) -> None:
    """Mark the job failed (its status URL then answers 500 with the message) and drop its partial files."""
    failed = ExportJob.objects.filter(pk=job.pk, lease_owner=worker_id, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.FAILED, error=message, finished_at=timezone.now(), lease_expires_at=None
    )
    if failed:
        storage.remove(job)


def run(
    job: ExportJob,
    *,
    page_size: int | None = None,
    pause: float = 0.0,
    worker_id: str | None = None,
    lease: int | None = None,
    fsync: bool | None = None,
    should_stop=None,
) -> str:
    """Run (or resume) one export job to its end; returns the job's status afterwards.

    `worker_id`: the lease the caller already holds (the worker); without it the job is claimed here.
    `page_size`: rows per keyset page (settings.BULK_PAGE_SIZE by default). `pause`: seconds slept after
    each page is written, before its checkpoint is committed. `should_stop()`: asked before each page; when
    it says yes the run stops there and the job stays resumable (status "running").
    """
    page_size = page_size or settings.BULK_PAGE_SIZE
    lease = lease or queue.lease_seconds()
    fsync = settings.BULK_FSYNC if fsync is None else fsync
    if worker_id is None:
        worker_id = queue.new_worker_id()
        claimed = queue.claim(job, worker_id, lease)
        if claimed is None:
            raise Busy(f"export {job.pk} is not claimable (finished, or leased by a live worker)")
        job = claimed
    directory = storage.job_dir(job)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(directory / ".lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            queue.release(job, worker_id)
            raise Busy(f"export {job.pk} is still being written by another process") from None
        with program_scope(job.program_id):  # the worker reads the job's program and nothing else
            return _run_locked(job, worker_id, lease, page_size, pause, fsync, should_stop)


def _run_locked(job, worker_id, lease, page_size, pause, fsync, should_stop) -> str:
    try:
        if job.transaction_time is None:
            ExportJob.objects.filter(pk=job.pk, transaction_time__isnull=True).update(transaction_time=timezone.now())
            job.refresh_from_db()
        try:
            reader = reader_for(job.owner, job.program)
        except PermissionDenied as exc:
            raise JobError(f"The requester may no longer export this program's records: {exc}") from None
        group = group_of(job)
        # The rows are read from the read replica when there is one (docs/operations.md), once it has replayed
        # everything committed before this run began, so that no row updated before the job's transactionTime is
        # missed; a replica that does not catch up in time leaves the run on the primary.
        source = replica_reads() if wait_for_replica() else nullcontext()
        with source:
            for file in plan(job):
                if not file.done:
                    export_file(
                        job,
                        file,
                        reader,
                        group,
                        worker_id=worker_id,
                        lease=lease,
                        page_size=page_size,
                        pause=pause,
                        fsync=fsync,
                        should_stop=should_stop,
                    )
        with transaction.atomic():
            finished = ExportJob.objects.filter(
                pk=job.pk, status=ExportJob.Status.RUNNING, lease_owner=worker_id
            ).update(status=ExportJob.Status.COMPLETE, finished_at=timezone.now(), lease_expires_at=None)
        if not finished:
            raise stopped(job)
        for file in job.files.filter(count=0):
            storage.file_path(job, file.filename).unlink(missing_ok=True)
        return ExportJob.Status.COMPLETE
    except LeaseLost:
        log.warning("export %s: lease lost to another worker; stopping", job.pk)
        return ExportJob.Status.RUNNING
    except Interrupted:
        return ExportJob.Status.RUNNING
    except (Cancelled, FileNotFoundError):
        status = ExportJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
        if status in (ExportJob.Status.CANCELLED, None):
            storage.remove(job)
            return ExportJob.Status.CANCELLED
        raise
    except JobError as exc:
        fail(job, worker_id, str(exc))
        return ExportJob.Status.FAILED
