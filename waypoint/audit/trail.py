"""The audit trail: record an event in the caller's transaction, and verify the chains.

Every service that changes patient data calls `record` inside its own transaction, so the change and
its audit event commit or roll back together. Reads of patient data are recorded the same way.

Recording is one INSERT: no lock and no read of a chain head, so audited requests of a program no longer wait
for one another. The event is written unsealed (no hash yet); the sequencer (`waypoint audit seal`,
audit/sequencer.py) links committed events into their program's hash chain within seconds. On SQLite, which has
one writer, `record` seals inline in the same transaction (nobody else can write meanwhile).
"""

import contextvars
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, connections, router, transaction
from django.db.models import Field
from django.db.models.sql import InsertQuery
from django.utils import timezone

from .models import AuditEvent

GENESIS = "0" * 64
NO_PROGRAM = "none"  # the chain of the events that belong to no program (sign-in failures, accounts, commands)
# Where the current request came from ("page", "api", "command"); set by middleware and commands.
current_channel: contextvars.ContextVar[str] = contextvars.ContextVar("audit_channel", default="command")
# The events recorded during the current request, as (patient id, outcome): the request's audit middleware
# (privacy/audit_middleware.py) records a read or a refusal only when the view recorded none itself.
request_events: contextvars.ContextVar[list | None] = contextvars.ContextVar("audit_request_events", default=None)


def _remember(events) -> None:
    seen = request_events.get()
    if seen is not None:
        seen.extend((event.patient_id, event.outcome) for event in events)


def chain_key(program_id: int | None) -> str:
    """The name of a chain: its program's id, or "none" for the events of no program."""
    return NO_PROGRAM if program_id is None else str(program_id)


def chain_words(program_id: int | None) -> str:
    return "the chain of events of no program" if program_id is None else f"the chain of program #{program_id}"


def in_chain(program_id: int | None) -> dict:
    """The filter of one chain's events (a NULL program is its own chain)."""
    return {"program_id__isnull": True} if program_id is None else {"program_id": program_id}


def _digest(event: AuditEvent) -> str:
    """The hash of a sealed event: its fields, its place in its program's chain and the previous event's hash."""
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
        "seq": event.chain_seq,
        "prev": event.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _seal_inline() -> None:
    """SQLite: seal now, in the caller's transaction, which holds the database's only write lock (the INSERT just
    made took it), so no other event can commit in between. PostgreSQL: the sequencer seals after commit."""
    if connection.vendor != "postgresql":
        from .sequencer import seal

        seal(checkpoints=False)


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
    """Write one event, in the current transaction (no savepoint: if it fails, the transaction fails with it): one
    INSERT, sealed later. Outside a transaction on PostgreSQL (an audited read) the INSERT is a transaction of its
    own: one round trip instead of BEGIN, INSERT and COMMIT. SQLite seals inline, in a transaction opened for it."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _insert(actor, action, patient=patient, obj=obj, program=program, outcome=outcome, detail=detail)
    with transaction.atomic(savepoint=False):
        event = _insert(actor, action, patient=patient, obj=obj, program=program, outcome=outcome, detail=detail)
        _seal_inline()
        return event


# The event's INSERT as Django's compiler writes it for Model.save() (every column but the id, the id returned),
# compiled once per database: save() built and compiled the same statement again for every event (an audited read
# of a flowsheet spent a tenth of its time in it). The values still go through each field's own preparation.
_INSERTS: dict[str, tuple[str, tuple[Field, ...]]] = {}


def _insert_statement(alias: str) -> tuple[str, tuple[Field, ...]]:
    if alias not in _INSERTS:
        meta = AuditEvent._meta
        fields = tuple(field for field in meta.local_concrete_fields if field is not meta.pk)
        query = InsertQuery(AuditEvent)
        query.insert_values(fields, [AuditEvent()])
        compiler = query.get_compiler(using=alias)
        compiler.returning_fields = [meta.pk]
        [(statement, _)] = compiler.as_sql()
        _INSERTS[alias] = (statement, fields)
    return _INSERTS[alias]


def _save(event: AuditEvent) -> None:
    """`event.save()` in one prepared statement: the same INSERT, the same values, the id read back."""
    alias = router.db_for_write(AuditEvent)
    database = connections[alias]
    statement, fields = _insert_statement(alias)
    params = [field.get_db_prep_save(field.pre_save(event, True), connection=database) for field in fields]
    with database.cursor() as cursor:
        cursor.execute(statement, params)
        returned = cursor.fetchone()  # RETURNING the id
    event.pk = returned[0]
    event._state.adding, event._state.db = False, alias


def _insert(actor, action: str, *, patient, obj, program, outcome: str, detail: dict | None) -> AuditEvent:
    """The event's one INSERT (autocommitted when no transaction is open: a single statement is atomic)."""
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
    )
    _save(event)
    _remember([event])
    return event


