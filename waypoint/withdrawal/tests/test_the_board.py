"""The withdrawal board: who needs a nurse now, with a fixed number of queries whatever the census."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from waypoint.accounts import program_settings
from waypoint.accounts.models import ProgramLevel
from waypoint.patients import services as patients
from waypoint.patients.access import visible_patients
from waypoint.withdrawal import board

from .conftest import COWS_MILD, COWS_SEVERE, cows


def admit_many(program, team, nurse, count, record, first=0):
    ProgramLevel.objects.filter(program=program, code="3.7-WM").update(capacity=None)  # more than the beds
    people = []
    for n in range(first, first + count):
        patient = patients.register_patient(
            acting_user=nurse,
            program=program,
            care_team=team,
            mrn=f"B-{n}",
            given_name=f"P{n}",
            family_name="Board",
            birth_date=date(1990, 1, 1),
            sex_at_birth="male",
        )
        patients.admit(
            acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(days=1), level_code="3.7-WM"
        )
        record(patient, hours_ago=5)
        record(patient, COWS_SEVERE, hours_ago=1)
        people.append(patient)
    return people


def board_queries(client):
    """Queries of one whole request of the board page (session, access, board, audit, template). A request just
    before it starts the session's clocks (accounts/sessions.py), so neither request counted writes the session."""
    client.get("/withdrawal/board/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/withdrawal/board/")
    assert response.status_code == 200
    return len(queries), response.content.decode().count(">Score COWS<")


def test_the_board_runs_the_same_queries_for_5_and_50_patients(program, team, nurse, record, page):
    client = page(nurse)
    admit_many(program, team, nurse, 5, record)
    few, five = board_queries(client)
    admit_many(program, team, nurse, 45, record, first=5)
    many, fifty = board_queries(client)
    assert (five, fifty) == (5, 50)
    assert few == many


def test_only_patients_in_withdrawal_management_are_on_the_board(program, nurse, admitted, patient, record):
    patients.transfer(acting_user=nurse, episode=admitted, at=timezone.now(), level_code="3.5", reason="done")
    assert board.build(program, visible_patients(nurse, program)) == []


def test_a_patient_without_a_cows_is_due_for_a_baseline_at_once(program, nurse, admitted):
    [row] = board.build(program, visible_patients(nurse, program))
    assert row.latest is None and row.overdue and row.next_due == admitted.admitted_at


def test_next_due_follows_the_program_interval(program, nurse, admitted, patient, record):
    latest = record(patient, hours_ago=1)
    [row] = board.build(program, visible_patients(nurse, program))
    assert row.next_due == latest.taken_at + timedelta(hours=4) and not row.overdue
    program_settings.change(program, "withdrawal.assessment_interval_hours", 1, acting_user=nurse)
    [row] = board.build(program, visible_patients(nurse, program))
    assert row.overdue and [a.code for a in row.alerts] == ["overdue"]


def test_severe_withdrawal_and_a_rise_raise_alerts(program, nurse, admitted, patient, record):
    record(patient, hours_ago=2)
    record(patient, COWS_SEVERE, hours_ago=1)
    [row] = board.build(program, visible_patients(nurse, program))
    assert row.change == 29 and [a.code for a in row.alerts] == ["severe"]  # no rise alert: not set by the program
    program_settings.change(program, "withdrawal.rise_alert_points", 10, acting_user=nurse)
    [row] = board.build(program, visible_patients(nurse, program))
    assert [a.code for a in row.alerts] == ["severe", "rise"]
    assert "program setting “COWS rise alert (points)”: 10" in row.alerts[1].text


def test_the_induction_flag_names_the_setting_that_produced_it(program, nurse, admitted, patient, record):
    record(patient, cows(COWS_MILD, anxiety_irritability=1), hours_ago=1)  # COWS 10
    [row] = board.build(program, visible_patients(nurse, program))
    assert row.meets_induction == ""  # no threshold set: no flag
    program_settings.change(program, "withdrawal.induction_threshold_cows", 10, acting_user=nurse)
    [row] = board.build(program, visible_patients(nurse, program))
    assert row.meets_induction == "Meets program induction threshold (program setting “COWS induction threshold”: 10)"
    program_settings.change(program, "withdrawal.induction_threshold_cows", 11, acting_user=nurse)
    [row] = board.build(program, visible_patients(nurse, program))
    assert row.meets_induction == ""


def test_an_amended_score_counts_in_its_corrected_form(program, nurse, admitted, patient, record):
    from waypoint.withdrawal import services

    first = record(patient, COWS_SEVERE, hours_ago=1)
    services.amend_assessment(acting_user=nurse, assessment=first, responses=COWS_MILD, reason="misread", version=1)
    [row] = board.build(program, visible_patients(nurse, program))
    assert row.latest.total == 9 and row.previous is None


def test_overdue_patients_come_first_then_the_highest_scores(program, team, nurse, record):
    calm, severe, overdue = admit_many(program, team, nurse, 3, record)
    record(calm, COWS_MILD, hours_ago=0.5)
    record(overdue, COWS_MILD, hours_ago=9)
    from waypoint.withdrawal.models import Assessment

    Assessment.objects.filter(patient=overdue).exclude(taken_at__lt=timezone.now() - timedelta(hours=8)).update(
        record_status="entered_in_error"
    )
    rows = board.build(program, visible_patients(nurse, program))
    assert [row.patient.pk for row in rows] == [overdue.pk, severe.pk, calm.pk]


