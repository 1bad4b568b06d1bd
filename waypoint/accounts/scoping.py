"""The program scope (django-scopes, as pretix scopes by organizer): a clinical record's default manager refuses
every query made outside a program scope, and inside one answers only the rows of the programs in scope.

Requests enter the scope of the programs the signed-in user belongs to (`web.middleware` for pages,
`web.api.ApiView` once DRF has authenticated a bearer token), the kiosk its kiosk session's program, a bulk export
its job's program; the commands that write records (demo, seed, bench) disable the scope. A sanctioned read across
programs says so with `scopes_disabled()` and a comment naming why (the list, with their tests: docs/security.md).
`visible_patients` still decides which of the program's patients a user sees: the scope is the wall between
programs, not the care-team rule.
"""

from contextlib import AbstractContextManager
from typing import Any, cast

from django.db import models
from django_scopes import ScopedManager, scope, scopes_disabled

__all__ = ["program_scope", "program_scoped", "scopes_disabled"]


def program_scoped(queryset_class: type[models.QuerySet[Any]] = models.QuerySet) -> models.Manager[Any]:
    """The default manager of a clinical record: its rows belong to the program named by its `program` field."""
    # django_scopes has no type information: its ScopedManager builds a subclass of the manager class given
    manager = ScopedManager(_manager_class=models.Manager.from_queryset(queryset_class), program="program")
    return cast(models.Manager[Any], manager)


def program_scope(*program_ids: int) -> AbstractContextManager[None]:
    """Queries of clinical records inside this block see the rows of these programs only (none given: no rows)."""
    return cast(AbstractContextManager[None], scope(program=list(program_ids)))
