"""Who is asking, in one round trip: the user behind a bearer token or a session, with their memberships (and each
membership's program) and the ids of the care teams they are on, read by a single SELECT.

Nothing is cached across requests: every request reads the user's row, memberships and care teams again, so a
revoked or expired token, a deactivated user, an ended membership or a removal from a care team takes effect on the
very next request (tests: `accounts/tests/test_who_is_asking.py`). The one SELECT joins the token (or session) to
its user, and LEFT JOINs the user's memberships, their programs and the user's care-team rows: one row per
(membership, care team), a handful for any real user, folded back into model instances here.

`membership.memberships(user)` and `patients.access.visible_patients` use what was loaded instead of asking again.
"""

from __future__ import annotations

import functools
from typing import Any, cast

from django.db.models import Model, QuerySet

from .models import Membership, Program, User

MEMBERSHIPS = "_waypoint_memberships"  # the per-request caches on the user instance (membership.py reads them)
CARE_TEAMS = "_waypoint_care_team_ids"


@functools.cache
def _columns(model: type[Model], prefix: str) -> list[tuple[str, str]]:
    """(attname, the values() lookup reaching it from the queried model) for every concrete column (the models'
    columns do not change while the process runs: listed once, not on every request)."""
    return [(field.attname, f"{prefix}{field.attname}") for field in model._meta.concrete_fields]


@functools.cache
def _lookups(model: type[Model], user_path: str, also: tuple[str, ...]) -> list[str]:
    """The values() lookups of the one query: the row's own columns, those of its foreign keys in `also`, its
    user's, memberships' and programs' (listed once per process, not on every request)."""
    prefix = f"{user_path}__"
    groups = (
        _columns(model, ""),
        *(columns for _, columns in _related(model, also).values()),
        _columns(User, prefix),
        _columns(Membership, f"{prefix}memberships__"),
        _columns(Program, f"{prefix}memberships__program__"),
    )
    return [lookup for group in groups for _, lookup in group]


def _instance(model: type[Model], columns: list[tuple[str, str]], row: dict[str, Any], db: str) -> Any:
    return model.from_db(db, [name for name, _ in columns], [row[lookup] for _, lookup in columns])


@functools.cache
def _related(model: type[Model], names: tuple[str, ...]) -> dict[str, tuple[type[Model], list[tuple[str, str]]]]:
    """For each of the row's own foreign keys in `names`: the model it leads to and that model's columns."""
    found = {}
    for name in names:
        target = cast(type[Model], model._meta.get_field(name).related_model)
        found[name] = (target, _columns(target, f"{name}__"))
    return found


def load(rows: QuerySet[Any], user_path: str, also: tuple[str, ...] = ()) -> tuple[Any, User | None] | None:
    """The one round trip. `rows`: a queryset of at most one row (a token, a session) whose `user_path` leads to
    its User; `also`: more of the row's foreign keys read in the same query (a session's second factor), each set on
    the instance (None when empty). Returns (that row's instance, its user with memberships, programs and care-team
    ids), or None when there is no such row; the user is None when the row has none (a session before sign-in)."""
    prefix = f"{user_path}__"
    model = cast(type[Model], rows.model)
    own = _columns(model, "")
    related = _related(model, also)
    user_columns = _columns(User, prefix)
    membership_columns = _columns(Membership, f"{prefix}memberships__")
    program_columns = _columns(Program, f"{prefix}memberships__program__")
    team = f"{prefix}care_teams"
    found = list(rows.values(*_lookups(model, user_path, also), team).order_by())
    if not found:
        return None
    db = rows.db
    instance = _instance(rows.model, own, found[0], db)
    for name, (target, columns) in related.items():
        value = _instance(target, columns, found[0], db) if found[0][f"{name}__id"] is not None else None
        rows.model._meta.get_field(name).set_cached_value(instance, value)
    if found[0][f"{prefix}id"] is None:  # a session before sign-in: nobody
        return instance, None
    user = cast(User, _instance(User, user_columns, found[0], db))
    rows.model._meta.get_field(user_path).set_cached_value(instance, user)  # instance.user, no query of its own
    membership_id = f"{prefix}memberships__id"
    seen: dict[int, Membership] = {}
    teams: set[int] = set()
    for row in found:
        if row[membership_id] is not None and row[membership_id] not in seen:
            membership = cast(Membership, _instance(Membership, membership_columns, row, db))
            membership.program = cast(Program, _instance(Program, program_columns, row, db))
            membership.user = user
            seen[membership.pk] = membership
        if row[team] is not None:
            teams.add(row[team])
    setattr(user, MEMBERSHIPS, [seen[key] for key in sorted(seen)])
    setattr(user, CARE_TEAMS, frozenset(teams))
    return instance, user


def care_team_ids(user: Any) -> frozenset[int] | None:
    """The care teams this request loaded for the user (None: not loaded, ask the database in the query)."""
    return getattr(user, CARE_TEAMS, None)
