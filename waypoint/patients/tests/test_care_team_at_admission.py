"""A patient admitted to a level of care is always on a care team that covers that level, so the staff who must
care for them see them: enforced at admission and at transfer; the charge nurse's "no care team" work list
catches anyone who slipped through."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import make_user, patient_fields
from waypoint.accounts.models import CareTeam
from waypoint.accounts.roles import Role
from waypoint.patients import services
from waypoint.patients.access import visible_patients
from waypoint.patients.models import Episode, Patient
from waypoint.privacy.models import AuditEvent
from waypoint.withdrawal import board


def register(intake, program, **overrides):
    return services.register_patient(acting_user=intake, program=program, **patient_fields(mrn="W-77", **overrides))


def test_an_intake_registration_with_the_default_team_lands_on_the_programs_only_team(intake, nurse, team, program):
    patient = register(intake, program)
    assert patient.care_team == team
    services.admit(acting_user=intake, patient=patient, admitted_at=timezone.now(), level_code="3.7-WM")
    assert visible_patients(nurse).filter(pk=patient.pk).exists()
    assert [row.patient.pk for row in board.build(program, visible_patients(nurse))] == [patient.pk]


def test_admitting_a_patient_on_no_team_when_several_could_take_them_is_refused_naming_care_team(
    intake, nurse, team, other_team, program
):
    patient = register(intake, program)
    assert patient.care_team is None
    with pytest.raises(ValidationError) as excinfo:
        services.admit(acting_user=intake, patient=patient, admitted_at=timezone.now(), level_code="3.7-WM")
    message = excinfo.value.message_dict["care_team"][0]
    assert "Maria Rivera is on no care team" in message and "Bridge team, Harbor team" in message
    assert not Episode.objects.exists()
    services.admit(acting_user=intake, patient=patient, admitted_at=timezone.now(), level_code="3.7-WM", care_team=team)
    assert Patient.objects.get(pk=patient.pk).care_team == team
    assert AuditEvent.objects.filter(action="patient.update", patient_id=patient.pk).exists()


def test_a_team_that_does_not_cover_the_level_is_refused_at_admission(intake, team, other_team, program):
    team.levels = ["2.1", "1"]
    team.save()
    patient = register(intake, program, care_team=team)
    with pytest.raises(ValidationError) as excinfo:
        services.admit(acting_user=intake, patient=patient, admitted_at=timezone.now(), level_code="3.7-WM")
    assert "does not look after patients at 3.7-WM" in excinfo.value.message_dict["care_team"][0]
    assert "Bridge team" in excinfo.value.message_dict["care_team"][0]


def test_a_transfer_moves_the_patient_to_a_team_covering_the_new_level(intake, nurse, team, other_team, program):
    from conftest import naloxone_and_education

    team.levels, other_team.levels = ["3.7-WM"], ["3.5", "2.1"]
    team.save()
    other_team.save()
    patient = register(intake, program, care_team=team)
    episode = services.admit(
        acting_user=intake, patient=patient, admitted_at=timezone.now() - timedelta(days=2), level_code="3.7-WM"
    )
    naloxone_and_education(patient, nurse, episode.admitted_at + timedelta(hours=1))
    with pytest.raises(ValidationError) as excinfo:
        services.transfer(acting_user=intake, episode=episode, at=timezone.now(), level_code="3.5", reason="step-down")
    assert "does not look after patients at 3.5" in excinfo.value.message_dict["care_team"][0]
    services.transfer(
        acting_user=intake,
        episode=episode,
        at=timezone.now(),
        level_code="3.5",
        reason="step-down",
        care_team=other_team,
    )
    assert Patient.objects.get(pk=patient.pk).care_team == other_team


def test_the_registration_form_says_what_the_default_team_is(page, intake, nurse, team, other_team):
    assert "— none yet: chosen at admission —" in page(intake).get("/patients/new/").content.decode()
    assert "— my care team (Harbor team) —" in page(nurse).get("/patients/new/").content.decode()


def test_the_admit_page_refuses_a_patient_on_no_team_next_to_the_care_team_field(page, intake, team, other_team):
    patient = register(intake, team.program)
    response = page(intake).post(
        f"/patients/{patient.pk}/admit/",
        {
            "admitted_at": timezone.localtime(timezone.now(), team.program.tz).strftime("%Y-%m-%dT%H:%M"),
            "level_of_care": "3.7-WM",
        },
    )
    assert response.status_code == 200
    assert "is on no care team" in response.context["form"].errors["care_team"][0]


def test_the_unassigned_work_list_shows_an_admitted_patient_no_team_covers(page, intake, nurse, team, program):
    patient = register(intake, program)
    services.admit(acting_user=intake, patient=patient, admitted_at=timezone.now(), level_code="3.7-WM")
    assert "Every admitted patient is on a care team" in page(nurse).get("/patients/unassigned/").content.decode()
    CareTeam.objects.filter(pk=team.pk).update(levels=["1"])  # the team's levels changed after the admission
    html = page(nurse).get("/patients/unassigned/").content.decode()
    assert "Maria Rivera" in html and "W-77" in html and "Harbor team does not cover 3.7-WM" in html
    assert AuditEvent.objects.filter(action="program.unassigned.read", actor=nurse).exists()


def test_the_board_raises_the_alarm_while_an_admitted_patient_is_on_no_covering_team(
    page, intake, nurse, team, program
):
    patient = register(intake, program)
    services.admit(acting_user=intake, patient=patient, admitted_at=timezone.now(), level_code="3.7-WM")
    assert "on no care team" not in page(nurse).get("/withdrawal/board/").content.decode()
    CareTeam.objects.filter(pk=team.pk).update(levels=["1"])  # the team's levels changed after the admission
    html = page(nurse).get("/withdrawal/board/").content.decode()
    assert "1 admitted patient on no care team covering their level" in html
    assert 'href="/patients/unassigned/"' in html  # a count here, the names on the work list it links to
    assert 'href="/patients/unassigned/"' in page(nurse).get(reverse("patients:census")).content.decode()


def test_the_unassigned_work_list_shows_no_other_programs_patient(page, north_nurse, intake, program):
    from waypoint.patients.models import LevelOfCareStay

    patient = register(intake, program)
    Patient.objects.filter(pk=patient.pk).update(care_team=None)
    # an admission from before the rule: written directly, as old data would be
    episode = Episode.objects.create(program=program, patient=patient, admitted_at=timezone.now(), admitted_by=intake)
    LevelOfCareStay.objects.create(
        program=program,
        patient=patient,
        episode=episode,
        level_code="3.7-WM",
        asam_edition=program.asam_edition,
        started_at=timezone.now(),
        recorded_by=intake,
    )
    north_intake = make_user("north-intake", north_nurse.memberships.first().program, Role.INTAKE)
    assert "W-77" not in page(north_intake).get("/patients/unassigned/").content.decode()
    assert "W-77" in page(intake).get("/patients/unassigned/").content.decode()


def test_an_admitted_patient_cannot_be_taken_off_every_team(intake, nurse, admitted):
    patient = admitted.patient
    with pytest.raises(ValidationError) as excinfo:
        services.update_patient(acting_user=intake, patient=patient, care_team=None)
    assert "is admitted at 3.7-WM: choose the team" in excinfo.value.message_dict["care_team"][0]
    assert Patient.objects.get(pk=patient.pk).care_team_id is not None
