"""A full level of care refuses admissions and transfers unless a director or administrator overrides with a reason."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conftest import continuing_care_plan, make_user, naloxone_and_education, patient_fields
from waypoint.accounts.models import ProgramLevel
from waypoint.accounts.roles import Role
from waypoint.patients import services
from waypoint.privacy.models import AuditEvent


@pytest.fixture
def director(program, team):
    return make_user("director", program, Role.DIRECTOR, team)


@pytest.fixture
def full_residential(program, team, nurse):
    """3.5 with one bed, taken by another patient."""
    ProgramLevel.objects.filter(program=program, code="3.5").update(capacity=1)
    other = services.register_patient(
        acting_user=nurse, program=program, care_team=team, **patient_fields(mrn="W-2", given_name="Ana")
    )
    services.admit(acting_user=nurse, patient=other, admitted_at=timezone.now() - timedelta(days=5), level_code="3.5")
    naloxone_and_education(other, nurse, timezone.now() - timedelta(days=4))  # required before a step-down
    return other


def test_an_admission_into_a_full_level_is_refused(nurse, patient, full_residential):
    with pytest.raises(ValidationError) as caught:
        services.admit(acting_user=nurse, patient=patient, admitted_at=timezone.now(), level_code="3.5")
    assert "full (1 of 1 in use)" in caught.value.message_dict["level_of_care"][0]
    assert not patient.episodes.exists()


def test_a_transfer_into_a_full_level_is_refused(nurse, admitted, full_residential):
    with pytest.raises(ValidationError) as caught:
        services.transfer(acting_user=nurse, episode=admitted, at=timezone.now(), level_code="3.5", reason="stable")
    assert "level_of_care" in caught.value.message_dict
    assert admitted.stays.count() == 1


def test_a_nurse_may_not_override_capacity(nurse, admitted, full_residential):
    with pytest.raises(ValidationError) as caught:
        services.transfer(
            acting_user=nurse,
            episode=admitted,
            at=timezone.now(),
            level_code="3.5",
            reason="stable",
            capacity_override_reason="bed opens tonight",
        )
    assert "capacity_override_reason" in caught.value.message_dict


def test_a_director_overrides_with_a_reason_and_the_audit_trail_keeps_it(director, admitted, full_residential):
    stay = services.transfer(
        acting_user=director,
        episode=admitted,
        at=timezone.now(),
        level_code="3.5",
        reason="stable",
        capacity_override_reason="bed opens tonight",
    )
    assert stay.level_code == "3.5"
    event = AuditEvent.objects.filter(action="episode.transfer").latest("id")
    assert event.detail["capacity_override"] == "bed opens tonight"


def test_a_bed_freed_by_a_step_down_can_be_taken(nurse, patient, full_residential):
    episode = full_residential.episodes.get()
    services.transfer(
        acting_user=nurse, episode=episode, at=timezone.now() - timedelta(hours=2), level_code="2.1", reason="step-down"
    )
    episode = services.admit(
        acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(hours=1), level_code="3.5"
    )
    assert episode.stays.get().level_code == "3.5"


def test_the_api_refuses_a_transfer_into_a_full_level_naming_the_level(api, nurse, admitted, full_residential):
    response = api(nurse).post(
        f"/api/v1/patients/{admitted.patient_id}/episodes/{admitted.pk}/transfer/",
        {"at": timezone.now().isoformat(), "level_of_care": "3.5", "reason": "stable"},
        format="json",
    )
    assert response.status_code == 400 and "level_of_care" in response.json()


def test_a_backdated_admission_is_refused_when_the_level_filled_up_after_that_time(nurse, patient, program, team):
    """The bed was free five days ago, but another patient took it two days ago: a stay backdated to five days ago
    would still be open today, two patients in one bed."""
    ProgramLevel.objects.filter(program=program, code="3.5").update(capacity=1)
    other = services.register_patient(
        acting_user=nurse, program=program, care_team=team, **patient_fields(mrn="W-3", given_name="Ana")
    )
    services.admit(acting_user=nurse, patient=other, admitted_at=timezone.now() - timedelta(days=2), level_code="3.5")
    with pytest.raises(ValidationError) as caught:
        services.admit(
            acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(days=5), level_code="3.5"
        )
    message = caught.value.message_dict["level_of_care"][0]
    assert message.startswith("3.5 is full on ") and "(1 of 1 in use)" in message
    assert not patient.episodes.exists()


def test_a_backdated_admission_into_a_bed_freed_since_is_allowed(nurse, patient, program, team):
    ProgramLevel.objects.filter(program=program, code="3.5").update(capacity=1)
    other = services.register_patient(
        acting_user=nurse, program=program, care_team=team, **patient_fields(mrn="W-3", given_name="Ana")
    )
    episode = services.admit(
        acting_user=nurse, patient=other, admitted_at=timezone.now() - timedelta(days=9), level_code="3.5"
    )
    naloxone_and_education(other, nurse, timezone.now() - timedelta(days=8))
    services.discharge(
        acting_user=nurse,
        episode=episode,
        discharged_at=timezone.now() - timedelta(days=6),
        reason="completed",
        plan=continuing_care_plan(),
    )
    services.admit(acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(days=5), level_code="3.5")
    assert patient.episodes.count() == 1
