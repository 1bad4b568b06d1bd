"""The access rule: program membership, care team and role decide; anything else is not found."""

from waypoint.accounts.models import Membership
from waypoint.accounts.roles import Role
from waypoint.patients.access import visible_patients


def test_a_nurse_sees_the_patients_of_her_care_team(nurse, patient):
    assert list(visible_patients(nurse)) == [patient]


def test_a_counselor_outside_the_care_team_sees_none_of_its_patients(counselor_off_team, patient):
    assert not visible_patients(counselor_off_team).exists()


def test_a_nurse_of_another_program_sees_none_of_this_programs_patients(north_nurse, patient, north_patient):
    assert list(visible_patients(north_nurse)) == [north_patient]


def test_the_intake_coordinator_sees_every_patient_of_the_program_and_no_other(intake, patient, north_patient):
    assert list(visible_patients(intake)) == [patient]


def test_the_privacy_officer_does_not_browse_charts(privacy_officer, patient):
    assert not visible_patients(privacy_officer).exists()


def test_an_inactive_user_sees_nothing(nurse, patient):
    nurse.is_active = False
    nurse.save()
    assert not visible_patients(nurse).exists()


def test_a_user_without_membership_sees_nothing(django_user_model, patient):
    stranger = django_user_model.objects.create_user("stranger", password="x" * 12)
    assert not visible_patients(stranger).exists()


def test_a_care_team_in_one_program_gives_nothing_in_another(nurse, team, north, north_patient):
    Membership.objects.create(user=nurse, program=north, role=Role.NURSE)
    north_patient.care_team = None
    north_patient.save()
    assert north_patient not in visible_patients(nurse)


def test_the_nurse_gets_404_for_another_programs_patient_in_pages_and_api(page, api, nurse, north_patient):
    assert page(nurse).get(north_patient.get_absolute_url()).status_code == 404
    assert api(nurse).get(f"/api/v1/patients/{north_patient.pk}/").status_code == 404


def test_one_patients_data_never_shows_in_another_programs_list(api, page, north_nurse, patient, north_patient):
    listed = api(north_nurse).get("/api/v1/patients/").json()["results"]
    assert [row["id"] for row in listed] == [north_patient.pk]
    html = page(north_nurse).get("/patients/").content.decode()
    assert patient.mrn not in html and north_patient.mrn in html


def test_a_search_finds_by_name_mrn_and_birth_date(api, nurse, patient):
    client = api(nurse)
    for query in ("rivera", "Maria Rivera", "W-1001", "1988-04-12", "04/12/1988"):
        rows = client.get("/api/v1/patients/", {"q": query}).json()["results"]
        assert [row["id"] for row in rows] == [patient.pk], query
    assert client.get("/api/v1/patients/", {"q": "nobody"}).json()["results"] == []


def test_the_census_counts_everyone_but_names_only_visible_patients(page, counselor_off_team, admitted, patient):
    response = page(counselor_off_team).get("/census/")
    html = response.content.decode()
    assert response.status_code == 200
    assert patient.family_name not in html
    assert "1 not on your care teams" in html


def test_the_census_api_lists_levels_with_counts(api, nurse, admitted, patient):
    data = api(nurse).get("/api/v1/census/").json()
    by_code = {row["level_of_care"]: row for row in data["levels"]}
    assert data["total"] == 1
    assert by_code["3.7-WM"]["count"] == 1 and by_code["3.7-WM"]["patients"][0]["id"] == patient.pk
    assert by_code["3.5"]["count"] == 0 and by_code["3.5"]["capacity"] == 20
