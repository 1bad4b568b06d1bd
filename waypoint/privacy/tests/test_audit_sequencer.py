"""The sequenced audit trail (issue 17): a request writes its event with one INSERT and no lock; the sequencer
(`waypoint audit seal`) seals committed events into their program's hash chain in order, never past a transaction
still in flight, and never skips one; verify reports what waits and fails when it waited too long."""

import importlib
import io
import re
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.utils import timezone

from waypoint.accounts import program_settings
from waypoint.audit import sequencer
from waypoint.audit import signing as audit_signing
from waypoint.audit import trail as audit
from waypoint.privacy.models import AuditCheckpoint, AuditEvent

reseal_migration = importlib.import_module("waypoint.privacy.migrations.0008_sequenced_audit_chains")


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def chain(program_id) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(**audit.in_chain(program_id)).order_by("chain_seq"))


def test_a_request_writes_its_event_unsealed_and_the_sequencer_seals_it_into_its_programs_chain(
    api, nurse, patient, program
):
    api(nurse).get(f"/api/v1/patients/{patient.pk}/")
    event = AuditEvent.objects.get(action="patient.read")
    if on_postgres():  # written by one INSERT: no hash, no place yet; the database noted its transaction
        assert (event.hash, event.chain_seq, event.prev_hash, event.sealed_at) == (None, None, "", None)
        assert event.xid is not None
        assert AuditEvent.objects.filter(pk=event.pk).values_list("xid", flat=True).get() is not None
        call_command("audit", "seal", stdout=io.StringIO())
    else:  # SQLite has one writer: sealed in the request's own transaction
        assert event.hash is not None
    event = AuditEvent.objects.get(pk=event.pk)
    events = chain(program.pk)
    assert events[-1] == event and event.chain_seq == len(events) and event.sealed_at is not None
    assert event.prev_hash == events[-2].hash and event.hash == audit._digest(event)
    assert audit.verify().intact


def test_recording_in_a_requests_transaction_is_one_insert_without_lock_or_chain_head(nurse, patient):
    from django.test.utils import CaptureQueriesContext

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        audit.record(nurse, "patient.chart.read", patient=patient)
    statements = [q["sql"] for q in queries.captured_queries]
    if on_postgres():
        assert len(statements) == 1 and statements[0].startswith('INSERT INTO "privacy_auditevent"'), statements
        assert not any("advisory" in sql for sql in statements)
    else:  # SQLite seals inline, under its one write lock, in the same transaction
        assert statements[0].startswith('INSERT INTO "privacy_auditevent"')


def test_sealing_signs_a_checkpoint_of_each_chain_it_extended(nurse, patient, program, settings):
    settings.WAYPOINT_AUDIT_KEY = "k" * 40
    audit.record(nurse, "patient.chart.read", patient=patient)
    audit.record(None, "auth.sign_in.failed", detail={"username": "nobody"})
    sequencer.seal_all()
    if not on_postgres():  # SQLite sealed inline, without checkpoints; `waypoint audit checkpoint` signs
        audit_signing.make_checkpoint()
    for program_id in (program.pk, None):
        head = chain(program_id)[-1]
        signed = AuditCheckpoint.objects.filter(chain=audit.chain_key(program_id)).order_by("-id").first()
        assert (signed.last_event_id, signed.count, signed.head_hash) == (head.pk, head.chain_seq, head.hash)
    assert audit_signing.verify_checkpoints() == []


