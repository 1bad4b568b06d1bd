"""PostgreSQL timestamps are parsed by psycopg's C loader (waypoint/web/postgres.py) and read back exactly as
Django's own loader gives them: aware, in UTC (`datetime.UTC`), to the microsecond."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection

from waypoint.privacy.models import AuditEvent

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL connection's loader")


def test_the_connection_reads_timestamps_with_the_c_loader(db):
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(1184, 0)  # timestamptz, text format
    assert loader.__name__ == "UtcTimestamptzLoader" and loader.timezone is UTC


def test_timestamps_read_back_aware_in_utc_to_the_microsecond(db):
    written = [
        datetime(2026, 3, 8, 6, 59, 59, 999999, tzinfo=UTC),  # around a DST change in New York
        datetime(2026, 11, 1, 1, 30, tzinfo=timezone(timedelta(hours=-4))),  # given with an offset
        datetime(1999, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT unnest(%s::timestamptz[])", [written])
        read = [row[0] for row in cursor.fetchall()]
    assert read == written
    assert all(value.tzinfo is UTC for value in read)
    AuditEvent.objects.create(at=written[1], actor_name="system", action="test", prev_hash="0" * 64, hash="1" * 64)
    stored = AuditEvent.objects.get(action="test").at
    assert stored == written[1] and stored.tzinfo is UTC and stored.hour == 5
