"""The rows of one page of a patient's assessments for the flowsheet API: one SELECT written once per process from
the models' metadata, instead of a queryset built and compiled by the ORM on every request.

The list answers up to 500 scores a page and is the API's most read answer (a flowsheet, the mix of the benchmark).
Building its queryset (28 columns, the recording user's name joined, the visibility rule as a subquery) and compiling
it again for each of the cursor paginator's copies took about a fifth of the request's CPU time, as much as the
database took to answer it. `PageRows` offers what DRF's CursorPagination does to a queryset, and nothing more:
narrow it (`filter` with the few lookups the list uses), order it (`order_by`) and slice one page (and the one row
more that says whether a next page exists). So the cursor, its links and its paging stay DRF's own.

What the ORM's query guaranteed, this keeps:

- the program scope (accounts.scoping): only rows of the programs in scope, and no query at all outside a scope
  (the scoped manager's ScopeError);
- who may see whom (patients.access.visible_patients): the rule is the ORM's own queryset, compiled by the ORM and
  sent as a subquery of the page query, so a patient the user may not see has no rows;
- values: parameters pass through the model fields (`get_db_prep_value`), bad values fail as they would in a
  filter (a cursor's position that is no date and time: Django's ValidationError), and the rows through the
  database's converters (SQLite keeps date-times and decimals as text: converted as the ORM converts them);
- the keys of the rows: those of `.values(*COLUMNS, "program_id", responses_text=..., derived_text=...)`, the JSON
  columns as the database's text (embedded as they are by web.api.stored_json).

Parameters are always bound; the SQL text comes from the models' metadata and constant strings only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, cast

from django.db import connections, router
from django.db.models import Field, Model, QuerySet
from django.db.models.expressions import Col
from django_scopes import ScopeError, get_scope

from .models import Assessment
from .vitals import VITALS

# The row's keys, in the order of the SELECT: the assessment's own columns (a foreign key by its `_id`), the name of
# the user who recorded it, the program (for the audit event), and the JSON columns as text.
OWN_COLUMNS = (
    "id",
    "patient_id",
    "episode_id",
    "instrument",
    "instrument_version",
    "taken_at",
    "total",
    "severity",
    "band_label",
    "band_source",
    *(vital.key for vital in VITALS),
    "note",
    "reporter",
    "source",
    "late_entry_reason",
    "recorded_at",
    "record_status",
    "version",
    "replaces_id",
    "change_reason",
    "program_id",
)
RECORDED_BY = "recorded_by__username"
JSON_AS_TEXT = {"responses_text": "responses", "derived_text": "derived"}
KEYS = (*OWN_COLUMNS, RECORDED_BY, *JSON_AS_TEXT)

# The lookups the list narrows by (its parameters, the cursor's position) and their operators.
OPERATORS = {"exact": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_ROWS, _USERS = "a", "u"  # the tables' aliases in the page query


@dataclass(frozen=True)
class _Statement:
    """The parts of the page query that depend only on the models and the database (built once per database)."""

    select: str  # SELECT ... FROM ... JOIN ..., up to the WHERE
    converters: tuple[tuple[int, tuple[Any, ...], Col], ...]  # (column, the database's converters, its expression)


_STATEMENTS: dict[str, _Statement] = {}


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    """A concrete field of the model, by name or column name (`patient` or `patient_id`)."""
    return cast("Field[Any, Any]", model._meta.get_field(name))


def _db_column(model: type[Model], name: str) -> str:
    return cast(str, _field(model, name).column)  # a concrete field has its column


def _column(name: str, qn: Callable[[str], str]) -> str:
    """An assessment column in the page query."""
    return f"{_ROWS}.{qn(_db_column(Assessment, name))}"


def _statement(alias: str) -> _Statement:
    if alias not in _STATEMENTS:
        connection = connections[alias]
        qn = connection.ops.quote_name
        recorded_by = _field(Assessment, "recorded_by")
        user = cast(type[Model], recorded_by.related_model)
        columns, converters = [], []
        for index, name in enumerate(OWN_COLUMNS):
            column = _field(Assessment, name).get_col(_ROWS)
            columns.append(_column(name, qn))
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((index, tuple(found), column))
        columns.append(f"{_USERS}.{qn(_db_column(user, 'username'))}")
        columns.extend(f"CAST({_column(name, qn)} AS text)" for name in JSON_AS_TEXT.values())
        joined = f"{_column('recorded_by', qn)} = {_USERS}.{qn(_db_column(user, user._meta.pk.name))}"
        select = (
            f"SELECT {', '.join(columns)} FROM {qn(Assessment._meta.db_table)} {_ROWS} "  # nosec B608  # the models' own names
            f"INNER JOIN {qn(user._meta.db_table)} {_USERS} ON {joined}"
        )
        _STATEMENTS[alias] = _Statement(select=select, converters=tuple(converters))
    return _STATEMENTS[alias]


def _programs_in_scope() -> list[Any] | None:
    """The programs whose rows a query may read, as the scoped manager of clinical records reads the scope (None: the
    scope is disabled, every program); outside a program scope, the manager's ScopeError."""
    current = get_scope()
    if not current.get("_enabled", True):
        return None
    if "program" not in current:
        raise ScopeError("A scope on dimension(s) program needs to be active for this query.")
    programs = current["program"]
    if isinstance(programs, list | tuple):
        return list(programs)
    return None if programs is None else [programs]