@pytest.mark.django_db(transaction=True)
def test_an_audited_read_outside_a_transaction_is_one_insert_committed_at_once(nurse, patient, program):
    """PostgreSQL: a read's event is a transaction of its own (one statement: no BEGIN, no COMMIT), visible to
    another connection at once, stamped with its transaction for the sequencer. SQLite: sealed inline, as before."""
    from django.test.utils import CaptureQueriesContext

    assert not connection.in_atomic_block
    with CaptureQueriesContext(connection) as queries:
        event = audit.record(nurse, "patient.chart.read", patient=patient)
    statements = [q["sql"] for q in queries.captured_queries]
    if not on_postgres():  # one transaction opened for the INSERT and the inline seal
        assert statements[0] == "BEGIN IMMEDIATE" and statements[-1] == "COMMIT", statements
        assert AuditEvent.objects.get(pk=event.pk).hash is not None
        return
    assert len(statements) == 1 and statements[0].startswith('INSERT INTO "privacy_auditevent"'), statements
    seen = {}

    def look():
        try:
            seen["xid"] = AuditEvent.objects.filter(pk=event.pk).values_list("xid", flat=True).first()
        finally:
            connections.close_all()

    other = threading.Thread(target=look)  # its own connection: sees only what was committed
    other.start()
    other.join(30)
    assert seen["xid"] is not None
    assert sequencer.seal_all() >= 1 and AuditEvent.objects.get(pk=event.pk).hash is not None
    assert audit.verify().intact


@pytest.mark.django_db(transaction=True)
def test_an_event_whose_transaction_is_still_in_flight_is_never_sealed_past(nurse, patient, program):
    """Two real connections: the first takes the lower id but commits later. The sequencer must not seal the
    second's event (a higher id, committed) while the first may still commit below it; then it seals both."""
    if not on_postgres():
        pytest.skip("SQLite has one writer: a second transaction cannot write while the first is open")
    first_wrote, first_may_commit = threading.Event(), threading.Event()
    ids = {}

    def first():
        try:
            with transaction.atomic():
                ids["first"] = audit.record(nurse, "patient.chart.read", patient=patient).pk
                first_wrote.set()
                assert first_may_commit.wait(30)
        finally:
            connections.close_all()

    def second():
        try:
            ids["second"] = audit.record(nurse, "patient.update", patient=patient).pk  # commits at once
        finally:
            connections.close_all()

    sequencer.seal_all()  # whatever the fixtures wrote
    holder = threading.Thread(target=first)
    holder.start()
    assert first_wrote.wait(30)
    writer = threading.Thread(target=second)
    writer.start()
    writer.join(30)
    assert ids["first"] < ids["second"]
    assert AuditEvent.objects.filter(pk=ids["second"]).exists()  # committed and visible
    assert not AuditEvent.objects.filter(pk=ids["first"]).exists()  # in flight: not visible yet
    assert sequencer.seal_all() == 0
    assert AuditEvent.objects.get(pk=ids["second"]).hash is None  # not sealed past the transaction in flight
    first_may_commit.set()
    holder.join(30)
    assert sequencer.seal_all() == 2
    sealed = [AuditEvent.objects.get(pk=ids[name]) for name in ("first", "second")]
    assert sealed[1].chain_seq == sealed[0].chain_seq + 1 and sealed[1].prev_hash == sealed[0].hash
    assert audit.verify().intact


@pytest.mark.django_db(transaction=True)
def test_with_the_sequencer_stopped_1000_requests_are_served_and_then_every_event_is_sealed_once_in_order(
    api, nurse, patient, program
):
    sequencer.seal_all()
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    client = api(nurse)
    for _ in range(1000):
        assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    made = AuditEvent.objects.filter(id__gt=before, action="patient.read")
    assert made.count() == 1000
    if on_postgres():  # nothing sealed them: they wait, and the requests were served
        assert AuditEvent.objects.filter(id__gt=before, hash__isnull=False).count() == 0
        verification = audit.verify()
        assert verification.intact and verification.unsealed == AuditEvent.objects.filter(id__gt=before).count()
        assert verification.oldest_unsealed_at is not None
    call_command("audit", "seal", "--batch", "300", stdout=io.StringIO())
    assert not AuditEvent.objects.filter(hash__isnull=True).exists()
    events = chain(program.pk)
    assert [e.chain_seq for e in events] == list(range(1, len(events) + 1))  # each once, no gap
    assert [e.pk for e in events] == sorted(e.pk for e in events)  # in the order they were written
    assert len({e.hash for e in events}) == len(events)
    verification = audit.verify()
    assert verification.intact and verification.unsealed == 0


