"""Registering and correcting patients: every rule answers 400 naming the field, and nothing is half-saved."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from waypoint.patients.models import Patient, TimelineEntry
from waypoint.privacy.models import AuditEvent

URL = "/api/v1/patients/"


def body(**overrides):
    data = {
        "mrn": "W-2001",
        "given_name": "James",
        "family_name": "Okoro",
        "birth_date": "1991-07-02",
        "sex_at_birth": "male",
    }
    return data | overrides


def test_a_nurse_registers_a_patient_and_gets_201_with_its_id(api, nurse):
    response = api(nurse).post(URL, body(pronouns="he/him"), format="json")
    assert response.status_code == 201, response.json()
    patient = Patient.objects.get(pk=response.json()["id"])
    assert (patient.mrn, patient.family_name, patient.program.slug) == ("W-2001", "Okoro", "harbor")
    assert patient.care_team.name == "Harbor team"  # joins the registering nurse's team, so she can see it
    assert AuditEvent.objects.filter(action="patient.create", patient_id=patient.pk).count() == 1
    assert TimelineEntry.objects.filter(patient=patient, kind="registered").exists()


@pytest.mark.parametrize("missing", ["given_name", "family_name", "birth_date", "sex_at_birth"])
def test_it_names_each_missing_required_field(api, nurse, missing):
    data = body()
    del data[missing]
    response = api(nurse).post(URL, data, format="json")
    assert response.status_code == 400
    assert missing in response.json()
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birth_date", "12/31/1990x"),
        ("birth_date", "1990-02-30"),
        ("sex_at_birth", "x"),
        ("mrn", "M" * 33),
        ("care_team", 99999),
        ("given_name", None),
    ],
)
def test_it_names_a_malformed_field(api, nurse, field, value):
    response = api(nurse).post(URL, body(**{field: value}), format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Patient.objects.exists()


@pytest.mark.parametrize("mrn", [None, ""])
def test_without_an_mrn_one_is_generated_in_the_programs_format(api, nurse, mrn):
    data = body() if mrn is None else body(mrn=mrn)
    if mrn is None:
        del data["mrn"]
    response = api(nurse).post(URL, data, format="json")
    assert response.status_code == 201, response.json()
    assert Patient.objects.get().mrn == "W-000001"


def test_it_refuses_an_unknown_field_by_name(api, nurse):
    response = api(nurse).post(URL, body(favourite_colour="blue"), format="json")
    assert response.status_code == 400
    assert response.json() == {"favourite_colour": ["Unknown field."]}


def test_it_refuses_a_birth_date_in_the_future(api, nurse):
    tomorrow = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = api(nurse).post(URL, body(birth_date=tomorrow), format="json")
    assert response.status_code == 400
    assert "birth_date" in response.json()


def test_it_refuses_a_duplicate_mrn_in_the_same_program(api, nurse, patient):
    response = api(nurse).post(URL, body(mrn=patient.mrn), format="json")
    assert response.status_code == 400
    assert response.json()["mrn"] == [f"MRN {patient.mrn} is already in use in this program."]
    assert Patient.objects.count() == 1


def test_the_same_mrn_is_fine_in_another_program(api, north_nurse, patient):
    response = api(north_nurse).post(URL, body(mrn=patient.mrn), format="json")
    assert response.status_code == 201


def test_it_refuses_a_care_team_of_another_program(api, north_nurse, team):
    response = api(north_nurse).post(URL, body(care_team=team.pk), format="json")
    assert response.status_code == 400
    assert "care_team" in response.json()


def test_a_body_that_is_not_json_is_refused(api, nurse):
    response = api(nurse).post(URL, "mrn=1", content_type="text/plain")
    assert response.status_code == 415


def test_a_correction_is_audited_with_the_changed_field_names_only(api, nurse, patient):
    response = api(nurse).patch(f"{URL}{patient.pk}/", {"phone": "555-0199", "pronouns": "they/them"}, format="json")
    assert response.status_code == 200, response.json()
    event = AuditEvent.objects.get(action="patient.update")
    assert event.detail == {"fields": ["phone", "pronouns"]}
    assert "555-0199" not in str(event.detail)


def test_a_correction_to_a_duplicate_mrn_changes_nothing(api, nurse, patient, program):
    from waypoint.patients import services

    other = services.register_patient(
        acting_user=nurse,
        program=program,
        mrn="W-9",
        given_name="A",
        family_name="B",
        birth_date=date(1990, 1, 1),
        sex_at_birth="male",
    )
    response = api(nurse).patch(f"{URL}{other.pk}/", {"mrn": patient.mrn, "phone": "1"}, format="json")
    assert response.status_code == 400
    assert "mrn" in response.json()
    other.refresh_from_db()
    assert (other.mrn, other.phone) == ("W-9", "")


def test_a_patient_cannot_be_deleted(api, nurse, patient):
    assert api(nurse).delete(f"{URL}{patient.pk}/").status_code == 405
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_the_register_page_shows_the_error_next_to_the_field(page, nurse, patient):
    response = page(nurse).post(
        reverse("patients:register"),
        {
            "mrn": patient.mrn,
            "given_name": "A",
            "family_name": "B",
            "birth_date": "1990-01-01",
            "sex_at_birth": "male",
        },
    )
    assert response.status_code == 200
    assert b'id="id_mrn_error"' in response.content
    assert b"already in use in this program" in response.content


def test_the_register_page_refuses_a_future_birth_date_next_to_the_field(page, nurse):
    future = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = page(nurse).post(
        reverse("patients:register"),
        {
            "mrn": "W-5",
            "given_name": "A",
            "family_name": "B",
            "birth_date": future,
            "sex_at_birth": "male",
        },
    )
    assert response.status_code == 200
    assert b'id="id_birth_date_error"' in response.content
    assert not Patient.objects.exists()


def test_the_register_page_saves_and_opens_the_chart(page, nurse):
    response = page(nurse).post(
        reverse("patients:register"),
        {
            "mrn": "W-5",
            "given_name": "Aisha",
            "family_name": "Nguyen",
            "birth_date": "1990-01-01",
            "sex_at_birth": "female",
            "preferred_language": "English",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert b"Aisha Nguyen" in response.content
    assert response.redirect_chain[-1][0] == Patient.objects.get(mrn="W-5").get_absolute_url()
