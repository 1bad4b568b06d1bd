"""What the API and the pages accept stays within what the records can hold and what they mean.

Input serializers carry the model's length limits; MRNs and names are one line of text (no newline, no control
character, no invisible direction override); birth dates run from 1900-01-01 to today.
"""

import importlib
import inspect
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import timezone
from rest_framework import serializers

import waypoint
from conftest import patient_fields
from waypoint.patients.models import Patient
from waypoint.placements.models import Referral
from waypoint.web.api import StrictSerializer

# Every app that takes input over the API (a new app's serializers are checked without being named here).
APPS = sorted(path.parent.name for path in Path(waypoint.__file__).parent.glob("*/api.py") if path.parent.name != "web")


def text_limits(app: str) -> dict[str, int]:
    """The smallest max_length of each free-text model field name in the app (coded choices excluded)."""
    limits: dict[str, int] = {}
    for model in apps.get_app_config(app).get_models():
        for field in model._meta.get_fields():
            if getattr(field, "max_length", None) and not getattr(field, "choices", None):
                limits[field.name] = min(limits.get(field.name, field.max_length), field.max_length)
    return limits


def input_text_fields():
    for app in APPS:
        module = importlib.import_module(f"waypoint.{app}.api")
        limits = text_limits(app)
        for name, serializer in inspect.getmembers(module, inspect.isclass):
            if not issubclass(serializer, StrictSerializer) or serializer.__module__ != module.__name__:
                continue
            for field_name, field in serializer().fields.items():
                if isinstance(field, serializers.CharField) and not field.read_only and field_name in limits:
                    yield f"{app}.{name}.{field_name}", field.max_length, limits[field_name]


def test_every_input_text_field_carries_its_models_length_limit():
    fields = list(input_text_fields())
    assert len(fields) >= 19 and {"aftercare", "comfort", "dispensing", "patients"} <= set(APPS)
    too_long = [(name, accepted, limit) for name, accepted, limit in fields if accepted is None or accepted > limit]
    assert too_long == []


def referral(**changes):
    return {
        "name": "Ana",
        "contact": "555",
        "source": "self",
        "received_at": timezone.now().isoformat(),
        "requested_level": "1",
    } | changes


def test_a_referral_name_longer_than_the_record_holds_is_refused_and_nothing_is_saved(api, nurse, program):
    response = api(nurse).post("/api/v1/referrals/", referral(name="A" * 100_000), format="json")
    assert response.status_code == 400 and list(response.json()) == ["name"]
    assert not Referral.objects.exists()


def as_api(fields: dict) -> dict:
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in fields.items()}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mrn", "W-1\n2"),
        ("mrn", "W-1\r2"),
        ("given_name", "Maria\x1b[31m"),
        ("family_name", "Rivera\u202etxt.exe"),
        ("preferred_name", "Mia\x00"),
        ("emergency_contact_name", "Jo\u2028Smith"),
    ],
)
def test_an_mrn_or_name_with_a_line_break_or_control_character_is_refused_by_the_api(api, nurse, field, value):
    response = api(nurse).post("/api/v1/patients/", as_api(patient_fields(**{field: value})), format="json")
    assert response.status_code == 400 and list(response.json()) == [field]
    assert not Patient.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("mrn", "W-1\n2"), ("family_name", "Rivera\x07")])
def test_an_mrn_or_name_with_a_control_character_is_refused_on_the_page(page, nurse, field, value):
    form = patient_fields(**{field: value}) | {"preferred_language": "English"}
    response = page(nurse).post("/patients/new/", form)
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Patient.objects.exists()


def test_a_newline_cannot_be_patched_into_an_mrn(api, nurse, patient):
    response = api(nurse).patch(f"/api/v1/patients/{patient.pk}/", {"mrn": "W-1\nX"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["mrn"]
    patient.refresh_from_db()
    assert patient.mrn == "W-1001"


def test_names_in_any_script_with_accents_apostrophes_and_hyphens_are_accepted(api, nurse):
    fields = patient_fields(given_name="José-María", family_name="O'Connor Nguyễn 王", mrn="W-2001/B")
    response = api(nurse).post("/api/v1/patients/", as_api(fields), format="json")
    assert response.status_code == 201, response.json()


def test_a_birth_date_before_1900_is_refused_on_the_api_and_1900_is_accepted(api, nurse):
    client = api(nurse)
    refused = client.post("/api/v1/patients/", as_api(patient_fields(birth_date=date(1899, 12, 31))), format="json")
    assert refused.status_code == 400 and "1900" in refused.json()["birth_date"][0]
    accepted = client.post("/api/v1/patients/", as_api(patient_fields(birth_date=date(1900, 1, 1))), format="json")
    assert accepted.status_code == 201


def test_a_birth_date_before_1900_is_refused_on_the_page(page, nurse):
    form = patient_fields(birth_date="1088-04-12") | {"preferred_language": "English"}
    response = page(nurse).post("/patients/new/", form)
    assert 'id="id_birth_date_error"' in response.content.decode() and "1900" in response.content.decode()
    assert not Patient.objects.exists()
