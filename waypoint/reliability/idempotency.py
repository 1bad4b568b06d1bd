"""Idempotent writes (issue 10).

API: every POST may carry `Idempotency-Key` (1 to 255 visible ASCII characters). The first request with a key
runs inside one transaction that begins by inserting the key's Submission row; its 2xx answer is stored on that
row before the commit. A retry with the same key and the same body gets the stored answer (nothing stored
anew); the same key with another body is refused with 422. A retry that arrives while the first is still
running waits on the row's unique index (PostgreSQL blocks the second insert until the first transaction ends;
SQLite's IMMEDIATE transactions queue writers) and then gets the stored answer. A first attempt that answered
an error rolled back, key included, so its retry runs afresh.

Pages: `{% form_token %}` puts a one-time token in a form; `FormTokenMiddleware` applies the same rule to a
POST carrying one, and sends a second submission of the same form where the first one's success went.

Keys are kept IDEMPOTENCY_KEY_HOURS (environment, default 24 h: the retry window of a client that lost its
connection; older rows are deleted as new ones are written)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Submission

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")


class Replay(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The stored answer of an earlier attempt with the same key."""

    def __init__(self, submission: Submission):
        super().__init__(submission.key)
        self.submission = submission


class KeyReused(Exception):  # noqa: N818
    """The key was used before for a request with another body."""


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def expiry() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)


def claim(user, key: str, digest: str) -> Submission:
    """Insert the key's row in the current transaction (which the caller holds open until the write is done);
    raise Replay with the earlier attempt's row, or KeyReused when that attempt sent another body."""
    Submission.objects.filter(user=user, key=key, created_at__lt=timezone.now() - expiry()).delete()
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives a duplicate
            return Submission.objects.create(user=user, key=key, request_hash=digest)
    except IntegrityError:
        earlier = Submission.objects.get(user=user, key=key)  # committed: the insert waited for it
        if earlier.request_hash != digest:
            raise KeyReused(key) from None
        raise Replay(earlier) from None


def remember(submission: Submission, *, status_code: int, body=None, location: str = "") -> None:
    submission.status_code, submission.body, submission.location = status_code, body, location
    submission.save(update_fields=["status_code", "body", "location"])
