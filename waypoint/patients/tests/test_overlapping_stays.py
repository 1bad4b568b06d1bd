"""Episodes and level-of-care stays of one patient never overlap: admissions, transfers and discharges that would
are refused naming their field (API 400, beside the field on pages); touching (one ends as the next begins) is fine."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from conftest import continuing_care_plan, naloxone_and_education
from waypoint.patients import services
from waypoint.patients.models import Episode, LevelOfCareStay
from waypoint.placements import referrals

DAY = timedelta(days=1)


def episodes_url(patient):
    return f"/api/v1/patients/{patient.pk}/episodes/"


def past_episode(nurse, patient, start_days_ago, end_days_ago, level="3.5"):
    now = timezone.now()
    episode = services.admit(
        acting_user=nurse, patient=patient, admitted_at=now - start_days_ago * DAY, level_code=level
    )
    naloxone_and_education(patient, nurse, now - start_days_ago * DAY + timedelta(hours=1))
    return services.discharge(
        acting_user=nurse,
        episode=episode,
        discharged_at=now - end_days_ago * DAY,
        reason="completed",
        plan=continuing_care_plan(),
    )


def admit_by_api(api, nurse, patient, when, level="3.5"):
    return api(nurse).post(
        episodes_url(patient), {"admitted_at": when.isoformat(), "level_of_care": level}, format="json"
    )


def test_an_admission_inside_an_earlier_episode_is_refused_naming_admitted_at(api, nurse, patient):
    earlier = past_episode(nurse, patient, 20, 10)
    response = admit_by_api(api, nurse, patient, timezone.now() - 15 * DAY)
    assert response.status_code == 400
    message = response.json()["admitted_at"][0]
    assert (
        "overlaps the episode of care from " + timezone.localtime(earlier.admitted_at).strftime("%Y-%m-%d") in message
    )
    assert Episode.objects.count() == 1


def test_an_admission_before_an_earlier_episode_is_refused(api, nurse, patient):
    past_episode(nurse, patient, 20, 10)
    response = admit_by_api(api, nurse, patient, timezone.now() - 25 * DAY)
    assert response.status_code == 400 and list(response.json()) == ["admitted_at"]


def test_an_admission_between_two_earlier_episodes_names_the_later_one(api, nurse, patient):
    past_episode(nurse, patient, 40, 30)
    later = past_episode(nurse, patient, 20, 10)
    response = admit_by_api(api, nurse, patient, timezone.now() - 25 * DAY)
    assert response.status_code == 400
    assert timezone.localtime(later.admitted_at).strftime("%Y-%m-%d %H:%M") in response.json()["admitted_at"][0]


def test_an_admission_as_the_last_episode_ends_is_allowed(api, nurse, patient):
    earlier = past_episode(nurse, patient, 20, 10)
    response = admit_by_api(api, nurse, patient, earlier.discharged_at)
    assert response.status_code == 201, response.json()


def test_a_stay_left_over_from_another_episode_is_an_overlap_too(api, nurse, patient):
    """Defence in depth: a stay that outlasts its (discharged) episode still blocks an admission over it."""
    earlier = past_episode(nurse, patient, 20, 10)
    LevelOfCareStay.objects.filter(episode=earlier).update(ended_at=timezone.now() - 5 * DAY)
    response = admit_by_api(api, nurse, patient, timezone.now() - 8 * DAY)
    assert response.status_code == 400
    assert "overlaps the stay at 3.5" in response.json()["admitted_at"][0]


def test_a_transfer_back_into_an_earlier_stay_is_refused_beside_the_field(page, nurse, patient, admitted):
    services.transfer(
        acting_user=nurse, episode=admitted, at=timezone.now() - 2 * DAY, level_code="3.5", reason="withdrawal complete"
    )
    when = timezone.localtime(timezone.now() - 60 * timedelta(hours=1), patient.program.tz).strftime("%Y-%m-%dT%H:%M")
    response = page(nurse).post(
        reverse("patients:transfer", args=[patient.pk, admitted.pk]),
        {"at": when, "level_of_care": "2.1", "reason": "step-down"},
    )
    body = response.content.decode()
    assert 'id="id_at_error"' in body and "before the current stay began" in body
    assert LevelOfCareStay.objects.filter(episode=admitted).count() == 2


def test_a_discharge_before_the_current_stay_began_is_refused_naming_discharged_at(api, nurse, patient, admitted):
    services.transfer(
        acting_user=nurse, episode=admitted, at=timezone.now() - DAY, level_code="3.5", reason="withdrawal complete"
    )
    response = api(nurse).post(
        f"{episodes_url(patient)}{admitted.pk}/discharge/",
        {
            "discharged_at": (timezone.now() - 2 * DAY).isoformat(),
            "reason": "completed",
            "continuing_care_plan": continuing_care_plan(),
        },
        format="json",
    )
    assert response.status_code == 400 and list(response.json()) == ["discharged_at"]
    admitted.refresh_from_db()
    assert admitted.is_open


def test_the_referral_admission_shows_an_overlap_beside_admitted_at(page, nurse, patient, program):
    past_episode(nurse, patient, 20, 10)
    referral = referrals.create_referral(
        acting_user=nurse,
        program=program,
        name="Maria Rivera",
        contact="555",
        source="self",
        received_at=timezone.now() - 30 * DAY,
        requested_level="3.5",
    )
    when = timezone.localtime(timezone.now() - 15 * DAY, program.tz).strftime("%Y-%m-%dT%H:%M")
    response = page(nurse).post(
        reverse("placements:referral-admit", args=[referral.pk]),
        {"mrn": patient.mrn, "admitted_at": when, "level_code": "3.5"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_admitted_at_error"' in body and "overlaps the episode of care" in body


def test_the_database_refuses_a_stay_that_ends_before_it_starts(nurse, admitted):
    stay = admitted.stays.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        LevelOfCareStay.objects.filter(pk=stay.pk).update(ended_at=stay.started_at - timedelta(minutes=1))
