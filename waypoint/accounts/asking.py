"""Who is asking, in one round trip: the user behind a bearer token or a session, with their memberships (and each
membership's program) and the ids of the care teams they are on, read by a single SELECT.

Nothing is cached across requests: every request reads the user's row, memberships and care teams again, so a
revoked or expired token, a deactivated user, an ended membership or a removal from a care team takes effect on the
very next request (tests: `accounts/tests/test_who_is_asking.py`). The one SELECT joins the token (or session) to
its user, and LEFT JOINs the user's memberships, their programs and the user's care-team rows: one row per
(membership, care team), a handful for any real user, folded back into model instances here.

`membership.memberships(user)` and `patients.access.visible_patients` use what was loaded instead of asking again.

The SELECT names some hundred columns (the row's, its user's, memberships', programs'), and building it through the
ORM (`values()` of every lookup, then compiling) cost more than running it. It is compiled once per process for each
shape of question (`_prepared`): a request compiles only its WHERE clause (a few conditions: the token's digest or
the session key, the time now) and runs the SQL compiled before for that same WHERE text, with that WHERE's
parameters. Everything else is the ORM's own: its SQL, its joins, its converters of the values read.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
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


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One shape of the question, compiled: its SQL and the converters of its columns (position: functions)."""

    sql: str
    converters: dict[int, tuple[list[Any], Any]]


_PREPARED: dict[tuple, _Prepared] = {}


def _prepared_rows(rows: QuerySet[Any], lookups: list[str]) -> list[dict[str, Any]]:
    """`rows.values(*lookups)` without the ORM's per-request cost: the WHERE clause is compiled (its text is the
    key, its parameters are this request's), the rest of the SELECT was compiled when that key was first seen. The
    SELECT adds no parameter of its own (plain columns and joins), so the WHERE's are all of them: checked when it
    is compiled, else the query runs through the ORM as before (nothing cached)."""
    db = rows.db
    connection = connections[db]
    try:
        where_sql, where_params = rows.query.get_compiler(db).compile(rows.query.where)
    except (EmptyResultSet, FullResultSet):  # no WHERE to key on (never asked so): the ORM's own way
        return list(rows.values(*lookups).order_by())
    key = (rows.model, tuple(lookups), db, connection.vendor, where_sql)
    prepared = _PREPARED.get(key)
    if prepared is None:
        compiler = rows.values_list(*lookups).order_by().query.get_compiler(db)
        sql, params = compiler.as_sql()
        if list(params) != list(where_params):  # the SELECT has parameters of its own: no shortcut for this shape
            return list(rows.values(*lookups).order_by())
        converters = compiler.get_converters([column for column, _, _ in compiler.select])
        prepared = _PREPARED[key] = _Prepared(sql, converters)
    with connection.cursor() as cursor:
        cursor.execute(prepared.sql, where_params)
        found = cursor.fetchall()
    return [dict(zip(lookups, _converted(row, prepared.converters, connection), strict=True)) for row in found]


def _converted(row: tuple, converters: dict[int, tuple[list[Any], Any]], connection: Any) -> list[Any]:
    """A row's values as the ORM hands them (dates from SQLite's text, JSON decoded...), by the converters it chose."""
    values = list(row)
    for position, (functions, expression) in converters.items():
        value = values[position]
        for function in functions:
            value = function(value, expression, connection)
        values[position] = value
    return values


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
    found = _prepared_rows(rows, [*_lookups(model, user_path, also), team])
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
