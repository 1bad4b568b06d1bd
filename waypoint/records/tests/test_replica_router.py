"""Without a read replica nothing changes: every read goes to the primary, replica block or not; the setting is
refused when it cannot work. The routing against a real replica: tests/test_read_replica.py."""

import importlib.util
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

import waypoint
from waypoint.accounts.models import Membership
from waypoint.patients.models import Patient
from waypoint.records.replica import DEFAULT, ReplicaRouter, configured, reading_alias, replica_reads

SETTINGS = Path(waypoint.__file__).parent / "settings.py"


def settings_with(monkeypatch, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("settings_under_test", SETTINGS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_a_replica_a_replica_block_reads_the_primary(patient):
    assert not configured()
    with replica_reads():
        assert reading_alias(Patient) == DEFAULT
        assert Patient.objects.get(pk=patient.pk)._state.db == DEFAULT


def test_writes_and_migrations_always_go_to_the_primary():
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_write(Patient) == DEFAULT
    assert router.allow_migrate(DEFAULT, "patients") is True
    assert router.allow_migrate("replica", "patients") is False


def test_a_replica_block_that_wrote_reads_the_primary_to_its_end_but_an_audit_write_does_not_count(monkeypatch):
    from waypoint.records import replica

    monkeypatch.setattr(replica, "configured", lambda: True)  # as if DATABASE_REPLICA_URL were set; no query made
    # a block's first replica read asks the replica its lag: answered 0 here (asked of a real replica, and a replica
    # that fails to answer, in tests/test_read_replica.py)
    monkeypatch.setattr(replica, "_ask_the_replica", lambda block: setattr(block, "lag", 0.0))
    router = ReplicaRouter()
    audit_event = apps.get_model("privacy", "AuditEvent")
    assert not connections[DEFAULT].in_atomic_block
    with replica_reads():
        assert reading_alias(Patient) == "replica"
        assert reading_alias(Membership) == DEFAULT  # who is asking: always the primary
        router.db_for_write(audit_event)
        assert reading_alias(Patient) == "replica"
        router.db_for_write(Patient)
        assert reading_alias(Patient) == DEFAULT
    with replica_reads():
        assert reading_alias(Patient) == "replica"  # a new block starts clean
    assert reading_alias(Patient) == DEFAULT  # outside a block: the primary


def test_a_replica_needs_a_postgresql_primary(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ImproperlyConfigured, match="DATABASE_REPLICA_URL"):
        settings_with(monkeypatch, DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:5433/waypoint")


def test_the_replica_is_a_second_alias_of_the_same_database_in_tests(monkeypatch):
    loaded = settings_with(
        monkeypatch,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/waypoint",
        DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:5433/waypoint",
    )
    assert loaded.DATABASES["replica"]["PORT"] == 5433
    assert loaded.DATABASES["replica"]["TEST"] == {"MIRROR": "default"}
    assert loaded.DATABASE_ROUTERS == ["waypoint.records.replica.ReplicaRouter"]
