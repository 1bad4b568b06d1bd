"""`waypoint demo`: synthetic programs, staff, patients and withdrawal histories, safe to run twice."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from waypoint.accounts.models import Membership, Program, User
from waypoint.audit.trail import verify
from waypoint.patients.access import visible_patients
from waypoint.patients.models import Episode, Patient
from waypoint.withdrawal import board
from waypoint.withdrawal.models import Assessment


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_demo_creates_both_programs_staff_and_about_forty_patients(db):
    output = run("demo")
    assert "nurse" in output and "north-nurse" in output and "password" in output
    assert set(Program.objects.values_list("slug", flat=True)) == {"demo", "demo-north"}
    assert Patient.objects.filter(program__slug="demo").count() == 40
    roles = dict(Membership.objects.filter(program__slug="demo").values_list("user__username", "role"))
    assert roles == {
        "nurse": "nurse",
        "prescriber": "prescriber",
        "counselor": "counselor",
        "intake": "intake",
        "director": "director",
        "privacy": "privacy",
        "admin": "admin",
        "riverside-hie": "external_system",
    }  # the FHIR demo's external system
    open_levels = set(
        Episode.objects.filter(discharged_at__isnull=True, program__slug="demo").values_list(
            "stays__level_code", flat=True
        )
    )
    assert {"3.7-WM", "3.5", "2.1", "1", "OTP"} <= open_levels
    assert Episode.objects.filter(discharged_at__isnull=False).exists()
    assert verify().intact


def test_demo_patients_in_withdrawal_management_have_cows_histories_on_the_board(db):
    run("demo")
    demo = Program.objects.get(slug="demo")
    nurse = User.objects.get(username="nurse")
    rows = board.build(demo, visible_patients(nurse, demo))
    assert rows and all(row.latest is not None for row in rows)
    assert Assessment.objects.filter(source="kiosk", instrument="sows-handelsman").exists()


def test_demo_is_idempotent(db):
    run("demo")
    before = (Patient.objects.count(), User.objects.count(), Episode.objects.count())
    assert "already present" in run("demo")
    assert (Patient.objects.count(), User.objects.count(), Episode.objects.count()) == before


def test_demo_refuses_a_database_with_other_programs_unless_forced(program):
    with pytest.raises(CommandError, match="real data"):
        run("demo")
    assert not Program.objects.filter(slug="demo").exists()
    run("demo", "--force")
    assert Program.objects.filter(slug="demo").exists()


def test_demo_if_empty_leaves_an_existing_database_alone(program):
    run("demo", "--if-empty")
    assert not Program.objects.filter(slug="demo").exists()


def test_demo_has_inductions_with_cows_around_doses_methadone_maintenance_and_screens(db):
    from waypoint.drug_screens.models import DrugScreen
    from waypoint.medication.doses import induction_doses
    from waypoint.medication.models import Administration, MedicationOrder

    run("demo")
    inducted = MedicationOrder.objects.filter(program__slug="demo", phase="induction")
    assert inducted.exists()
    rows = induction_doses(inducted.first().patient)
    assert rows and all(row.before is not None and row.before.total >= 8 for row in rows)
    assert Administration.objects.filter(order__medication="methadone", status="missed").exists()
    assert DrugScreen.objects.filter(program__slug="demo").count() >= 3
    assert verify().intact
