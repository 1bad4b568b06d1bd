"""The board's "on no care team" count is the length of the work list it links to, by the same rule, in every case:
no team, a team for every level, a team covering the stay's level, a team that does not, a stay ended, another
program's patient."""

from django.utils import timezone

from conftest import make_user, patient_fields
from waypoint.accounts.models import CareTeam
from waypoint.accounts.roles import Role
from waypoint.patients import queries, services
from waypoint.patients.models import Episode, LevelOfCareStay, Patient


def admitted(intake, program, mrn, care_team):
    patient = services.register_patient(
        acting_user=intake, program=program, care_team=care_team, **patient_fields(mrn=mrn)
    )
    services.admit(acting_user=intake, patient=patient, admitted_at=timezone.now(), level_code="3.7-WM")
    return patient


def on_no_team(intake, program, mrn):
    """An admission from before the rule (written directly, as old data would be): a patient on no team at all."""
    patient = services.register_patient(acting_user=intake, program=program, **patient_fields(mrn=mrn))
    Patient.objects.filter(pk=patient.pk).update(care_team=None)
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
    return patient


def counted(program):
    listed = queries.unassigned(program)
    assert queries.unassigned_count(program) == len(listed)
    return sorted(stay.patient.mrn for stay in listed)


def test_the_count_is_the_work_lists_length_by_the_same_rule(intake, program, team, other_team, north):
    admitted(intake, program, "A-1", team)  # a team for every level
    assert counted(program) == []
    CareTeam.objects.filter(pk=other_team.pk).update(levels=["3.7-WM"])
    admitted(intake, program, "A-2", other_team)  # a team covering the stay's level
    assert counted(program) == []
    on_no_team(intake, program, "A-3")
    assert counted(program) == ["A-3"]
    CareTeam.objects.filter(pk=other_team.pk).update(levels=["1", "2-WM"])  # no longer covers 3.7-WM
    assert counted(program) == ["A-2", "A-3"]
    on_no_team(make_user("north-intake", north, Role.INTAKE), north, "N-1")  # another program's: never counted here
    assert counted(program) == ["A-2", "A-3"] and counted(north) == ["N-1"]
    LevelOfCareStay.objects.filter(patient__mrn="A-3").update(ended_at=timezone.now())  # discharged
    assert counted(program) == ["A-2"]
