"""Django's `flush`, which on SQLite first opens the audit trail's guard for the one connection emptying the tables.

The SQLite append-only triggers (privacy migration 0007) refuse DELETE on the audit trail unless
`privacy_audit_maintenance` holds a row: emptying the whole database (test teardown, a developer resetting their
install) is the one deletion allowed, and it is never a way to remove some events and keep the rest.
"""

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if connection.vendor != "sqlite" or "privacy_audit_maintenance" not in connection.introspection.table_names():
            return super().handle(**options)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO privacy_audit_maintenance (reason) VALUES ('flush')")
        try:
            return super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM privacy_audit_maintenance")
