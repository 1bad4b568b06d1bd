"""The audit trail: record an event in the caller's transaction, and verify the chain.

Every service that changes patient data calls `record` inside its own transaction, so the change and
its audit event commit or roll back together. Reads of patient data are recorded the same way.
"""

import contextvars
import hashlib
import json
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEvent

GENESIS = "0" * 64
# Where the current request came from ("page", "api", "command"); set by middleware and commands.
current_channel: contextvars.ContextVar[str] = contextvars.ContextVar("audit_channel", default="command")
_CHAIN_LOCK = 720_331  # PostgreSQL advisory lock key: one appender at a time
# The events recorded during the current request, as (patient id, outcome): the request's audit middleware
# (privacy/audit_middleware.py) records a read or a refusal only when the view recorded none itself.
request_events: contextvars.ContextVar[list | None] = contextvars.ContextVar("audit_request_events", default=None)


def _remember(events) -> None:
    seen = request_events.get()
    if seen is not None:
        seen.extend((event.patient_id, event.outcome) for event in events)


def _digest(event: AuditEvent) -> str:
    body = {
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "actor_name": event.actor_name,
        "program": event.program_id,
        "action": event.action,
        "patient": event.patient_id,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "outcome": event.outcome,
        "channel": event.channel,
        "detail": event.detail,
        "prev": event.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _chain_head() -> str:
    """Take the chain's lock (PostgreSQL; SQLite has one writer) for the rest of the transaction, and return the
    newest event's hash: the link of the next event."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
    return AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS


def record(
    actor,
    action: str,
    *,
    patient=None,
    obj=None,
    program=None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the current transaction (one is opened if none is)."""
    with transaction.atomic():
        last = _chain_head()
        program_id = program.pk if program is not None else getattr(patient, "program_id", None)
        event = AuditEvent(
            at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_name=getattr(actor, "username", "") or "system",
            program_id=program_id,
            action=action,
            patient_id=getattr(patient, "pk", None),
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            outcome=outcome,
            channel=current_channel.get(),
            detail=detail or {},
            prev_hash=last,
        )
        event.hash = _digest(event)
        event.save()
        _remember([event])
        return event


def record_many(actor, action: str, *, patient_ids, program, detail: dict | None = None) -> list[AuditEvent]:
    """One event per patient (in the order given), appended to the chain in one statement: the chain lock and
    head are read once, not once per patient. For releases of many patients at a time (a bulk export page)."""
    with transaction.atomic():
        last = _chain_head()
        at, channel = timezone.now(), current_channel.get()
        events = []
        for patient_id in patient_ids:
            event = AuditEvent(
                at=at,
                actor=actor if getattr(actor, "pk", None) else None,
                actor_name=getattr(actor, "username", "") or "system",
                program_id=program.pk,
                action=action,
                patient_id=patient_id,
                object_type="",
                object_id="",
                outcome=AuditEvent.Outcome.SUCCESS,
                channel=channel,
                detail=detail or {},
                prev_hash=last,
            )
            event.hash = last = _digest(event)
            events.append(event)
        _remember(events)
        return AuditEvent.objects.bulk_create(events)  # ids in list order: one INSERT, under the chain lock


@dataclass
class Verification:
    checked: int
    first_bad_id: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.first_bad_id is None


def verify(batch: int = 5000) -> Verification:
    """Walk the chain in order; name the first event whose hash or link does not hold."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        events = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not events:
            return Verification(checked)
        for event in events:
            if event.prev_hash != prev:
                return Verification(
                    checked,
                    event.pk,
                    "its link to the previous event is broken (an event before it was removed or altered)",
                )
            if _digest(event) != event.hash:
                return Verification(checked, event.pk, "its content does not match its hash (it was altered)")
            prev = event.hash
            checked += 1
            last_id = event.pk
