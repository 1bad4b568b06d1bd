"""The sequencer: link committed audit events into their program's hash chain, in order, in batches.

Requests write their events unsealed (audit/trail.py::record, one INSERT). `seal` takes the oldest unsealed
events that can no longer be joined by an earlier one, gives each the next place in its program's chain (events
of no program: their own chain), its link to the previous event's hash and its own hash, and signs a checkpoint
per chain per batch (audit/signing.py). `waypoint audit seal` runs it once; `--follow` runs it as a process
beside the server (`make run`; in production its own service).

The classic pitfall: ids and times are taken at INSERT but transactions commit in another order, so "every event
up to the newest id I can see" may skip an event whose transaction is still in flight. On PostgreSQL each event
carries the id of the transaction that wrote it (`xid`, set by a trigger from `pg_current_xact_id()`), and `seal`
takes only events whose transaction is older than the oldest one still running in this database (the snapshot's
running transactions, `pg_snapshot_xmin(pg_current_snapshot())` and up, less those another database runs, see
BOUND): such a transaction has ended, so every event it committed is visible to the next statement's snapshot,
and no event of it can appear later.
An event is never skipped (unsealed events are found by having no hash, not by being above a high-water mark),
and an event of a transaction still running waits, however low its id. Within a batch, events are sealed in id
order. The events of the sealing transaction itself (a test, or a command that records and seals) are sealed with
it: they commit or roll back together. One sequencer at a time: a transaction-scoped advisory lock (requests
never take it). SQLite has one writer: `record` seals inline (audit/trail.py).
"""

import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from . import trail
from .models import AuditEvent

SEQUENCER_LOCK = 720_332  # PostgreSQL advisory lock key: one sequencer at a time
# The lowest transaction id that may still write an event of this database: the lowest running in the snapshot,
# leaving out those that pg_stat_activity, read after the snapshot, shows running in another database (xids are
# cluster-wide: another database's long transaction must not hold this one's sealing back; one that ended between
# the snapshot and the read, or that it cannot see, counts as this database's: the safe side), else the snapshot's
# xmax (every later transaction gets an id at or above it). backend_xid is 32 bits: compared modulo 2^32.
BOUND = """
WITH taken AS (SELECT pg_current_snapshot() AS snap),
elsewhere AS (
  SELECT backend_xid::text::bigint AS xid FROM pg_stat_activity
  WHERE datname IS DISTINCT FROM current_database() AND backend_xid IS NOT NULL
)
SELECT LEAST(
  (SELECT min(running::text::bigint) FROM taken, pg_snapshot_xip(taken.snap) AS running
   WHERE running::text::bigint % 4294967296 NOT IN (SELECT xid FROM elsewhere)),
  pg_snapshot_xmax(snap)::text::bigint
) FROM taken
"""
# An event may be sealed once its transaction has ended (below the bound) or is the sealer's own.
ENDED = "xid < %s OR xid = pg_current_xact_id_if_assigned()::text::bigint"
BATCH = 2000


@dataclass
class Sealed:
    events: int = 0
    chains: dict[int | None, int] = field(default_factory=dict)  # program -> its head's place after the batch


def _pending(batch: int) -> list[AuditEvent]:
    unsealed = AuditEvent.objects.filter(hash__isnull=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEQUENCER_LOCK])
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # read pg_stat_activity anew, after the snapshot
            cursor.execute(BOUND)
            bound = cursor.fetchone()[0]
        unsealed = unsealed.extra(where=[ENDED], params=[bound])  # noqa: S610  # nosec B610: constant SQL, one parameter
    return list(unsealed.order_by("id")[:batch])


def seal(batch: int = BATCH, *, checkpoints: bool = True) -> Sealed:
    """Seal one batch of the oldest events that can be sealed, in one transaction; sign a checkpoint per chain."""
    with transaction.atomic(savepoint=False):
        pending = _pending(batch)
        if not pending:
            return Sealed()
        by_chain: dict[int | None, list[AuditEvent]] = defaultdict(list)
        for event in pending:
            by_chain[event.program_id].append(event)
        now = timezone.now()
        heads = {}
        for program_id, events in by_chain.items():
            head = (
                AuditEvent.objects.filter(**trail.in_chain(program_id), chain_seq__isnull=False)
                .order_by("-chain_seq")
                .values_list("chain_seq", "hash")
                .first()
            )
            seq: int = head[0] or 0 if head is not None else 0
            prev: str = head[1] or trail.GENESIS if head is not None else trail.GENESIS
            for event in events:
                seq += 1
                event.chain_seq, event.prev_hash, event.sealed_at = seq, prev, now
                event.hash = prev = trail._digest(event)
            heads[program_id] = events[-1]
        AuditEvent.objects.bulk_update(pending, ["chain_seq", "prev_hash", "hash", "sealed_at"], batch_size=500)
        if checkpoints:
            from .signing import sign

            for head_event in heads.values():
                sign(head_event)
        return Sealed(len(pending), {program_id: e.chain_seq or 0 for program_id, e in heads.items()})


def seal_all(batch: int = BATCH) -> int:
    """Seal until nothing more can be sealed now; the number of events sealed."""
    total = 0
    while True:
        sealed = seal(batch).events
        total += sealed
        if sealed < batch:
            return total


def follow(interval: float = 0.5, batch: int = BATCH, should_stop=lambda: False, on_error=lambda error: None) -> None:
    """Seal every `interval` seconds (at once again while batches come full) until `should_stop()`. The database
    going away (a restart, a failover) does not end it: it says so, waits and tries again; nothing is lost, the
    events wait unsealed meanwhile."""
    while not should_stop():
        try:
            full = seal(batch).events >= batch
        except DatabaseError as error:
            on_error(error)
            connection.close()
            time.sleep(max(interval, 1.0) * 4)
            continue
        if not full:
            time.sleep(interval)
