"""The continuing-care plan every discharge records, in the discharge's own transaction, and its packet."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import continuing_care_plan, naloxone_and_education
from waypoint.accounts import program_settings
from waypoint.aftercare.models import ContinuingCarePlan, FollowUp
from waypoint.patients import services as patients
from waypoint.patients.models import Episode
from waypoint.privacy.models import AuditEvent
from waypoint.screening import settings as screening_settings

NEW_YORK = ZoneInfo("America/New_York")


def discharge(nurse, episode, plan, *, reason="completed", at=None):
    return patients.discharge(
        acting_user=nurse, episode=episode, discharged_at=at or timezone.now(), reason=reason, plan=plan
    )


def still_open(episode):
    episode.refresh_from_db()
    return episode.is_open and not ContinuingCarePlan.objects.filter(episode=episode).exists()


def test_a_discharge_without_a_plan_is_refused_naming_the_plan(nurse, admitted):
    with pytest.raises(ValidationError) as refused:
        discharge(nurse, admitted, None)
    assert list(refused.value.message_dict) == ["continuing_care_plan"]
    assert still_open(admitted)
    assert not AuditEvent.objects.filter(action="episode.discharge").exists()


def test_a_plan_missing_its_parts_names_each_field(nurse, admitted):
    with pytest.raises(ValidationError) as refused:
        discharge(nurse, admitted, {"next_provider": "Harbor clinic"})
    assert set(refused.value.message_dict) == {
        "next_level",
        "appointment_at",
        "moud_continued_by",
        "triggers",
        "coping_steps",
        "people_to_call",
    }
    assert still_open(admitted)


def test_a_complete_plan_is_recorded_with_the_discharge_and_schedules_the_follow_ups(nurse, admitted):
    episode = discharge(nurse, admitted, continuing_care_plan())
    plan = episode.continuing_care_plan
    assert plan.next_level_label == "2.1 Intensive Outpatient" and plan.triggers == "Payday, seeing old friends"
    assert plan.crisis_contacts == "Emergency (overdose, danger to life): call 911."
    day = timezone.localtime(episode.discharged_at, NEW_YORK).date()
    assert [(f.days_after, f.due_on) for f in plan.follow_ups.order_by("days_after")] == [
        (7, day + timedelta(days=7)),
        (30, day + timedelta(days=30)),
    ]
    assert AuditEvent.objects.filter(action="aftercare.plan.record", patient_id=episode.patient_id).count() == 1
    assert AuditEvent.objects.filter(action="episode.discharge", patient_id=episode.patient_id).count() == 1


def test_against_advice_records_what_was_offered(nurse, admitted):
    with pytest.raises(ValidationError) as refused:
        discharge(nurse, admitted, {}, reason=Episode.DischargeReason.AGAINST_ADVICE)
    assert list(refused.value.message_dict) == ["offered"]
    assert still_open(admitted)
    offered = "Outpatient care here and a buprenorphine bridge; declined, will think about it"
    episode = discharge(nurse, admitted, {"offered": offered}, reason=Episode.DischargeReason.AGAINST_ADVICE)
    assert episode.continuing_care_plan.offered == offered
    assert episode.continuing_care_plan.next_level_label == "None agreed"


def test_an_appointment_needs_its_place_and_comes_after_the_discharge(nurse, admitted):
    at = timezone.now()
    with pytest.raises(ValidationError) as refused:
        discharge(nurse, admitted, continuing_care_plan(appointment_at=at + timedelta(days=2)), at=at)
    assert list(refused.value.message_dict) == ["appointment_place"]
    with pytest.raises(ValidationError) as refused:
        discharge(
            nurse,
            admitted,
            continuing_care_plan(appointment_at=at - timedelta(hours=1), appointment_place="Clinic"),
            at=at,
        )
    assert list(refused.value.message_dict) == ["appointment_at"]
    assert still_open(admitted)


def test_a_gap_in_medication_needs_a_bridge(nurse, admitted):
    at = timezone.now()
    today = timezone.localtime(at, NEW_YORK).date()
    moud = {"moud_continued_by": "Dr. Osei, office-based buprenorphine", "moud_next_due": today + timedelta(days=4)}
    with pytest.raises(ValidationError) as refused:
        discharge(nurse, admitted, continuing_care_plan(no_moud_reason="", **moud), at=at)
    assert list(refused.value.message_dict) == ["moud_bridge"]
    assert "record the bridge" in refused.value.message_dict["moud_bridge"][0]
    covered = continuing_care_plan(no_moud_reason="", moud_supplied_through=today + timedelta(days=3), **moud)
    episode = discharge(nurse, admitted, covered, at=at)
    assert episode.continuing_care_plan.moud_bridge == ""


def test_the_next_due_day_alone_needs_who_continues(nurse, admitted):
    with pytest.raises(ValidationError) as refused:
        discharge(nurse, admitted, continuing_care_plan(no_moud_reason="", moud_continued_by="Dr. Osei"))
    assert list(refused.value.message_dict) == ["moud_next_due"]


def test_unknown_plan_fields_are_refused(nurse, admitted):
    with pytest.raises(ValidationError) as refused:
        discharge(nurse, admitted, continuing_care_plan(dose_mg=16))
    assert "dose_mg" in refused.value.message_dict["continuing_care_plan"][0]


def test_crisis_contacts_come_from_the_program_setting(nurse, program, admitted):
    program_settings.change(program, "aftercare.crisis_contacts", "Harbor line: 555-0100", acting_user=nurse)
    episode = discharge(nurse, admitted, continuing_care_plan())
    assert episode.continuing_care_plan.crisis_contacts == "Harbor line: 555-0100"


def test_the_follow_up_days_come_from_the_program_setting(nurse, program, admitted):
    program_settings.change(program, "aftercare.follow_up_days", [2, 7, 30, 90], acting_user=nurse)
    episode = discharge(nurse, admitted, continuing_care_plan())
    assert sorted(episode.continuing_care_plan.follow_ups.values_list("days_after", flat=True)) == [2, 7, 30, 90]


@pytest.mark.parametrize(
    "local, due_7, due_30",
    [
        # The evening before daylight saving begins (2026-03-08): 04:30 UTC is already the 8th.
        (datetime(2026, 3, 7, 23, 30, tzinfo=NEW_YORK), date(2026, 3, 14), date(2026, 4, 6)),
        # The evening before it ends (2026-11-01): 03:30 UTC is already November.
        (datetime(2026, 10, 31, 23, 30, tzinfo=NEW_YORK), date(2026, 11, 7), date(2026, 11, 30)),
    ],
)
def test_follow_ups_fall_on_the_programs_calendar_days_across_daylight_saving(nurse, patient, local, due_7, due_30):
    discharged = local
    with time_machine.travel(discharged + timedelta(hours=1), tick=False):
        episode = patients.admit(
            acting_user=nurse, patient=patient, admitted_at=discharged - timedelta(days=5), level_code="3.5"
        )
        naloxone_and_education(patient, nurse, discharged - timedelta(days=4))
        discharge(nurse, episode, continuing_care_plan(), at=discharged)
    due = dict(FollowUp.objects.filter(patient=patient).values_list("days_after", "due_on"))
    assert due == {7: due_7, 30: due_30}


def test_the_discharge_page_shows_the_plans_errors_beside_its_fields(page, nurse, patient, admitted):
    url = reverse("patients:discharge", args=[patient.pk, admitted.pk])
    now = timezone.localtime(timezone=NEW_YORK).strftime("%Y-%m-%dT%H:%M")
    response = page(nurse).post(url, {"discharged_at": now, "reason": "completed", "next_provider": "Harbor"})
    assert response.status_code == 200
    for field in ("next_level", "appointment_at", "moud_continued_by", "triggers"):
        assert f'id="id_{field}_error"'.encode() in response.content
    assert still_open(admitted)


def test_the_discharge_page_records_the_plan(page, nurse, patient, admitted):
    url = reverse("patients:discharge", args=[patient.pk, admitted.pk])
    now = timezone.localtime(timezone=NEW_YORK).strftime("%Y-%m-%dT%H:%M")
    response = page(nurse).post(url, {"discharged_at": now, "reason": "completed", **continuing_care_plan()})
    assert response.status_code == 302
    admitted.refresh_from_db()
    assert admitted.continuing_care_plan.people_to_call == "My sister Ana"


def test_the_api_refuses_a_discharge_without_a_plan(api, nurse, patient, admitted):
    url = f"/api/v1/patients/{patient.pk}/episodes/{admitted.pk}/discharge/"
    response = api(nurse).post(url, {"discharged_at": timezone.now().isoformat(), "reason": "completed"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["continuing_care_plan"]
    response = api(nurse).post(
        url,
        {
            "discharged_at": timezone.now().isoformat(),
            "reason": "completed",
            "continuing_care_plan": continuing_care_plan(moud_next_due="soon"),
        },
        format="json",
    )
    assert response.status_code == 400 and "moud_next_due" in response.json()
    assert still_open(admitted)


def test_the_packet_says_the_plan_in_plain_words(page, nurse, patient, admitted):
    at = timezone.now()
    plan = continuing_care_plan(appointment_at=at + timedelta(days=2), appointment_place="Harbor clinic, 12 Main St")
    episode = discharge(nurse, admitted, plan, at=at)
    response = page(nurse).get(reverse("aftercare:packet", args=[patient.pk, episode.continuing_care_plan.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Your tolerance is lower now" in body and "fentanyl" in body
    assert "Harbor clinic, 12 Main St" in body and "My sister Ana" in body
    assert "call 911" in body  # the program's crisis contacts
    for line in screening_settings.HANDOUT_EDUCATION.default.splitlines():
        assert line.replace("'", "&#x27;") in body
    assert "You were given naloxone: 2" in body
    assert AuditEvent.objects.filter(action="aftercare.packet.read", patient_id=patient.pk).exists()


def test_another_programs_packet_is_404(page, north_nurse, patient, nurse, admitted):
    episode = discharge(nurse, admitted, continuing_care_plan())
    url = reverse("aftercare:packet", args=[patient.pk, episode.continuing_care_plan.pk])
    assert page(north_nurse).get(url).status_code == 404
