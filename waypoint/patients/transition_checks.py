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
