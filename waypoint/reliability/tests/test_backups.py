"""`waypoint backup` then `waypoint restore` into a new database: every table holds the same rows, and the
audit chain of the restored database verifies."""

import os
import sqlite3
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tests.conftest import COWS
from waypoint.privacy.models import AuditEvent
from waypoint.withdrawal import services as withdrawal

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]  # slow: real subprocesses or servers
ROOT = Path(__file__).resolve().parents[3]


def server_url(name: str) -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{quote(db['USER'] or 'postgres')}{password}@{host}/{name}"


def row_counts(query) -> dict[str, int]:
    return {table: query(f'SELECT COUNT(*) FROM "{table}"') for table in connection.introspection.table_names()}


def waypoint(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=database_url)
    return subprocess.run(
        [sys.executable, "-m", "waypoint", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_a_restored_backup_has_every_record_and_an_intact_audit_chain(tmp_path, nurse, admitted):
    for hours in (3, 2, 1):
        withdrawal.record_assessment(
            acting_user=nurse,
            patient=admitted.patient,
            instrument="cows",
            responses=COWS,
            taken_at=timezone.now() - timedelta(hours=hours),
        )
    backup = tmp_path / "waypoint.backup"
    call_command("backup", str(backup))
    assert backup.stat().st_size > 0

    def here(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    original = row_counts(here)
    assert original["withdrawal_assessment"] == 3 and original["privacy_auditevent"] == AuditEvent.objects.count()

    if connection.vendor == "sqlite":
        target_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        restored = waypoint(target_url, "restore", str(backup), "--yes")
        assert restored.returncode == 0, restored.stderr
        with sqlite3.connect(tmp_path / "restored.sqlite3") as db:
            copy = row_counts(lambda sql: db.execute(sql).fetchone()[0])
    else:
        name = f"waypoint_restore_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        target_url = server_url(name)
        try:
            restored = waypoint(target_url, "restore", str(backup), "--yes")
            assert restored.returncode == 0, restored.stderr
            with psycopg.connect(target_url) as db:
                copy = row_counts(lambda sql: db.execute(sql).fetchone()[0])
            verified = waypoint(target_url, "audit", "verify")
        finally:
            with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if connection.vendor == "sqlite":
        verified = waypoint(target_url, "audit", "verify")
    assert copy == original
    assert verified.returncode == 0 and "audit chain intact" in verified.stdout, verified.stderr


def test_restore_asks_for_confirmation_and_names_a_missing_file(tmp_path):
    refused = waypoint(f"sqlite:///{tmp_path / 'x.sqlite3'}", "restore", str(tmp_path / "none.backup"))
    assert refused.returncode != 0 and "--yes" in refused.stderr
    missing = waypoint(f"sqlite:///{tmp_path / 'x.sqlite3'}", "restore", str(tmp_path / "none.backup"), "--yes")
    assert missing.returncode != 0 and "no backup file" in missing.stderr
