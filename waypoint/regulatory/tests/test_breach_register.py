"""The breach register: the notification list computed from the audit trail, the deadlines from 45 CFR
164.404-408 (applied by 42 CFR 2.16), notices recorded, closure."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core.exceptions import ValidationError

from conftest import patient_fields
from waypoint.accounts.models import Program
from waypoint.audit import trail as audit
from waypoint.patients import services as patients
from waypoint.privacy.models import AuditEvent
from waypoint.regulatory import services
from waypoint.regulatory.models import Breach, BreachNotice

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
END = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)


def at(when, actor, action, **kwargs):
    with time_machine.travel(when, tick=False):
        audit.record(actor, action, **kwargs)


@pytest.fixture
def trail(program, team, nurse, counselor_off_team):
    """Five patients and a hand-placed audit trail around the breach period [START, END)."""
    with time_machine.travel(START - timedelta(days=30)):
        made = {
            key: patients.register_patient(
                acting_user=nurse, program=program, care_team=team, **patient_fields(mrn=f"W-{key}", given_name=key)
            )
            for key in ("A", "B", "C", "D")
        }
    at(START + timedelta(hours=1), nurse, "patient.chart.read", patient=made["A"])  # in
    at(START - timedelta(seconds=1), nurse, "patient.chart.read", patient=made["B"])  # before the period
    at(END, nurse, "patient.chart.read", patient=made["B"])  # the period's end is excluded
    at(START + timedelta(days=1), nurse, "patient.update", patient=made["C"])  # a change shows the record too
    at(START + timedelta(days=2), counselor_off_team, "patient.chart.read", patient=made["D"])  # another user
    at(
        START + timedelta(days=2),
        nurse,
        "patient.chart.read",
        patient=made["D"],
        outcome=AuditEvent.Outcome.DENIED,
    )  # refused: nothing seen
    at(START + timedelta(days=3), nurse, "patient.chart.read", patient=made["A"])  # A again: listed once
    at(START + timedelta(days=3), nurse, "audit.trail.read", program=program)  # no patient
    return made


def test_the_notification_list_equals_the_hand_computed_set(trail, program, nurse, counselor_off_team):
    ids = {key: p.pk for key, p in trail.items()}
    by_nurse = services.affected_patient_ids(program, start=START, end=END, user_ids=[nurse.pk])
    assert by_nurse == {ids["A"], ids["C"]}
    by_anyone = services.affected_patient_ids(program, start=START, end=END)
    assert by_anyone == {ids["A"], ids["C"], ids["D"]}
    both = services.affected_patient_ids(program, start=START, end=END, user_ids=[nurse.pk, counselor_off_team.pk])
    assert both == by_anyone


def test_another_programs_trail_is_not_on_the_list(trail, program, north, north_nurse):
    north_patient = patients.register_patient(
        acting_user=north_nurse, program=north, care_team=None, **patient_fields(mrn="N-1")
    )
    at(START + timedelta(hours=2), north_nurse, "patient.chart.read", patient=north_patient)
    assert north_patient.pk not in services.affected_patient_ids(program, start=START, end=END)
    assert services.affected_patient_ids(north, start=START, end=END) == {north_patient.pk}


@pytest.fixture
def breach(trail, program, privacy_officer, nurse):
    return services.record_breach(
        acting_user=privacy_officer,
        program=program,
        involved_users=[nurse],
        title="Laptop left on the bus",
        discovered_on=date(2026, 3, 10),
        description="A nurse's laptop with an open session was lost.",
        information_involved="Charts opened in the period: demographics, withdrawal scores.",
        window_start=START,
        window_end=END,
    )


def test_a_breach_lists_its_patients_and_its_deadlines(breach, trail):
    assert {p.pk for p in services.affected_patients(breach)} == {trail["A"].pk, trail["C"].pk}
    due = services.deadlines(breach)
    assert due.individuals == date(2026, 5, 9)  # 60 calendar days after discovery
    assert not due.hhs_with_individuals and due.hhs == date(2027, 3, 1)  # < 500: 60 days after the year's end
    assert due.media is None and due.media_states == []
    assert AuditEvent.objects.filter(action="breach.create", object_id=str(breach.pk)).exists()


def test_hhs_and_media_deadlines_follow_the_size_of_the_breach(breach):
    def people(count, state):
        return [SimpleNamespace(state=state) for _ in range(count)]

    small = services.deadlines(breach, people(499, "NY"))
    assert not small.hhs_with_individuals and small.media is None
    five_hundred = services.deadlines(breach, people(500, "NY"))
    assert five_hundred.hhs_with_individuals and five_hundred.hhs == date(2026, 5, 9)
    assert five_hundred.media is None  # media: MORE than 500 residents of one State
    spread = services.deadlines(breach, people(300, "NY") + people(300, "NJ"))
    assert spread.hhs_with_individuals and spread.media is None
    many = services.deadlines(breach, people(501, "ny") + people(10, "NJ"))
    assert many.media == date(2026, 5, 9) and many.media_states == ["NY"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"discovered_on": None}, "discovered_on"),
        ({"discovered_on": Program(time_zone="America/New_York").today() + timedelta(days=2)}, "discovered_on"),
        ({"window_end": START}, "window_end"),
        ({"information_involved": ""}, "information_involved"),
    ],
)
def test_a_breach_missing_what_is_required_is_refused(program, privacy_officer, changes, field):
    data = {
        "title": "Misdirected fax",
        "discovered_on": date(2026, 3, 10),
        "description": "Sent to the wrong clinic.",
        "information_involved": "One admission note.",
        "window_start": START,
        "window_end": END,
    } | changes
    with pytest.raises(ValidationError) as error:
        services.record_breach(acting_user=privacy_officer, program=program, **data)
    assert field in error.value.message_dict and not Breach.objects.exists()


def test_only_the_privacy_officer_records_a_breach(program, nurse):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.record_breach(
            acting_user=nurse,
            program=program,
            title="x",
            discovered_on=date(2026, 3, 10),
            description="x",
            information_involved="x",
            window_start=START,
            window_end=END,
        )


def test_notices_are_recorded_and_the_breach_closes_only_when_everyone_is_notified(breach, trail, privacy_officer):
    sent = date(2026, 3, 20)
    with time_machine.travel(datetime(2026, 3, 21, 12, 0, tzinfo=UTC)):
        with pytest.raises(ValidationError) as error:  # B is not on the list
            services.record_notice(
                acting_user=privacy_officer,
                breach=breach,
                recipient="individual",
                sent_on=sent,
                how="mail",
                patient=trail["B"],
            )
        assert "patient" in error.value.message_dict
        services.record_notice(
            acting_user=privacy_officer,
            breach=breach,
            recipient="individual",
            sent_on=sent,
            how="First-class mail",
            patient=trail["A"],
        )
        with pytest.raises(ValidationError) as error:
            services.close_breach(acting_user=privacy_officer, breach=breach, status="closed")
        assert "1 affected patient" in error.value.message_dict["notices"][0]
        services.record_notice(
            acting_user=privacy_officer,
            breach=breach,
            recipient="individual",
            sent_on=sent,
            how="First-class mail",
            patient=trail["C"],
        )
        closed = services.close_breach(acting_user=privacy_officer, breach=breach, status="closed")
    assert closed.status == "closed" and BreachNotice.objects.filter(breach=breach).count() == 2


def test_not_a_breach_needs_a_documented_risk_assessment(breach, privacy_officer):
    with pytest.raises(ValidationError) as error:
        services.close_breach(acting_user=privacy_officer, breach=breach, status="not_a_breach")
    assert "risk_assessment" in error.value.message_dict
    services.record_risk_assessment(
        acting_user=privacy_officer, breach=breach, text="Laptop encrypted; recovered unopened the same day."
    )
    assert services.close_breach(acting_user=privacy_officer, breach=breach, status="not_a_breach").status == (
        "not_a_breach"
    )