def test_verify_reports_the_events_waiting_and_fails_when_one_waited_longer_than_the_program_allows(
    nurse, patient, program, capsys
):
    call_command("audit", "seal", stdout=io.StringIO())
    late = timezone.now() - timedelta(minutes=25)
    AuditEvent.objects.create(at=late, actor_name="nurse", program_id=program.pk, action="patient.chart.read")
    verification = audit.verify()
    assert verification.intact and verification.unsealed == 1 and verification.oldest_unsealed_at == late
    with pytest.raises(CommandError) as refused:
        call_command("audit", "verify")
    message = str(refused.value)
    assert f"1 audit events of {program.name} wait to be sealed, the oldest for 25 minutes" in message
    assert "longest wait of an audit event to be sealed (minutes)" in message and ": 10" in message
    assert "HIPAA 45 CFR 164.312(b)" in message
    assert re.search(r"1 events wait to be sealed, the oldest since .* UTC \(15\d\d seconds\)", capsys.readouterr().out)
    program_settings.change(program, "privacy.audit_unsealed_minutes", 30, acting_user=nurse)
    program.refresh_from_db()
    call_command("audit", "verify")  # 25 minutes is within this program's 30


def test_the_privacy_officers_page_shows_when_the_chain_was_last_sealed_and_the_lag(
    page, privacy_officer, nurse, patient, program
):
    call_command("audit", "seal", stdout=io.StringIO())
    content = page(privacy_officer).get("/audit/").content.decode()
    assert "Sealed into the program's tamper-evident chain up to" in content
    AuditEvent.objects.create(
        at=timezone.now() - timedelta(minutes=40), actor_name="nurse", program_id=program.pk, action="probe"
    )
    content = page(privacy_officer).get("/audit/").content.decode()
    waiting = 2 if on_postgres() else 1  # PostgreSQL: the first visit's read waits too
    assert f"{waiting} event{'s' if waiting > 1 else ''} waiting to be sealed, the oldest for 40 minutes" in content
    assert "longest wait of an audit event to be sealed (minutes)" in content
    assert "The sealing process has stopped" in content


@contextmanager
def guard_off():
    """What the migration does (as the tables' owner): switch the append-only guard off for a moment."""
    with connection.cursor() as cursor:
        if on_postgres():
            cursor.execute("SET session_replication_role = replica")
            try:
                yield cursor
            finally:
                cursor.execute("SET session_replication_role = DEFAULT")
        else:
            for statement in reseal_migration.sqlite_uninstall():
                cursor.execute(statement)
            try:
                yield cursor
            finally:
                for statement in reseal_migration.sqlite_install():
                    cursor.execute(statement)


def single_chain(cursor, count: int, key: bytes) -> list[int]:
    """A trail as it was before sequencing: one chain over every program, and a checkpoint signed of it."""
    prev, ids = audit.GENESIS, []
    at = timezone.now() - timedelta(days=1)
    for n in range(count):
        event = AuditEvent(
            at=at + timedelta(seconds=n),
            actor_name="nurse",
            program_id=[7, 8, None][n % 3],
            action="patient.chart.read",
            patient_id=100 + n,
            outcome="success",
            channel="page",
            detail={},
            prev_hash=prev,
        )
        event.hash = prev = reseal_migration.single_chain_digest(event)
        cursor.execute(
            "INSERT INTO privacy_auditevent (at, actor_name, program_id, action, patient_id, object_type, object_id,"
            " outcome, channel, detail, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, '', '', %s, %s, '{}', %s, %s)",
            [event.at, event.actor_name, event.program_id, event.action, event.patient_id, "success", "page"]
            + [event.prev_hash, event.hash],
        )
        ids.append(AuditEvent.objects.order_by("-id").values_list("id", flat=True).first())
    signed_at = timezone.now()
    body = {"last_event_id": ids[-1], "count": count, "head_hash": prev, "at": signed_at.isoformat()}
    AuditCheckpoint.objects.create(
        at=signed_at,
        last_event_id=ids[-1],
        count=count,
        head_hash=prev,
        key_id=audit_signing.key_id(key),
        signature=audit_signing.signature(ids[-1], count, prev, signed_at, key),
    )
    assert (
        audit_signing.statement(ids[-1], count, prev, signed_at)
        == reseal_migration.json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    )
    return ids


