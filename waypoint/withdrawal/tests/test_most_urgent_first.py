"""'Most urgent first' on the withdrawal board weighs severity, the alerts and lateness together (board.URGENCY_RULE),
and overdue rows are graded by how late they are, not all the same red."""

from datetime import timedelta

from django.utils import timezone

from waypoint.accounts import program_settings
from waypoint.patients.access import visible_patients
from waypoint.withdrawal import board
from waypoint.withdrawal.models import Assessment

from .conftest import COWS_MILD, cows
from .test_the_board import admit_many

COWS_MODERATE = cows(gooseflesh=5, anxiety_irritability=4)  # 9 + 5 + 4 = 18: moderate
HOUR = timedelta(hours=1)


def only(assessment):
    """Leave `assessment` the patient's only COWS in force (admit_many scores everyone twice)."""
    Assessment.objects.filter(patient=assessment.patient).exclude(pk=assessment.pk).update(
        record_status="entered_in_error"
    )


def test_a_moderate_induction_eligible_patient_comes_before_a_mild_one_just_overdue(program, team, nurse, record):
    program_settings.change(program, "withdrawal.induction_threshold_cows", 13, acting_user=nurse)
    moderate, late_mild = admit_many(program, team, nurse, 2, record)
    only(record(moderate, COWS_MODERATE, hours_ago=0.5))
    only(record(late_mild, COWS_MILD, hours_ago=4.2))  # the 4 h interval: overdue by 12 minutes
    rows = board.build(program, visible_patients(nurse, program))
    assert [row.patient.pk for row in rows] == [moderate.pk, late_mild.pk]
    assert (rows[0].urgency, rows[1].urgency) == (2 + 1, 1 + 1)  # moderate + induction; mild + just overdue


def test_a_missed_assessment_outranks_a_moderate_score_taken_just_now(program, team, nurse, record):
    moderate, missed = admit_many(program, team, nurse, 2, record)
    only(record(moderate, COWS_MODERATE, hours_ago=0.1))
    only(record(missed, COWS_MILD, hours_ago=9))  # due 5 h ago: more than one whole interval late
    rows = board.build(program, visible_patients(nurse, program))
    assert [row.patient.pk for row in rows] == [missed.pk, moderate.pk]
    assert rows[0].lateness == 3 and rows[1].lateness == 0


def test_lateness_is_graded_against_the_programs_interval():
    due, interval = timezone.now(), timedelta(hours=4)
    assert board.lateness(due, due - HOUR, interval) == 0
    assert board.lateness(due, due + timedelta(minutes=30), interval) == 1
    assert board.lateness(due, due + 2 * HOUR, interval) == 2
    assert board.lateness(due, due + 5 * HOUR, interval) == 3


def test_overdue_rows_are_graded_and_the_rule_is_on_the_page_in_words(page, program, team, nurse, record):
    just_late, missed = admit_many(program, team, nurse, 2, record)
    only(record(just_late, COWS_MILD, hours_ago=4.2))
    only(record(missed, COWS_MILD, hours_ago=9))
    html = page(nurse).get("/withdrawal/board/").content.decode()
    assert 'class="overdue late-3"' in html and 'class="overdue late-1"' in html
    assert "an assessment missed" in html and "just overdue" in html
    assert "How “most urgent first” is decided" in html and board.URGENCY_RULE in html.replace("&#x27;", "'")
    assert "withdrawal.induction_threshold_cows" not in board.URGENCY_RULE
