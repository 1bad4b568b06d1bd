"""Screening services: history validation, screen -> follow-ups, follow-up lifecycle, naloxone at
transitions (the discharge refusal), derived loss of tolerance, events on the timeline, access."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from conftest import continuing_care_plan
from waypoint.patients import services as patients
from waypoint.screening import services
from waypoint.screening.models import FollowUp
from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS


def absent(**present):
    answers = dict.fromkeys(HEROIN_COMPLICATIONS.keys, "absent")
    answers.update(present)
    return answers


def ago(**kw):
    return timezone.now() - timedelta(**kw)


def test_it_refuses_a_last_use_in_the_future_and_a_route_that_does_not_apply(patient, nurse):
    with pytest.raises(ValidationError) as caught:
        services.record_history(
            acting_user=nurse,
            patient=patient,
            uses=[
                {"substance": "heroin", "routes": ["injection"], "last_use": timezone.now() + timedelta(days=1)},
                {"substance": "alcohol", "routes": ["injection"]},
            ],
        )
    assert set(caught.value.message_dict) == {"uses.0.last_use", "uses.1.routes"}
    assert "does not apply to alcohol" in caught.value.message_dict["uses.1.routes"][0]


def test_it_refuses_contradictions(patient, nurse):
    with pytest.raises(ValidationError) as caught:
        services.record_history(
            acting_user=nurse,
            patient=patient,
            uses=[{"substance": "heroin", "routes": ["smoking"]}],
            prior_overdoses=0,
            naloxone_used=True,
            shared_equipment=True,
        )
    assert set(caught.value.message_dict) == {"naloxone_used", "shared_equipment"}


def test_the_most_recent_overdose_is_checked_against_the_programs_day_not_the_servers(patient, nurse):
    """At 9 pm in New York the server's UTC date is already tomorrow; an API call (no time zone active) must still
    refuse an overdose dated tomorrow in the program's day, and take one dated today."""
    evening = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)  # 21:00 on 7 December in New York
    with time_machine.travel(evening, tick=False):
        today = patient.program.today()
        assert today == date(2026, 12, 7) and timezone.localdate() == date(2026, 12, 8)
        with pytest.raises(ValidationError) as caught:
            services.record_history(
                acting_user=nurse,
                patient=patient,
                uses=[{"substance": "heroin"}],
                prior_overdoses=1,
                most_recent_overdose=today + timedelta(days=1),
            )
        assert caught.value.message_dict == {"most_recent_overdose": ["This date is in the future."]}
        kept = services.record_history(
            acting_user=nurse,
            patient=patient,
            uses=[{"substance": "heroin"}],
            prior_overdoses=1,
            most_recent_overdose=today,
        )
        assert kept.most_recent_overdose == today


def test_a_history_update_is_a_new_version(patient, nurse):
    first = services.record_history(acting_user=nurse, patient=patient, uses=[{"substance": "heroin"}])
    second = services.record_history(acting_user=nurse, patient=patient, uses=[{"substance": "fentanyl"}])
    assert (first.version, second.version) == (1, 2)
    assert services.current_history(patient).pk == second.pk


def test_a_screen_opens_the_follow_ups_of_the_table_once(patient, nurse):
    services.record_history(acting_user=nurse, patient=patient, uses=[{"substance": "heroin", "routes": ["injection"]}])
    services.record_screen(
        acting_user=nurse, patient=patient, taken_at=ago(minutes=5), answers=absent(liver_disease="present")
    )
    codes = list(FollowUp.objects.filter(patient=patient).values_list("code", flat=True))
    assert sorted(codes) == sorted(["hiv_test", "hepatitis_b_test", "hepatitis_c_test", "wound_check", "liver_panel"])
    services.record_screen(
        acting_user=nurse, patient=patient, taken_at=ago(minutes=1), answers=absent(liver_disease="present")
    )
    assert FollowUp.objects.filter(patient=patient).count() == 5
    assert patient.timeline.filter(kind="screening.screen").count() == 2


def test_a_screen_names_the_bad_item(patient, nurse):
    with pytest.raises(ValidationError) as caught:
        services.record_screen(
            acting_user=nurse, patient=patient, taken_at=ago(minutes=5), answers=absent(liver_disease="maybe")
        )
    assert list(caught.value.message_dict) == ["answers.liver_disease.status"]


def test_a_follow_up_is_tracked_to_an_end(patient, nurse):
    services.record_screen(
        acting_user=nurse, patient=patient, taken_at=ago(minutes=5), answers=absent(memory_problems="present")
    )
    item = FollowUp.objects.get(patient=patient)
    services.update_follow_up(acting_user=nurse, follow_up=item, status="ordered")
    with pytest.raises(ValidationError, match="result"):
        services.update_follow_up(acting_user=nurse, follow_up=item, status="done")
    services.update_follow_up(acting_user=nurse, follow_up=item, status="done", result="MoCA 27/30")
    with pytest.raises(ValidationError, match="already done"):
        services.update_follow_up(acting_user=nurse, follow_up=item, status="declined", note="x")


