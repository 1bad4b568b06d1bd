"""Signed checkpoints of the audit chain: the chain's head, signed with a key that is not in the database.

The hash chain alone proves the events consistent with one another; someone with write access to the database
could still rewrite an event and recompute every later hash, or delete the newest events. A checkpoint states
"up to event #id there were N events and the last one hashed H", signed with HMAC-SHA256 under the audit key:

- the key comes from the environment (`WAYPOINT_AUDIT_KEY`, at least 32 characters) or, in development, from a key
  file generated under var/ (`audit_key`, mode 0600). It never enters the database; `key_id` names which key signed;
- `waypoint audit checkpoint` writes one (and prints it as one JSON line to keep elsewhere: a log shipper, a
  write-once bucket); `waypoint audit verify` writes one after a successful check; a later sequencer (issue 17) will
  write one per sealed batch, with the same fields;
- `waypoint audit verify` checks every stored checkpoint, and checkpoints given back from outside
  (`--checkpoints FILE`), against the chain: a bad signature, a rewritten head, or fewer events than signed fails.
"""

import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import trail as audit
from .models import AuditCheckpoint, AuditEvent

KEY_FILE = "audit_key"
MIN_KEY_LENGTH = 32


def audit_key() -> bytes:
    configured = getattr(settings, "WAYPOINT_AUDIT_KEY", "")
    if configured:
        if len(configured) < MIN_KEY_LENGTH:
            raise ImproperlyConfigured(f"WAYPOINT_AUDIT_KEY must be at least {MIN_KEY_LENGTH} characters.")
        return configured.encode()
    return development_key_file().read_bytes().strip()


def development_key_file() -> Path:
    """var/audit_key, made once with 256 random bits, readable by its owner only (created 0600, never chmod later)."""
    path = Path(settings.VAR_DIR) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path  # another process made it first
        with os.fdopen(descriptor, "w") as file:
            file.write(os.urandom(32).hex())
    return path


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:16]


def statement(last_event_id: int, count: int, head_hash: str, at) -> bytes:
    body = {"last_event_id": last_event_id, "count": count, "head_hash": head_hash, "at": at.isoformat()}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def signature(last_event_id: int, count: int, head_hash: str, at, key: bytes | None = None) -> str:
    message = statement(last_event_id, count, head_hash, at)
    return hmac.new(key or audit_key(), message, hashlib.sha256).hexdigest()


def make_checkpoint() -> AuditCheckpoint | None:
    """Sign the chain's current head (under the chain's lock, so no event is appended meanwhile). None: no events."""
    with transaction.atomic():
        head = audit._chain_head()
        newest = AuditEvent.objects.filter(hash=head).values_list("id", flat=True).first()
        if newest is None:
            return None
        key, at = audit_key(), timezone.now()
        count = AuditEvent.objects.filter(id__lte=newest).count()
        return AuditCheckpoint.objects.create(
            at=at,
            last_event_id=newest,
            count=count,
            head_hash=head,
            key_id=key_id(key),
            signature=signature(newest, count, head, at, key),
        )


def exported(checkpoint: AuditCheckpoint) -> dict:
    """The checkpoint as one JSON object, to be kept outside the database and given back to verify."""
    return {
        "at": checkpoint.at.isoformat(),
        "last_event_id": checkpoint.last_event_id,
        "count": checkpoint.count,
        "head_hash": checkpoint.head_hash,
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }


def imported(data: dict) -> AuditCheckpoint:
    at = parse_datetime(data["at"])
    if at is None:
        raise ValueError(f"at: {data['at']!r} is not a time")
    return AuditCheckpoint(
        at=at,
        last_event_id=int(data["last_event_id"]),
        count=int(data["count"]),
        head_hash=str(data["head_hash"]),
        key_id=str(data.get("key_id", "")),
        signature=str(data["signature"]),
    )


@dataclass
class CheckpointProblem:
    checkpoint: AuditCheckpoint
    problem: str

    def __str__(self) -> str:
        signed = self.checkpoint
        return f"checkpoint of {signed.at:%Y-%m-%d %H:%M:%S} at event #{signed.last_event_id}: {self.problem}"


def check(checkpoint: AuditCheckpoint, key: bytes) -> str | None:
    """What is wrong between this checkpoint and the chain, or None."""
    expected = signature(checkpoint.last_event_id, checkpoint.count, checkpoint.head_hash, checkpoint.at, key)
    if not hmac.compare_digest(expected, checkpoint.signature):
        return "its signature does not hold (forged or altered, or signed with another key)"
    event_hash = AuditEvent.objects.filter(id=checkpoint.last_event_id).values_list("hash", flat=True).first()
    if event_hash is None:
        return "the event it signed is gone (the newest events were removed)"
    if event_hash != checkpoint.head_hash:
        return "the event it signed has another hash now (the chain was rewritten)"
    if AuditEvent.objects.filter(id__lte=checkpoint.last_event_id).count() != checkpoint.count:
        return "the chain holds another number of events up to it (events were removed or inserted)"
    return None


def verify_checkpoints(outside: Sequence[AuditCheckpoint] = ()) -> list[CheckpointProblem]:
    """Every stored checkpoint and every one given back from outside, against the chain."""
    key = audit_key()
    problems = []
    for checkpoint in [*AuditCheckpoint.objects.all(), *outside]:
        problem = check(checkpoint, key)
        if problem:
            problems.append(CheckpointProblem(checkpoint, problem))
    return problems
