"""Placement (re)assessment is due at admission, at every change of level of care, and at the program interval."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from waypoint.accounts import program_settings
from waypoint.patients import services as patients
from waypoint.patients.access import visible_patients
from waypoint.placements import services
from waypoint.placements.due import due_for

RATINGS = {f"d{n}": 1 for n in range(1, 7)}


def due(nurse, program, now=None):
    return due_for(program, visible_patients(nurse, program), now)


def test_an_admitted_patient_without_a_placement_is_due_from_admission(nurse, program, admitted):
    [row] = due(nurse, program)
    assert row.due_at == admitted.admitted_at and "no placement since 3.7-WM" in row.why
    assert not row.overdue


def test_a_placement_clears_it_and_a_transfer_makes_it_due_again(nurse, program, admitted, patient):
    services.record_placement(
        acting_user=nurse, patient=patient, ratings=RATINGS, at=timezone.now() - timedelta(hours=5)
    )
    assert due(nurse, program) == []
    patients.transfer(
        acting_user=nurse,
        episode=admitted,
        at=timezone.now() - timedelta(hours=1),
        level_code="3.5",
        reason="step-down",
    )
    [row] = due(nurse, program)
    assert "3.5" in row.why


def test_the_program_interval_and_overdue_days_are_settings(nurse, program, admitted, patient):
    services.record_placement(
        acting_user=nurse, patient=patient, ratings=RATINGS, at=timezone.now() - timedelta(days=2)
    )
    assert due(nurse, program) == []  # no interval set: only transitions
    program_settings.change(program, "placement.reassessment_interval_days", 1, acting_user=nurse)
    [row] = due(nurse, program)
    assert not row.overdue
    program_settings.change(program, "placement.overdue_after_days", 0, acting_user=nurse)
    [row] = due(nurse, program)
    assert row.overdue


def test_the_work_list_and_the_chart_show_what_is_due(page, nurse, program, admitted, patient):
    client = page(nurse)
    assert "Maria Rivera" in client.get(reverse("placements:due")).content.decode()
    chart = client.get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert "placement-due" in chart


def test_the_work_list_shows_only_patients_the_user_may_see(page, counselor_off_team, admitted):
    assert "Maria Rivera" not in page(counselor_off_team).get(reverse("placements:due")).content.decode()