def test_the_discharge_is_refused_until_naloxone_and_education_are_recorded(patient, nurse):
    episode = patients.admit(acting_user=nurse, patient=patient, admitted_at=ago(days=3), level_code="3.7-WM")
    with pytest.raises(ValidationError) as caught:
        patients.discharge(
            acting_user=nurse,
            episode=episode,
            discharged_at=ago(minutes=1),
            reason="completed",
            plan=continuing_care_plan(),
        )
    message = caught.value.message_dict["naloxone"][0]
    assert "naloxone kit" in message and "education" in message
    services.dispense_naloxone(
        acting_user=nurse,
        patient=patient,
        dispensed_at=ago(days=1),
        formulation="nasal_4mg",
        strength="4 mg",
        quantity=1,
    )
    with pytest.raises(ValidationError) as caught:
        patients.discharge(
            acting_user=nurse,
            episode=episode,
            discharged_at=ago(minutes=1),
            reason="completed",
            plan=continuing_care_plan(),
        )
    assert "naloxone kit" not in caught.value.message_dict["naloxone"][0]
    services.record_refusal(acting_user=nurse, patient=patient, what="education", refused_at=ago(hours=2))
    patients.discharge(
        acting_user=nurse,
        episode=episode,
        discharged_at=ago(minutes=1),
        reason="completed",
        plan=continuing_care_plan(),
    )


def discharge(nurse, episode):
    return patients.discharge(
        acting_user=nurse,
        episode=episode,
        discharged_at=ago(minutes=1),
        reason="completed",
        plan=continuing_care_plan(),
    )


def test_a_step_down_is_refused_too_and_the_program_may_turn_the_check_off(patient, nurse):
    from waypoint.accounts import program_settings

    episode = patients.admit(acting_user=nurse, patient=patient, admitted_at=ago(days=3), level_code="3.7-WM")
    with pytest.raises(ValidationError, match="change of level of care"):
        patients.transfer(acting_user=nurse, episode=episode, at=ago(hours=1), level_code="3.5", reason="stable")
    program_settings.change(patient.program, "screening.require_naloxone_at_transition", False, acting_user=nurse)
    patient.program.__dict__.pop("_setting_values", None)
    episode.program.__dict__.pop("_setting_values", None)
    patients.transfer(acting_user=nurse, episode=episode, at=ago(hours=1), level_code="3.5", reason="stable")


def test_a_family_kit_needs_the_family_members_name(patient, nurse):
    with pytest.raises(ValidationError) as caught:
        services.dispense_naloxone(
            acting_user=nurse,
            patient=patient,
            dispensed_at=ago(hours=1),
            formulation="nasal_4mg",
            strength="4 mg",
            quantity=1,
            recipient="family",
        )
    assert list(caught.value.message_dict) == ["recipient_name"]


def test_loss_of_tolerance_after_withdrawal_management_ends_shows_on_the_picture(patient, nurse):
    services.record_history(
        acting_user=nurse,
        patient=patient,
        uses=[{"substance": "heroin", "routes": ["smoking"], "last_use": ago(days=4)}],
    )
    episode = patients.admit(acting_user=nurse, patient=patient, admitted_at=ago(days=3), level_code="3.7-WM")
    assert services.risk_picture(patient).level == "none_recorded"
    services.record_refusal(acting_user=nurse, patient=patient, what="kit", refused_at=ago(days=1))
    services.record_education(acting_user=nurse, patient=patient, given_at=ago(days=1))
    patients.transfer(acting_user=nurse, episode=episode, at=ago(hours=1), level_code="2.1", reason="completed WM")
    picture = services.risk_picture(patient)
    assert picture.level == "high" and picture.headline == "High overdose risk: reduced tolerance"
    services.record_event(
        acting_user=nurse,
        patient=patient,
        kind="return_to_use",
        occurred_at=ago(minutes=10),
        substance="heroin",
        how_known="patient report",
    )
    assert not services.risk_picture(patient).reduced_tolerance


def test_events_land_on_the_timeline_and_count_as_prior_overdose(patient, nurse):
    services.record_event(
        acting_user=nurse,
        patient=patient,
        kind="overdose",
        occurred_at=ago(days=2),
        naloxone_given=True,
        outcome="recovered",
        place="home",
    )
    assert patient.timeline.filter(kind="screening.overdose").get().summary == "Overdose, naloxone given: recovered"
    assert [p.factor.key for p in services.risk_picture(patient).factors] == ["prior_overdose"]


def test_another_programs_nurse_cannot_record(patient, north_nurse):
    with pytest.raises(PermissionDenied):
        services.record_history(acting_user=north_nurse, patient=patient, uses=[{"substance": "heroin"}])
