"""Parse PostgreSQL timestamps with psycopg's C loader.

Django (5.2) registers its own `timestamptz` loader on every connection: a subclass of psycopg's pure-Python
`TimestamptzLoader` that parses each value with a regular expression, then replaces its tzinfo. Reading 200
scores, or a page of a bulk export, spent about a quarter of its time there. Where the connection's time zone
is UTC (USE_TZ with no per-database TIME_ZONE, as Waypoint is configured), psycopg's C loader (psycopg-binary,
already a dependency) gives exactly the same values: aware, `datetime.timezone.utc`. The C class cannot be
subclassed, so the loader below keeps Django's class (and the `timezone` attribute Django compares when it
opens a cursor) and hands each value to a C loader.
"""

from datetime import UTC

from django.db.backends.signals import connection_created


def use_c_timestamp_loader(sender, connection, **kwargs) -> None:
    if connection.vendor != "postgresql" or connection.timezone is not UTC:
        return
    import psycopg
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
    from psycopg.pq import Format

    raw = connection.connection
    if raw.info.parameter_status("TimeZone") != "UTC":
        return
    c_loader = psycopg.adapters.get_loader(psycopg.postgres.types["timestamptz"].oid, Format.TEXT)
    if c_loader is None or c_loader.__module__.startswith("psycopg."):
        return  # no C extension: keep Django's loader

    class UtcTimestamptzLoader(BaseTzLoader):
        timezone = UTC

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self.load = c_loader(oid, context).load

    raw.adapters.register_loader("timestamptz", UtcTimestamptzLoader)


def connect() -> None:
    connection_created.connect(use_c_timestamp_loader, dispatch_uid="waypoint.web.postgres")
