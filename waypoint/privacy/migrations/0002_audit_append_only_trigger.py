"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit trail (HIPAA integrity).

SQLite gets the same guard as triggers. Tampering then needs the table owner to drop the guard first,
and `waypoint audit verify` still detects what was changed.
"""

from django.db import migrations

POSTGRES = """
CREATE OR REPLACE FUNCTION privacy_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER privacy_auditevent_append_only
  BEFORE UPDATE OR DELETE ON privacy_auditevent
  FOR EACH ROW EXECUTE FUNCTION privacy_audit_append_only();
"""
POSTGRES_UNDO = """
DROP TRIGGER IF EXISTS privacy_auditevent_append_only ON privacy_auditevent;
DROP FUNCTION IF EXISTS privacy_audit_append_only();
"""
SQLITE = [
    """CREATE TRIGGER privacy_auditevent_no_update BEFORE UPDATE ON privacy_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    """CREATE TRIGGER privacy_auditevent_no_delete BEFORE DELETE ON privacy_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
SQLITE_UNDO = [
    "DROP TRIGGER IF EXISTS privacy_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS privacy_auditevent_no_delete;",
]


def install(apps, schema_editor):
    statements = [POSTGRES] if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def uninstall(apps, schema_editor):
    statements = [POSTGRES_UNDO] if schema_editor.connection.vendor == "postgresql" else SQLITE_UNDO
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