def test_the_migration_checks_the_single_chain_then_reseals_it_into_per_program_chains(db, settings):
    settings.WAYPOINT_AUDIT_KEY = key = "k" * 40
    with guard_off() as cursor:
        ids = single_chain(cursor, 9, key.encode())
        reseal_migration.check_single_chain(AuditEvent, AuditCheckpoint, key.encode())
        reseal_migration.reseal(AuditEvent, AuditCheckpoint, key.encode())
    for program_id in (7, 8, None):
        events = chain(program_id)
        assert [e.chain_seq for e in events] == [1, 2, 3] and [e.pk for e in events] == sorted(e.pk for e in events)
    assert {e.pk for e in AuditEvent.objects.all()} == set(ids)
    verification = audit.verify()
    assert (verification.intact, verification.checked, verification.chains) == (True, 9, 3)
    assert audit_signing.verify_checkpoints() == []  # the chains' new checkpoints hold
    assert AuditCheckpoint.objects.filter(chain="").count() == 1  # the old one kept, as the single chain's
    call_command("audit", "verify", stdout=io.StringIO())


def test_the_migration_refuses_to_reseal_a_broken_single_chain_naming_the_event(db, settings):
    settings.WAYPOINT_AUDIT_KEY = key = "k" * 40
    with guard_off() as cursor:
        ids = single_chain(cursor, 5, key.encode())
        cursor.execute("UPDATE privacy_auditevent SET actor_name = 'someone-else' WHERE id = %s", [ids[2]])
    with pytest.raises(RuntimeError, match=f"audit chain BROKEN at event #{ids[2]}"):
        reseal_migration.check_single_chain(AuditEvent, AuditCheckpoint, key.encode())


def test_the_migration_refuses_to_reseal_a_chain_cut_short_under_its_checkpoint(db, settings):
    settings.WAYPOINT_AUDIT_KEY = key = "k" * 40
    with guard_off() as cursor:
        ids = single_chain(cursor, 5, key.encode())
        cursor.execute("DELETE FROM privacy_auditevent WHERE id = %s", [ids[-1]])
    with pytest.raises(RuntimeError, match=f"for event #{ids[-1]} does not hold"):
        reseal_migration.check_single_chain(AuditEvent, AuditCheckpoint, key.encode())


def test_only_sealing_may_change_an_event_once(nurse, patient, program):
    """The database lets the sequencer fill in an unsealed event's seal, and nothing else, ever."""
    from django.db import DatabaseError

    event = AuditEvent.objects.create(actor_name="nurse", program_id=program.pk, action="probe")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered", hash="a" * 64, chain_seq=99)
    sequencer.seal_all()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(hash="b" * 64)
    assert AuditEvent.objects.get(pk=event.pk).hash == audit._digest(AuditEvent.objects.get(pk=event.pk))


def test_the_sequencer_outlives_the_database_going_away_and_seals_when_it_is_back(nurse, patient, program, monkeypatch):
    from django.db import OperationalError

    audit.record(nurse, "patient.chart.read", patient=patient)  # PostgreSQL: waits unsealed for the sequencer
    real_seal, calls, errors = sequencer.seal, [], []

    def seal_after_an_outage(batch):
        calls.append(batch)
        if len(calls) == 1:
            raise OperationalError("the database is restarting")
        return real_seal(batch)

    monkeypatch.setattr(sequencer, "seal", seal_after_an_outage)
    monkeypatch.setattr(sequencer.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(sequencer.connection, "close", lambda: None)  # the test's own transaction stays open
    sequencer.follow(0.01, should_stop=lambda: len(calls) >= 3, on_error=errors.append)
    assert len(errors) == 1 and "restarting" in str(errors[0])
    assert not AuditEvent.objects.filter(hash__isnull=True).exists()