@pytest.mark.parametrize("setting", ["withdrawal.assessment_interval_hours", "withdrawal.rise_alert_points"])
def test_a_setting_outside_its_range_is_refused(program, nurse, setting):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        program_settings.change(program, setting, 0, acting_user=nurse)


def test_the_board_page_and_api_show_the_rows(page, api, nurse, admitted, patient, record):
    record(patient, COWS_SEVERE, hours_ago=1)
    html = page(nurse).get("/withdrawal/board/").content.decode()
    assert patient.display_name in html and "Severe withdrawal (COWS 38)" in html
    data = api(nurse).get("/api/v1/withdrawal/board/").json()
    assert data["patients"][0]["latest_cows"] == 38 and data["patients"][0]["severity"] == "severe"


def test_the_chart_header_carries_the_withdrawal_alerts(page, nurse, admitted, patient, record):
    record(patient, COWS_SEVERE, hours_ago=1)
    html = page(nurse).get(patient.get_absolute_url()).content.decode()
    assert "Severe withdrawal (COWS 38)" in html


def test_the_board_refreshes_in_place_with_htmx(page, nurse, admitted):
    response = page(nurse).get("/withdrawal/board/", headers={"HX-Request": "true"})
    assert b"<html" not in response.content and b'<table class="board">' in response.content


def test_the_two_newest_cows_are_read_with_the_stays_not_in_a_query_of_their_own(program, team, nurse, record, page):
    client = page(nurse)
    admit_many(program, team, nurse, 3, record)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/withdrawal/board/")
    assert response.status_code == 200 and response.content.decode().count(">Score COWS<") == 3
    own = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "withdrawal_assessment"."id"')]
    assert own == []
    [stays] = [q["sql"] for q in queries.captured_queries if 'FROM "patients_levelofcarestay"' in q["sql"]][:1]
    assert '"withdrawal_assessment"' in stays


@pytest.mark.parametrize("microsecond", [0, 123456], ids=["at a whole second", "to the microsecond"])
def test_the_two_newest_cows_are_read_exactly_as_recorded(program, nurse, admitted, patient, microsecond):
    """The stays query reads each COWS as one text (board._Packed): id, total, band and time come back unchanged on
    either database, whether or not the time has a fraction of a second."""
    from waypoint.withdrawal import services

    base = timezone.now().replace(microsecond=microsecond)
    earlier, latest = (
        services.record_assessment(
            acting_user=nurse,
            patient=patient,
            instrument="cows",
            responses=responses,
            taken_at=base - timedelta(hours=h),
        )
        for responses, h in ((COWS_MILD, 2), (COWS_SEVERE, 1))
    )
    [row] = board.build(program, visible_patients(nurse, program))
    expected = [
        board.Score(found.pk, patient.pk, "cows", found.taken_at, found.total, found.severity)
        for found in (latest, earlier)
    ]
    assert [row.latest, row.previous] == expected
    assert row.latest.taken_at.utcoffset() == timedelta(0) and row.latest.taken_at.microsecond == microsecond
    assert (row.latest.severity_label, row.change) == ("severe", latest.total - earlier.total)


def test_the_ciwa_ar_column_is_asked_for_only_while_someone_on_the_board_has_ciwa_ar_on(
    program, team, nurse, record, page
):
    from waypoint.withdrawal import services

    client = page(nurse)
    calm, drinking = admit_many(program, team, nurse, 2, record)

    def ciwa_queries():
        client.get("/withdrawal/board/")
        with CaptureQueriesContext(connection) as queries:
            html = client.get("/withdrawal/board/").content.decode()
        own = [
            q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "withdrawal_ciwaarmonitoring"')
        ]
        return len(own), html.count("Score CIWA-Ar")

    assert ciwa_queries() == (0, 0)
    services.start_ciwa_ar(acting_user=nurse, patient=drinking, reason="alcohol co-use")
    assert ciwa_queries() == (1, 1)
    rows = {row.patient.pk: row for row in board.build(program, visible_patients(nurse, program))}
    assert rows[calm.pk].ciwa is None and rows[drinking.pk].ciwa.reason == "alcohol co-use"
    services.stop_ciwa_ar(acting_user=nurse, patient=drinking, reason="no alcohol use")
    assert ciwa_queries() == (0, 0)


def test_the_two_newest_are_the_latest_times_then_the_later_entry_at_the_same_time(
    program, nurse, admitted, patient, record
):
    """Both newest COWS come from one subquery whose aggregate need not keep their order (board._FirstTwo): the board
    orders them as the query picks them, the latest time first and, at the same time, the later entry first."""
    from waypoint.withdrawal import services

    record(patient, COWS_SEVERE, hours_ago=3)  # the oldest of three: not read
    at = timezone.now() - timedelta(hours=1)
    first, second = (
        services.record_assessment(acting_user=nurse, patient=patient, instrument="cows", responses=r, taken_at=at)
        for r in (COWS_MILD, cows(COWS_MILD, anxiety_irritability=2))
    )
    [row] = board.build(program, visible_patients(nurse, program))
    assert (row.latest.id, row.previous.id) == (second.pk, first.pk) and row.change == 2
    assert board.for_patient(program, patient).latest.id == second.pk
