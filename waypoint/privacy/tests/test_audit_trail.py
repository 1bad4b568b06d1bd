"""The audit trail: every read and change is recorded, the chain verifies, and tampering is detected."""

import importlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test.utils import CaptureQueriesContext

from waypoint.audit import sequencer
from waypoint.audit import trail as audit
from waypoint.privacy.models import AppendOnlyError, AuditEvent

sqlite_guard = importlib.import_module("waypoint.privacy.migrations.0008_sequenced_audit_chains")


def chain_of(program) -> list[AuditEvent]:
    """The program's chain, sealed first (PostgreSQL: by the sequencer; SQLite sealed at once)."""
    sequencer.seal_all()
    return list(AuditEvent.objects.filter(program_id=program.pk).order_by("chain_seq"))


def test_reading_a_chart_is_audited_with_who_what_and_channel(page, nurse, patient):
    page(nurse).get(patient.get_absolute_url())
    event = AuditEvent.objects.filter(action="patient.chart.read").get()
    assert (event.actor, event.patient_id, event.program_id, event.channel) == (
        nurse,
        patient.pk,
        patient.program_id,
        "page",
    )


def test_reading_through_the_api_is_audited_as_api(api, nurse, patient):
    api(nurse).get(f"/api/v1/patients/{patient.pk}/")
    assert AuditEvent.objects.filter(action="patient.read", patient_id=patient.pk, channel="api").count() == 1


def test_an_event_is_written_as_model_save_writes_it(nurse, patient):
    """`record` sends the INSERT compiled once; the row is the one `AuditEvent.save()` writes for the same event."""
    detail = {"reason": "Zoë's chart — “urgent”", "count": 3, "nested": {"items": [1, "two"]}}
    with transaction.atomic(), CaptureQueriesContext(connection) as sent:
        recorded = audit.record(nurse, "patient.read", patient=patient, obj=patient, detail=detail)
    assert [q["sql"].split(" (")[0] for q in sent.captured_queries if q["sql"].startswith("INSERT")] == [
        f'INSERT INTO "{AuditEvent._meta.db_table}"'
    ]
    saved = AuditEvent(
        at=recorded.at,
        actor=nurse,
        actor_name=nurse.username,
        program_id=patient.program_id,
        action="patient.read",
        patient_id=patient.pk,
        object_type="patients.patient",
        object_id=str(patient.pk),
        outcome="success",
        channel=recorded.channel,
        detail=detail,
    )
    saved.save()
    columns = ("at", "actor_id", "actor_name", "program_id", "action", "patient_id", "object_type", "object_id")
    columns += ("outcome", "channel", "detail")
    written = AuditEvent.objects.filter(pk__in=[recorded.pk, saved.pk]).order_by("pk").values_list(*columns)
    assert written[0] == written[1] == tuple(getattr(saved, name) for name in columns)
    assert recorded.pk < saved.pk and not recorded._state.adding


def test_a_change_and_its_event_roll_back_together(nurse, patient):
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(nurse, "patient.update", patient=patient, obj=patient)
        raise RuntimeError("the change failed after its event was written")
    assert AuditEvent.objects.count() == before


def test_the_chain_verifies_when_intact(nurse, patient, admitted, capsys):
    call_command("audit", "verify")
    assert "audit chain intact" in capsys.readouterr().out


def test_each_event_links_to_the_previous_one_of_its_programs_chain(nurse, patient, admitted, program):
    events = chain_of(program)
    assert [event.chain_seq for event in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == audit.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:], strict=False))
    assert all(event.hash == audit._digest(event) for event in events)


def test_the_application_refuses_to_change_or_delete_an_event(nurse, patient):
    event = AuditEvent.objects.first()
    event.action = "patient.read"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_the_database_refuses_to_update_or_delete_an_event(nurse, patient, program):
    sealed = chain_of(program)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=sealed.pk).update(action="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=sealed.pk).update(hash="f" * 64)  # sealed once, never again
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=sealed.pk)._raw_delete(connection.alias)


def without_guard(sql: str, params=()):
    """What an attacker with the table owner's rights would do: drop the guard, then tamper."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # superuser: triggers off
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = DEFAULT")
        else:  # SQLite has no switch for triggers: drop them, tamper, put them back
            for statement in sqlite_guard.sqlite_uninstall():
                cursor.execute(statement)
            cursor.execute(sql, params)
            for statement in sqlite_guard.sqlite_install():
                cursor.execute(statement)


def test_altering_one_event_is_detected_and_named(nurse, patient, admitted, program):
    victim = chain_of(program)[1]
    without_guard("UPDATE privacy_auditevent SET actor_name = %s WHERE id = %s", ["someone-else", victim.pk])
    with pytest.raises(CommandError, match=f"BROKEN at event #{victim.pk}: its content does not match"):
        call_command("audit", "verify")


def test_removing_one_event_is_detected_at_the_next_one(page, nurse, patient, admitted, program):
    page(nurse).get(patient.get_absolute_url())
    events = chain_of(program)
    without_guard("DELETE FROM privacy_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(CommandError, match=f"BROKEN at event #{events[2].pk}: its link"):
        call_command("audit", "verify")


def test_inserting_an_event_into_the_middle_of_a_chain_is_detected_and_named(nurse, patient, admitted, program):
    """A row forged with a correct link and hash at a place already taken: two events claim one place."""
    events = chain_of(program)
    forged = AuditEvent(**{f.attname: getattr(events[1], f.attname) for f in AuditEvent._meta.concrete_fields})
    forged.pk, forged.actor_name = None, "someone-else"
    forged.hash = audit._digest(forged)
    columns = [f.column for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(getattr(forged, f.attname), connection) for f in AuditEvent._meta.concrete_fields]
    without_guard(
        f"INSERT INTO privacy_auditevent ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
        values[1:],
    )
    inserted = AuditEvent.objects.get(actor_name="someone-else")
    with pytest.raises(CommandError, match=f"BROKEN at event #{inserted.pk}: it claims place 2 .*inserted"):
        call_command("audit", "verify")


def test_many_events_appended_at_once_link_in_order_and_verify(nurse, patient, admitted, program):
    from conftest import patient_fields
    from waypoint.patients import services

    others = [
        services.register_patient(
            acting_user=nurse,
            program=program,
            care_team=patient.care_team,
            **patient_fields(mrn=f"M-{n}", given_name=f"Many{n}"),
        )
        for n in range(3)
    ]
    before = chain_of(program)[-1]
    ids = [patient.pk] + [p.pk for p in others]
    made = audit.record_many(nurse, "fhir.read", patient_ids=ids, program=program, detail={"kind": "patient"})
    events = [e for e in chain_of(program) if e.chain_seq > before.chain_seq]
    assert [e.patient_id for e in events] == ids == [e.patient_id for e in made]
    assert events[0].prev_hash == before.hash
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:], strict=False))
    assert audit.verify().first_bad_id is None
