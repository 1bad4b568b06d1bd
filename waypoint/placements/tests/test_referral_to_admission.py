"""Admission from a referral carries everything over: no separate registration, no hand-typed MRN (generated in
the program's format, a program setting), and the referral's risk flags reach the overdose-risk picture."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from waypoint.accounts import program_settings
from waypoint.patients.models import Patient
from waypoint.placements import referrals
from waypoint.placements.models import Referral
from waypoint.screening.services import risk_picture


def refer(user, program, **kwargs):
    fields = {
        "name": "Sam Lee",
        "contact": "555-0199",
        "source": "hospital",
        "received_at": timezone.now() - timedelta(days=2),
        "requested_level": "3.7-WM",
        "priority_flags": ["injects", "recent_overdose"],
    } | kwargs
    return referrals.create_referral(acting_user=user, program=program, **fields)


def test_admitting_a_referral_registers_the_person_with_a_generated_mrn(nurse, team, program):
    referral = refer(nurse, program)
    admitted = referrals.admit_referral(
        acting_user=nurse,
        referral=referral,
        admitted_at=timezone.now() - timedelta(hours=1),
        birth_date=date(1991, 5, 2),
        sex_at_birth="male",
    )
    patient = admitted.patient
    assert (patient.given_name, patient.family_name, patient.phone) == ("Sam", "Lee", "555-0199")
    assert patient.mrn == "W-000001" and patient.care_team == team
    assert admitted.episode.stays.get().level_code == "3.7-WM"


def test_the_mrn_format_is_a_program_setting(nurse, team, program):
    program_settings.change(program, "patients.mrn_format", "HR-{number:04d}", acting_user=nurse)
    referral = refer(nurse, program)
    admitted = referrals.admit_referral(
        acting_user=nurse,
        referral=referral,
        admitted_at=timezone.now(),
        birth_date=date(1991, 5, 2),
        sex_at_birth="male",
    )
    assert admitted.patient.mrn == "HR-0001"
    with pytest.raises(ValidationError):
        program_settings.change(program, "patients.mrn_format", "no number here", acting_user=nurse)


def test_what_the_referral_lacks_is_asked_and_nothing_is_half_saved(nurse, team, program):
    referral = refer(nurse, program)
    with pytest.raises(ValidationError) as excinfo:
        referrals.admit_referral(acting_user=nurse, referral=referral, admitted_at=timezone.now())
    assert set(excinfo.value.message_dict) == {"birth_date", "sex_at_birth"}
    assert not Patient.objects.exists() and Referral.objects.get().status == "screening"


def test_the_referrals_flags_reach_the_overdose_risk_picture(nurse, team, program):
    referral = refer(nurse, program)
    patient = referrals.admit_referral(
        acting_user=nurse,
        referral=referral,
        admitted_at=timezone.now(),
        birth_date=date(1991, 5, 2),
        sex_at_birth="male",
    ).patient
    picture = risk_picture(patient)
    sources = {p.factor.key: p.sources for p in picture.factors}
    assert sources["injection"] == ("referral: injects drugs",)
    assert sources["prior_overdose"] == ("referral: recent overdose survivor",)
    assert picture.level_label == "Elevated"


def test_the_admit_page_takes_a_referral_to_a_chart_in_one_step(page, nurse, team, program):
    referral = refer(nurse, program)
    response = page(nurse).post(
        reverse("placements:referral-admit", args=[referral.pk]),
        {
            "admitted_at": timezone.localtime(timezone.now(), program.tz).strftime("%Y-%m-%dT%H:%M"),
            "birth_date": "1991-05-02",
            "sex_at_birth": "male",
        },
    )
    patient = Patient.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("patients:chart", args=[patient.pk])
    html = page(nurse).get(f"/patients/{patient.pk}/overdose-risk/").content.decode()
    assert "referral: injects drugs" in html and "No risk factor recorded." not in html


def test_the_overdose_risk_page_explains_each_level_and_that_the_rule_is_the_programs(page, nurse, patient):
    html = page(nurse).get(f"/patients/{patient.pk}/overdose-risk/").content.decode()
    assert "gives <strong>no rule for levels</strong>" in html and "this program's own setting" in html
    assert "<dt>High</dt>" in html and "<dt>Elevated</dt>" in html and "<dt>No risk factor recorded</dt>" in html
    assert "high-risk factors: <strong>Reduced tolerance</strong>" in html
    assert "<strong>none_recorded</strong>" not in html and ": loss_of_tolerance" not in html  # codes, not words


def test_the_api_admits_a_referral_without_a_registered_patient(api, nurse, team, program):
    referral = refer(nurse, program)
    response = api(nurse).post(
        f"/api/v1/referrals/{referral.pk}/admit/",
        {"admitted_at": timezone.now().isoformat(), "birth_date": "1991-05-02", "sex_at_birth": "male"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert Patient.objects.get().mrn == "W-000001"
