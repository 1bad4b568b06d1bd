"""Signed checkpoints of the audit chain: the chain's head, signed with a key that is not in the database.

The hash chains alone prove the events consistent with one another; someone with write access to the database
could still rewrite an event and recompute every later hash, or delete the newest events. A checkpoint states
"program P's chain held N events up to event #id, which hashed H", signed with HMAC-SHA256 under the audit key:

- the key comes from the environment (`WAYPOINT_AUDIT_KEY`, at least 32 characters) or, in development, from a key
  file generated under var/ (`audit_key`, mode 0600). It never enters the database; `key_id` names which key signed;
- the sequencer (audit/sequencer.py) writes one per chain per sealed batch; `waypoint audit checkpoint` signs every
  chain's head now and prints them as JSON lines to keep elsewhere (a log shipper, a write-once bucket);
  `waypoint audit verify` signs them again after a successful check;
- `waypoint audit verify` checks the newest stored checkpoint of every chain (a chain intact up to a head that a
  checkpoint signs is intact before it) and every checkpoint given back from outside (`--checkpoints FILE`): a bad
  signature, a rewritten head, or another number of events than signed fails.

Checkpoints signed before sequencing (`chain` empty: the single chain of every program, privacy migration 0008
checked them and re-sealed the events into per-program chains) are history: they are not compared again.
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


def statement(last_event_id: int, count: int, head_hash: str, at, chain: str = "") -> bytes:
    body = {"last_event_id": last_event_id, "count": count, "head_hash": head_hash, "at": at.isoformat()}
    if chain:  # checkpoints of the single chain before sequencing signed no chain
        body["chain"] = chain
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def signature(last_event_id: int, count: int, head_hash: str, at, key: bytes | None = None, chain: str = "") -> str:
    message = statement(last_event_id, count, head_hash, at, chain)
    return hmac.new(key or audit_key(), message, hashlib.sha256).hexdigest()


def sign(head: AuditEvent, key: bytes | None = None) -> AuditCheckpoint:
    """A checkpoint of a sealed event's chain up to that event (its place is the chain's count up to it)."""
    key, at = key or audit_key(), timezone.now()
    chain, count = audit.chain_key(head.program_id), head.chain_seq or 0
    assert head.hash is not None  # nosec: B101  # only sealed events are signed
    return AuditCheckpoint.objects.create(
        at=at,
        chain=chain,
        last_event_id=head.pk,
        count=count,
        head_hash=head.hash,
        key_id=key_id(key),
        signature=signature(head.pk, count, head.hash, at, key, chain),
    )


def make_checkpoint() -> list[AuditCheckpoint]:
    """Sign every chain's current head (sealed events only; the unsealed wait for the sequencer). Empty: nothing
    sealed yet."""
    key = audit_key()
    with transaction.atomic():
        made = []
        for program_id in audit.chains():
            head = (
                AuditEvent.objects.filter(**audit.in_chain(program_id), chain_seq__isnull=False)
                .order_by("-chain_seq")
                .first()
            )
            if head is not None:
                made.append(sign(head, key))
        return made


def exported(checkpoint: AuditCheckpoint) -> dict:
    """The checkpoint as one JSON object, to be kept outside the database and given back to verify."""
    return {
        "at": checkpoint.at.isoformat(),
        "chain": checkpoint.chain,
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
        chain=str(data.get("chain", "")),
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
    """What is wrong between this checkpoint and its chain, or None."""
    chain = checkpoint.chain
    expected = signature(checkpoint.last_event_id, checkpoint.count, checkpoint.head_hash, checkpoint.at, key, chain)
    if not hmac.compare_digest(expected, checkpoint.signature):
        return "its signature does not hold (forged or altered, or signed with another key)"
    if not chain:
        return None  # the single chain before sequencing: checked by migration 0008, then re-sealed
    event = AuditEvent.objects.filter(id=checkpoint.last_event_id).values("hash", "chain_seq", "program_id").first()
    if event is None:
        return "the event it signed is gone (the newest events were removed)"
    if event["hash"] != checkpoint.head_hash or audit.chain_key(event["program_id"]) != chain:
        return "the event it signed has another hash now (the chain was rewritten)"
    program_id = None if chain == audit.NO_PROGRAM else int(chain)
    held = AuditEvent.objects.filter(**audit.in_chain(program_id), chain_seq__lte=checkpoint.count).count()
    if event["chain_seq"] != checkpoint.count or held != checkpoint.count:
        return "the chain holds another number of events up to it (events were removed or inserted)"
    return None


def newest_checkpoints() -> list[AuditCheckpoint]:
    """The newest stored checkpoint of every chain (those of the single chain before sequencing excepted)."""
    names = AuditCheckpoint.objects.exclude(chain="").values_list("chain", flat=True).order_by().distinct()
    newest = (AuditCheckpoint.objects.filter(chain=name).order_by("-id").first() for name in sorted(names))
    return [checkpoint for checkpoint in newest if checkpoint is not None]


def verify_checkpoints(outside: Sequence[AuditCheckpoint] = ()) -> list[CheckpointProblem]:
    """The newest stored checkpoint of every chain and every one given back from outside, against the chains."""
    key = audit_key()
    problems = []
    for checkpoint in [*newest_checkpoints(), *outside]:
        problem = check(checkpoint, key)
        if problem:
            problems.append(CheckpointProblem(checkpoint, problem))
    return problems
