"""When the next COWS is due: the program interval, the baseline, and the shorter interval after a dose."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from waypoint.accounts import program_settings
from waypoint.patients.access import visible_patients
from waypoint.withdrawal import board
from waypoint.withdrawal.board import Dose, due_at

from .conftest import COWS_MILD

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)


def due(last_cows=T0 + 2 * H, last_dose=None, now=T0 + 3 * H, post=2 * H, window=8 * H):
    return due_at(
        stay_started=T0,
        last_cows=last_cows,
        last_dose=last_dose,
        now=now,
        interval=4 * H,
        post_dose_interval=post,
        post_dose_window=window,
    )


def test_the_baseline_is_due_when_the_stay_begins():
    assert due(last_cows=None) == T0
    assert due(last_cows=T0 - H) == T0  # a COWS from before this stay does not count


def test_without_a_dose_the_program_interval_counts_from_the_last_cows():
    assert due() == T0 + 6 * H


def test_after_a_dose_the_post_dose_interval_counts_from_the_dose():
    assert due(last_dose=T0 + 3 * H, now=T0 + 3.5 * H) == T0 + 5 * H


def test_a_cows_after_the_dose_restarts_the_post_dose_interval():
    assert due(last_cows=T0 + 5 * H, last_dose=T0 + 3 * H, now=T0 + 5.5 * H) == T0 + 7 * H


def test_past_the_window_the_usual_interval_returns():
    assert due(last_cows=T0 + 12 * H, last_dose=T0 + 3 * H, now=T0 + 12.5 * H) == T0 + 16 * H


@pytest.mark.parametrize(("post", "window"), [(None, 8 * H), (2 * H, None)])
def test_the_post_dose_interval_is_off_until_both_settings_are_set(post, window):
    assert due(last_dose=T0 + 3 * H, now=T0 + 3.5 * H, post=post, window=window) == T0 + 6 * H


@pytest.fixture
def dose_one_hour_ago():
    """A dose source such as the MOUD area registers: here, one buprenorphine dose an hour ago for everyone."""
    when = timezone.now() - H

    def source(patient_ids):
        return {pid: [Dose(when, "buprenorphine 4 mg SL")] for pid in patient_ids}

    board.DOSE_SOURCES.append(source)
    yield when
    board.DOSE_SOURCES.remove(source)


def test_the_board_shortens_the_interval_after_a_dose_when_the_program_sets_it(
    program, nurse, admitted, patient, record, dose_one_hour_ago
):
    latest = record(patient, COWS_MILD, hours_ago=1.5)
    [row] = board.build(program, visible_patients(nurse, program))
    assert row.next_due == latest.taken_at + 4 * H
    program_settings.change(program, "withdrawal.post_dose_interval_hours", 2, acting_user=nurse)
    program_settings.change(program, "withdrawal.post_dose_window_hours", 8, acting_user=nurse)
    [row] = board.build(program, visible_patients(nurse, program))
    assert row.next_due == dose_one_hour_ago + 2 * H


def test_the_flowsheet_chart_marks_the_doses(page, nurse, admitted, patient, record, dose_one_hour_ago):
    record(patient, COWS_MILD, hours_ago=2)
    html = page(nurse).get(f"/patients/{patient.pk}/withdrawal/").content.decode()
    assert "buprenorphine 4 mg SL" in html


def test_the_board_asks_for_doses_only_while_the_program_shortens_the_interval_after_one(
    program, nurse, admitted, patient, record
):
    asked = []

    def source(patient_ids):
        asked.append(list(patient_ids))
        return {}

    board.DOSE_SOURCES.append(source)
    try:
        record(patient, COWS_MILD, hours_ago=1)
        board.build(program, visible_patients(nurse, program))
        board.for_patient(program, patient)
        program_settings.change(program, "withdrawal.post_dose_interval_hours", 2, acting_user=nurse)
        board.build(program, visible_patients(nurse, program))  # the window is not set: still off
        assert asked == []
        program_settings.change(program, "withdrawal.post_dose_window_hours", 8, acting_user=nurse)
        board.build(program, visible_patients(nurse, program))
        board.for_patient(program, patient)
        assert asked == [[patient.pk], [patient.pk]]
    finally:
        board.DOSE_SOURCES.remove(source)