@dataclass(frozen=True)
class PageRows:
    """A patient's assessments that `visible` (a queryset of patient ids, the visibility rule) lets the user see, as
    DRF's CursorPagination pages a queryset: `filter`, `order_by` and one slice, each a new PageRows."""

    patient_id: Any
    visible: QuerySet[Any]
    lookups: tuple[tuple[str, Any], ...] = ()
    ordering: tuple[str, ...] = ()

    def filter(self, **lookups: Any) -> PageRows:
        """Narrowed by the assessment's own fields (`instrument`, `taken_at__lt`: the lookups in OPERATORS)."""
        return replace(self, lookups=self.lookups + tuple(lookups.items()))

    def order_by(self, *fields: str) -> PageRows:
        return replace(self, ordering=fields)

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        """The rows of `page` (rows start to stop - 1, in order): one query."""
        programs = _programs_in_scope()
        if programs == []:
            return []  # a scope of no program reads nothing (the ORM sends no query either)
        alias = router.db_for_read(Assessment)
        connection = connections[alias]
        qn = connection.ops.quote_name
        where, params = [], []
        if programs is not None:
            where.append(f"{_column('program', qn)} IN ({', '.join(['%s'] * len(programs))})")
            params.extend(programs)
        for name, value in (("patient_id", self.patient_id), *self.lookups):
            field, _, lookup = name.partition("__")
            where.append(f"{_column(field, qn)} {OPERATORS[lookup or 'exact']} %s")
            params.append(_field(Assessment, field).get_db_prep_value(value, connection, prepared=False))
        # the visibility rule as the ORM compiles it, unordered as the ORM sends a queryset given to `__in`
        rule, rule_params = self.visible.order_by().query.get_compiler(using=alias).as_sql()
        where.append(f"{_column('patient', qn)} IN ({rule})")
        params.extend(rule_params)
        order = ", ".join(
            f"{_column(name.lstrip('-'), qn)} {'DESC' if name.startswith('-') else 'ASC'}" for name in self.ordering
        )
        start = page.start or 0
        params.extend((page.stop - start, start))
        statement = _statement(alias)
        with connection.cursor() as cursor:
            # every name above is the models' own, every value a parameter
            cursor.execute(
                f"{statement.select} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT %s OFFSET %s",  # nosec B608
                params,
            )
            fetched = cursor.fetchall()
        if statement.converters:  # SQLite: date-times and decimals are text, converted as the ORM converts them
            fetched = [list(row) for row in fetched]
            for row in fetched:
                for index, converters, expression in statement.converters:
                    for converter in converters:
                        row[index] = converter(row[index], expression, connection)
        return [dict(zip(KEYS, row, strict=True)) for row in fetched]
