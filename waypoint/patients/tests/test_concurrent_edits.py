"""Two clinicians edit the same demographics: the second save, based on the version read before the first, is
refused (409 in the API, a message naming who changed what on the page) and nothing of it is saved."""

import re

import pytest

from conftest import make_user
from waypoint.accounts.roles import Role
from waypoint.patients.models import Patient

pytestmark = pytest.mark.django_db


def test_the_api_refuses_a_change_based_on_a_stale_version_with_409(api, nurse, intake, patient):
    assert api(nurse).get(f"/api/v1/patients/{patient.pk}/").json()["version"] == 1
    first = api(nurse).patch(f"/api/v1/patients/{patient.pk}/", {"phone": "555-0111", "version": 1}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = api(intake).patch(f"/api/v1/patients/{patient.pk}/", {"phone": "555-0199", "version": 1}, format="json")
    assert stale.status_code == 409 and "changed by" in stale.json()["version"][0]
    patient.refresh_from_db()
    assert (patient.phone, patient.version) == ("555-0111", 2)


def test_without_a_version_the_api_still_saves_and_counts_the_version(api, nurse, patient):
    response = api(nurse).patch(f"/api/v1/patients/{patient.pk}/", {"city": "Portland"}, format="json")
    assert response.status_code == 200 and response.json()["version"] == 2


def test_the_page_says_who_changed_which_fields_and_keeps_the_other_edit(page, nurse, program, team, patient):
    colleague = make_user("colleague", program, Role.NURSE, team)
    mine, theirs = page(nurse), page(colleague)
    form = mine.get(f"/patients/{patient.pk}/edit/").content.decode()
    assert re.search(r'name="version" value="1"', form)
    fields = {
        "mrn": patient.mrn,
        "given_name": "Maria",
        "family_name": "Rivera",
        "birth_date": "1988-04-12",
        "sex_at_birth": "female",
        "care_team": team.pk,
    }
    assert theirs.post(f"/patients/{patient.pk}/edit/", fields | {"phone": "555-0111", "version": 1}).status_code == 302
    refused = mine.post(f"/patients/{patient.pk}/edit/", fields | {"phone": "555-0199", "version": 1})
    text = refused.content.decode()
    assert refused.status_code == 409 and "changed by" in text and "phone" in text.split("changed:")[1][:200]
    assert 'name="version" value="2"' in text  # saving again now is a deliberate choice
    assert Patient.objects.get(pk=patient.pk).phone == "555-0111"
