"""Reads that may come from a streaming read replica (`DATABASE_REPLICA_URL`, docs/operations.md), and the database
router that sends them there.

A replica is a little behind the primary (its replay lag), so a read goes to it only when all of these hold:

- the code asked for it, by entering `replica_reads()` (or decorating a view with `@reads_from_replica`): the
  report pages and their CSVs (dispensing, regulatory, outcomes), the outcomes dashboard and its API, FHIR search
  and the bulk export's worker. Everything else, every page that shows what the user just saved, reads the
  primary;
- a replica is configured (without `DATABASE_REPLICA_URL` there is no `replica` alias and nothing changes);
- the model is not one that decides who may see what or records what was seen (`PRIMARY_ONLY`, below): who is
  asking (the session, the user, the bearer token, memberships, care teams, the program and its settings), consents,
  break-the-glass grants, the audit trail and the accounting of disclosures, export jobs and idempotency keys. A
  token revoked or a consent withdrawn a second ago is refused at once, whatever the replica's lag;
- the read is not inside a transaction on the primary (a read there belongs with the writes around it);
- nothing was written in this block yet, except to a primary-only model (an audit event, a disclosure, a job's
  checkpoint: nothing a report reads back). After any other write the block reads the primary to its end, so a
  request always sees its own writes.

The first read a block sends to the replica asks the replica how far behind it is (`replica_lag`; pages that read it
say so when it is more than settings.REPLICA_LAG_NOTE_SECONDS behind, waypoint.web.context.replica). A replica that
cannot be reached is not an outage: that block reads the primary, and a warning is logged.

Writes always go to the primary. The router is `waypoint.records.replica.ReplicaRouter` (settings.DATABASE_ROUTERS).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.db import DatabaseError, connections
from django.db.models import Model

DEFAULT = "default"
REPLICA = "replica"

# App labels whose every model is read on the primary (who is asking and what they may see, Django's own tables).
PRIMARY_ONLY_APPS = frozenset(
    {
        "accounts",  # programs and their settings, users, memberships, care teams, API tokens, recovery codes
        "auth",
        "contenttypes",
        "sessions",
        "axes",  # sign-in lockouts
        "otp_totp",
        "otp_static",
        "django_otp_webauthn",
        "privacy",  # consents, disclosures, and (same label) the audit trail with its checkpoints
        "reliability",  # idempotency keys: a retry must find the first attempt
        "bulk",  # export jobs and their checkpoints (the worker's lease)
        "fhir",  # external systems (who is asking) and resource versions (written by the read that stamps them)
    }
)
# Single models, in apps whose other models may be read on the replica.
PRIMARY_ONLY_MODELS = frozenset(
    {
        "patients.emergencyaccess",  # a break-the-glass grant opens a chart at once
        "regulatory.consentsignature",  # a consent's signature: what a consent check reads
        "regulatory.consenttext",
    }
)


def primary_only(model: type[Model]) -> bool:
    meta = model._meta
    return meta.app_label in PRIMARY_ONLY_APPS or meta.label_lower in PRIMARY_ONLY_MODELS


def configured() -> bool:
    """A `replica` alias exists (settings.DATABASES, from DATABASE_REPLICA_URL)."""
    return REPLICA in connections.settings


logger = logging.getLogger(__name__)

# Seconds since the newest transaction the replica replayed, or 0 when it has replayed all it received (an idle
# primary sends nothing: the replica is then not behind, however old its last transaction). NULL when the server
# is not replaying at all (not a replica): counted as 0.
LAG_SQL = """
    SELECT CASE WHEN pg_last_wal_receive_lsn() IS NULL OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
                THEN 0
                ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END
"""


@dataclass
class _Block:
    wrote: bool = False
    lag: float | None = None  # seconds behind, once the block's first replica read asked
    unreachable: bool = False


_block: ContextVar[_Block | None] = ContextVar("waypoint_replica_reads", default=None)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block may come from the replica (see the module's rules). Nesting keeps the outer block."""
    if _block.get() is not None:
        yield
        return
    token = _block.set(_Block())
    try:
        yield
    finally:
        _block.reset(token)


View = TypeVar("View", bound=Callable[..., Any])


def reads_from_replica(view: View) -> View:
    """A view (function or method) whose reads may come from the replica: a report, a dashboard, a search."""

    @functools.wraps(view)
    def reading(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return view(*args, **kwargs)

    return cast(View, reading)  # functools.wraps keeps the view's signature


def reading_alias(model: type[Model]) -> str:
    """The database alias a read of this model goes to now."""
    block = _block.get()
    if block is None or block.wrote or not configured() or primary_only(model):
        return DEFAULT
    if connections[DEFAULT].in_atomic_block:
        return DEFAULT
    if block.lag is None and not block.unreachable:
        _ask_the_replica(block)
    return DEFAULT if block.unreachable else REPLICA


def _ask_the_replica(block: _Block) -> None:
    """The block's first replica read: how far behind is it? If it cannot answer, the block reads the primary."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            (lag,) = cursor.fetchone()
        block.lag = max(0.0, float(lag or 0))
    except DatabaseError:
        connections[REPLICA].close()
        block.unreachable = True
        logger.warning("The read replica cannot be reached: this request reads the primary.", exc_info=True)


def replica_lag() -> float | None:
    """How many seconds behind the primary the replica was when this block first read it; None when nothing in
    this block was read from a replica (no block, no replica, or it could not be reached)."""
    block = _block.get()
    return None if block is None or block.unreachable else block.lag


class ReplicaRouter:
    """Django's database router: reads per `reading_alias`, every write and every migration on the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        return reading_alias(model)

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        block = _block.get()
        if block is not None and not primary_only(model):
            block.wrote = True  # from here on this block reads its own writes, on the primary
        return DEFAULT

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # the replica holds the primary's rows: a row read from one may point to a row read from the other
        if {obj1._state.db, obj2._state.db} <= {DEFAULT, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db == DEFAULT  # the replica replays the primary's schema; it is never migrated itself


def wait_for_replica(timeout: float = 30.0, poll: float = 0.05) -> bool:
    """Wait until the replica has replayed everything the primary had written when this was called (a bulk
    export's snapshot must not miss rows committed before it began). True when it has (or there is no replica),
    False after `timeout` seconds or when the replica cannot be reached: the caller then reads the primary."""
    if not configured() or connections[DEFAULT].vendor != "postgresql":
        return True
    with connections[DEFAULT].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (target,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    while True:
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute("SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false)", [target])
                (replayed,) = cursor.fetchone()
        except DatabaseError:  # the replica is down or refuses: the caller reads the primary
            connections[REPLICA].close()
            return False
        if replayed:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)
