"""The database refuses UPDATE and DELETE on the audit trail and its signed checkpoints, on SQLite as on PostgreSQL.

PostgreSQL: the trigger function of 0002 guards the checkpoints too. SQLite: one trigger per table and statement.
Django's `flush` (test teardown, `waypoint flush`) empties tables with DELETE on SQLite, so the SQLite triggers let a
DELETE through only while `privacy_audit_maintenance` holds a row, which only the project's `flush` command writes
(privacy/management/commands/flush.py); PostgreSQL's flush is a TRUNCATE, which row triggers do not see.
"""

from django.db import migrations

GUARDED = ("privacy_auditevent", "privacy_auditcheckpoint")

POSTGRES_INSTALL = """
CREATE TRIGGER privacy_auditcheckpoint_append_only
  BEFORE UPDATE OR DELETE ON privacy_auditcheckpoint
  FOR EACH ROW EXECUTE FUNCTION privacy_audit_append_only();
"""
POSTGRES_UNINSTALL = "DROP TRIGGER IF EXISTS privacy_auditcheckpoint_append_only ON privacy_auditcheckpoint;"


def sqlite_install() -> list[str]:
    statements = ["CREATE TABLE IF NOT EXISTS privacy_audit_maintenance (reason TEXT NOT NULL)"]
    for table in GUARDED:
        statements.append(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "  # nosec: B608  # GUARDED: our table names
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
        )
        statements.append(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "  # nosec: B608  # GUARDED: our table names
            "WHEN NOT EXISTS (SELECT 1 FROM privacy_audit_maintenance) "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
        )
    return statements


def sqlite_uninstall() -> list[str]:
    drops = [f"DROP TRIGGER IF EXISTS {table}_{kind}" for table in GUARDED for kind in ("no_update", "no_delete")]
    return [*drops, "DROP TABLE IF EXISTS privacy_audit_maintenance"]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_INSTALL)
    elif vendor == "sqlite":
        for statement in sqlite_install():
            schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UNINSTALL)
    elif vendor == "sqlite":
        for statement in sqlite_uninstall():
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0006_audit_checkpoint")]
    operations = [migrations.RunPython(install, uninstall)]
