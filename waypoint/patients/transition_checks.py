"""Checks other areas add to episode transitions (discharge, change of level of care).

An app appends a function `(episode, kind) -> dict[str, str]` in its ready(); kind is "discharge" or
"transfer". Each returned entry (field -> message) refuses the transition with that message. The
patients app depends on none of them.
"""

from collections.abc import Callable

from django.core.exceptions import ValidationError

CHECKS: list[Callable] = []


def run(episode, kind: str) -> None:
    errors: dict[str, list[str]] = {}
    for check in CHECKS:
        for field, message in (check(episode, kind) or {}).items():
            errors.setdefault(field, []).append(message)
    if errors:
        raise ValidationError(errors)


# Parts of a discharge that other areas record in the discharge's own transaction (e.g. the continuing-care plan).
# Each is a function `(acting_user, episode, details) -> None`, called once the episode is closed, with the
# `details` given to the discharge (None: none given); it raises ValidationError keyed by its fields to refuse the
# discharge, and nothing of it is saved.
DISCHARGE_PARTS: list[Callable] = []
# Form classes whose fields the discharge page shows under its own; their cleaned data are the `details`.
DISCHARGE_FORMS: list[type] = []


def record_discharge_parts(acting_user, episode, details) -> None:
    for part in DISCHARGE_PARTS:
        part(acting_user, episode, details)