def record_many(actor, action: str, *, patient_ids, program, detail: dict | None = None) -> list[AuditEvent]:
    """One event per patient (in the order given), written in one INSERT. For releases of many patients at a
    time (a bulk export page); the sequencer seals them in this order (ids in list order)."""
    with transaction.atomic(savepoint=False):
        at, channel = timezone.now(), current_channel.get()
        events = [
            AuditEvent(
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
            )
            for patient_id in patient_ids
        ]
        _remember(events)
        made = AuditEvent.objects.bulk_create(events)
        _seal_inline()
        return made


@dataclass
class Verification:
    checked: int
    first_bad_id: int | None = None
    problem: str = ""
    chains: int = 0
    unsealed: int = 0
    oldest_unsealed_at: datetime | None = None

    @property
    def intact(self) -> bool:
        return self.first_bad_id is None


def chains() -> list[int | None]:
    """The program of every chain that holds a sealed event (None: the chain of events of no program)."""
    sealed = AuditEvent.objects.filter(chain_seq__isnull=False).order_by()
    found = sealed.values_list("program_id", flat=True).distinct()
    return sorted(found, key=lambda program_id: (program_id is not None, program_id or 0))


def _walk(program_id: int | None, batch: int) -> tuple[int, int | None, str]:
    """Walk one chain in order: (events checked, first bad event, what is wrong with it)."""
    prev, expected, checked, last_seq, last_id = GENESIS, 1, 0, 0, 0
    where = chain_words(program_id)
    while True:
        events = list(
            AuditEvent.objects.filter(**in_chain(program_id), chain_seq__isnull=False)
            .filter(chain_seq__gte=last_seq)
            .exclude(chain_seq=last_seq, id__lte=last_id)
            .order_by("chain_seq", "id")[:batch]
        )
        if not events:
            return checked, None, ""
        for event in events:
            seq = event.chain_seq or 0
            if seq < expected:
                return (
                    checked,
                    event.pk,
                    f"it claims place {seq} in {where}, which event #{last_id} holds (an event was inserted)",
                )
            if event.prev_hash != prev:
                return (
                    checked,
                    event.pk,
                    f"its link to the previous event in {where} is broken (an event before it was removed or altered)",
                )
            if seq > expected:
                return checked, event.pk, f"{where} skips from place {expected - 1} to {seq} (events were removed)"
            if _digest(event) != event.hash:
                return checked, event.pk, "its content does not match its hash (it was altered)"
            prev, expected, checked, last_seq, last_id = event.hash, seq + 1, checked + 1, seq, event.pk


def verify(batch: int = 5000) -> Verification:
    """Walk every program's chain in order; name the first event whose place, link or hash does not hold; count
    the events not sealed yet (they wait for the sequencer; `waypoint audit verify` judges their age)."""
    checked = 0
    found = chains()
    for program_id in found:
        walked, bad, problem = _walk(program_id, batch)
        checked += walked
        if bad is not None:
            return Verification(checked, bad, problem, chains=len(found))
    stray = AuditEvent.objects.filter(hash__isnull=False, chain_seq__isnull=True).order_by("id").first()
    if stray is not None:
        return Verification(checked, stray.pk, "it carries a hash but no place in any chain (it was inserted)")
    waiting = AuditEvent.objects.filter(hash__isnull=True)
    oldest = waiting.order_by("at").values_list("at", flat=True).first()
    return Verification(checked, chains=len(found), unsealed=waiting.count(), oldest_unsealed_at=oldest)


@dataclass
class SealState:
    """Where a program's chain stands: when its newest event was sealed, and what waits to be sealed."""

    last_sealed_at: datetime | None
    waiting: int
    oldest_waiting_at: datetime | None


def seal_state(program_id: int | None) -> SealState:
    chain = AuditEvent.objects.filter(**in_chain(program_id))
    head = chain.filter(chain_seq__isnull=False).order_by("-chain_seq").values_list("sealed_at", flat=True).first()
    waiting = chain.filter(hash__isnull=True)
    oldest = waiting.order_by("at").values_list("at", flat=True).first()
    return SealState(head, waiting.count(), oldest)
