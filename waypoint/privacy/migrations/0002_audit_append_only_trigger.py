"""On PostgreSQL (the production database) the database itself refuses UPDATE and DELETE on the audit trail.

Tampering then needs a superuser to switch the guard off first, and `waypoint audit verify` still detects
what was changed. SQLite, the embedded development database, keeps the application-level guard only:
Django's test flush empties tables with DELETE, which a trigger there would block.
"""

from django.db import migrations

INSTALL = """
CREATE OR REPLACE FUNCTION privacy_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER privacy_auditevent_append_only
  BEFORE UPDATE OR DELETE ON privacy_auditevent
  FOR EACH ROW EXECUTE FUNCTION privacy_audit_append_only();
"""
UNINSTALL = """
DROP TRIGGER IF EXISTS privacy_auditevent_append_only ON privacy_auditevent;
DROP FUNCTION IF EXISTS privacy_audit_append_only();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
