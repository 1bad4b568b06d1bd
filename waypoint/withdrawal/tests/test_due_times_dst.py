"""Daylight-saving transitions do not move the board's due times: the interval is elapsed time (stored in UTC),
and the board shows it on the program's local clock. America/New_York, 2026: clocks spring forward at 02:00 on
8 March (an hour that never happens) and fall back at 02:00 on 1 November (an hour that happens twice)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from conftest import naloxone_and_education
from waypoint.accounts.models import Program
from waypoint.patients import services as patients
from waypoint.patients.access import visible_patients
from waypoint.withdrawal import board, board_html
from waypoint.withdrawal import services as withdrawal

from .conftest import COWS_MILD

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("last_local", "shown", "clock_hours"),
    [
        (datetime(2026, 3, 8, 0, 30, tzinfo=NY), "Mar 8 05:30", 5),  # spring forward: 4 h later reads 5 h later
        (datetime(2026, 11, 1, 0, 30, tzinfo=NY), "Nov 1 03:30", 3),  # fall back: 4 h later reads 3 h later
        (datetime(2026, 11, 1, 1, 30, fold=0, tzinfo=NY), "Nov 1 04:30", 3),  # the first 01:30 of the repeated hour
        (datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY), "Nov 1 05:30", 4),  # the second 01:30
    ],
)
def test_the_next_cows_is_due_four_elapsed_hours_later_across_a_transition(
    program, team, nurse, patient, last_local, shown, clock_hours
):
    Program.objects.filter(pk=program.pk).update(time_zone="America/New_York")
    program.refresh_from_db()
    admitted_at = last_local - timedelta(days=1)
    patients.admit(acting_user=nurse, patient=patient, admitted_at=admitted_at, level_code="3.7-WM")
    naloxone_and_education(patient, nurse, admitted_at + H)
    latest = withdrawal.record_assessment(
        acting_user=nurse,
        patient=patient,
        instrument="cows",
        responses=COWS_MILD,
        taken_at=last_local,
        late_entry_reason="entered from the paper flowsheet",
    )
    taken = latest.taken_at.astimezone(UTC)  # arithmetic in UTC: an aware local time + 4 h adds wall-clock hours
    [row] = board.build(program, visible_patients(nurse, program), now=taken + 3 * H)
    assert row.next_due - taken == 4 * H and not row.overdue
    assert row.next_due.astimezone(NY).hour - last_local.hour == clock_hours
    with timezone.override(NY):
        assert shown in board_html.rows_html([row])
    [late] = board.build(program, visible_patients(nurse, program), now=taken + 4 * H + timedelta(minutes=1))
    assert late.overdue
