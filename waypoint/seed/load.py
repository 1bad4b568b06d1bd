"""Loading generated rows: COPY on PostgreSQL, large executemany batches on SQLite; ids handed out ahead."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from django.apps import apps
from django.db import connection


def table_of(model_label: str) -> str:
    return apps.get_model(model_label)._meta.db_table


class Sink:
    """Writes rows into one table at a time over the Django connection (inside its transaction)."""

    def __init__(self):
        self.vendor = connection.vendor
        self._next_id: dict[str, int] = {}

    def allocate_ids(self, model_label: str, count: int) -> list[int]:
        """`count` fresh primary keys for the table, taken from its sequence (PostgreSQL) or above its maximum."""
        if count == 0:
            return []
        table = table_of(model_label)
        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
                )
                return [row[0] for row in cursor.fetchall()]
        if table not in self._next_id:
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')  # noqa: S608 - our own table name  # nosec: B608
                self._next_id[table] = cursor.fetchone()[0] + 1
        first = self._next_id[table]
        self._next_id[table] = first + count
        return list(range(first, first + count))

    def write(self, model_label: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        table = table_of(model_label)
        names = ", ".join(f'"{c}"' for c in columns)
        connection.ensure_connection()
        raw = connection.connection
        if self.vendor == "postgresql":
            with raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            raw.executemany(
                f'INSERT INTO "{table}" ({names}) VALUES ({marks})',  # noqa: S608 - our own names  # nosec: B608
                [tuple(map(_sqlite_value, row)) for row in rows],
            )


def _sqlite_value(value):
    """The text Django's SQLite backend itself stores: naive UTC date-times, ISO dates, decimals as text."""
    if isinstance(value, datetime):
        return str(value.astimezone(UTC).replace(tzinfo=None))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | float) and not isinstance(value, bool):
        return str(value)
    return value
