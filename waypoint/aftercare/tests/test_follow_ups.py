"""Follow-up contacts after discharge: the work list, attempts and lost to follow-up, what a contact learns, and
the re-engagement task a return to use or an overdose opens."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import continuing_care_plan, naloxone_and_education
from waypoint.accounts import program_settings
from waypoint.aftercare import services
from waypoint.aftercare.models import FollowUp, FollowUpContact, ReEngagementTask, SentinelEvent
from waypoint.patients import services as patients
from waypoint.patients.access import visible_patients
from waypoint.privacy.models import AuditEvent

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def discharged(nurse, admitted):
    """The patient discharged two hours ago with a complete plan; returns the plan."""
    episode = patients.discharge(
        acting_user=nurse,
        episode=admitted,
        discharged_at=timezone.now() - timedelta(hours=2),
        reason="completed",
        plan=continuing_care_plan(),
    )
    return episode.continuing_care_plan


def day_7(plan):
    return plan.follow_ups.get(days_after=7)


def attempt(nurse, follow_up, **found):
    return services.record_contact(nurse, follow_up, at=timezone.now(), method="phone", reached=False, **found)


def test_unanswered_attempts_count_until_the_programs_number_marks_lost_to_follow_up(nurse, program, discharged):
    program_settings.change(program, "aftercare.attempts_before_lost", 2, acting_user=nurse)
    follow_up = day_7(discharged)
    attempt(nurse, follow_up, note="voicemail")
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.DUE
    attempt(nurse, follow_up)
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.LOST
    assert "Not reached after 2 attempts" in follow_up.closed_reason
    assert "unanswered attempts before lost to follow-up" in follow_up.closed_reason
    with pytest.raises(ValidationError) as refused:
        attempt(nurse, follow_up)
    assert list(refused.value.message_dict) == ["follow_up"]
    assert FollowUpContact.objects.filter(follow_up=follow_up).count() == 2  # kept, never dropped
    assert discharged.follow_ups.get(days_after=30).status == FollowUp.Status.DUE


def test_an_attempt_that_reached_no_one_records_no_findings(nurse, discharged):
    with pytest.raises(ValidationError) as refused:
        attempt(nurse, day_7(discharged), used_since="yes")
    assert list(refused.value.message_dict) == ["reached"]
    assert not FollowUpContact.objects.exists()


def test_a_reached_contact_says_whether_the_patient_used(nurse, discharged):
    with pytest.raises(ValidationError) as refused:
        services.record_contact(nurse, day_7(discharged), at=timezone.now(), method="phone", reached=True)
    assert list(refused.value.message_dict) == ["used_since"]


def test_a_return_to_use_opens_a_re_engagement_task_shown_on_the_chart(page, nurse, patient, discharged):
    follow_up = day_7(discharged)
    contact = services.record_contact(
        nurse,
        follow_up,
        at=timezone.now(),
        method="phone",
        reached=True,
        attended_next="no",
        used_since="yes",
        substance="fentanyl",
        used_on=timezone.localdate(timezone=NEW_YORK),
        overdose="none",
    )
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.DONE
    task = ReEngagementTask.objects.get(contact=contact)
    assert task.reason == "Return to use reported" and task.status == ReEngagementTask.Status.OPEN
    event = AuditEvent.objects.get(action="aftercare.contact.record", patient_id=patient.pk)
    assert event.detail["re_engagement_task"] == task.pk
    chart = page(nurse).get(patient.get_absolute_url()).content.decode()
    assert "Return to use reported" in chart and reverse("aftercare:task", args=[patient.pk, task.pk]) in chart
    services.close_task(nurse, task, outcome="Called; invited back, first on the waitlist")
    task.refresh_from_db()
    assert task.status == ReEngagementTask.Status.DONE and task.done_by == nurse


def test_a_non_fatal_overdose_opens_a_task_too(nurse, discharged):
    contact = services.record_contact(
        nurse,
        day_7(discharged),
        at=timezone.now(),
        method="in_person",
        reached=True,
        used_since="yes",
        overdose="non_fatal",
        naloxone_used="yes",
        naloxone_by="a friend",
    )
    assert ReEngagementTask.objects.get(contact=contact).reason == "Overdose reported"


def test_naloxone_is_recorded_only_with_an_overdose(nurse, discharged):
    with pytest.raises(ValidationError) as refused:
        services.record_contact(
            nurse,
            day_7(discharged),
            at=timezone.now(),
            method="phone",
            reached=True,
            used_since="no",
            naloxone_used="yes",
        )
    assert list(refused.value.message_dict) == ["naloxone_used"]


def test_a_reported_death_closes_the_follow_ups_with_a_sentinel_event(nurse, patient, discharged):
    services.record_contact(
        nurse, day_7(discharged), at=timezone.now(), method="phone", reached=True, overdose="fatal", note="his sister"
    )
    assert discharged.follow_ups.get(days_after=30).status == FollowUp.Status.CLOSED
    assert not ReEngagementTask.objects.exists()
    event = AuditEvent.objects.get(action="aftercare.contact.record", patient_id=patient.pk)
    sentinel = SentinelEvent.objects.get()
    assert (sentinel.patient, sentinel.what, sentinel.plan) == (patient, "Death from an overdose", discharged)
    assert event.detail["sentinel_event"] == sentinel.pk and event.detail["closed_follow_ups"] == 1


def test_a_death_of_another_cause_closes_the_follow_up_too_and_needs_no_answer_on_use(nurse, patient, discharged):
    contact = services.record_contact(
        nurse, day_7(discharged), at=timezone.now(), method="phone", reached=True, died=True, note="obituary"
    )
    assert contact.died and contact.overdose == ""
    assert discharged.follow_ups.get(days_after=30).status == FollowUp.Status.CLOSED
    assert SentinelEvent.objects.get().what == "Death reported"


def test_an_unreached_attempt_cannot_report_a_death(nurse, discharged):
    with pytest.raises(ValidationError) as refused:
        attempt(nurse, day_7(discharged), died=True)
    assert list(refused.value.message_dict) == ["reached"]
    assert not SentinelEvent.objects.exists()


def test_the_director_sees_the_sentinel_event_on_the_work_list_and_records_the_review(
    page, nurse, director, patient, discharged
):
    services.record_contact(nurse, day_7(discharged), at=timezone.now(), method="phone", reached=True, died=True)
    sentinel = SentinelEvent.objects.get()
    body = page(director).get(reverse("aftercare:work-list")).content.decode()
    assert "sentinel events for the director" in body and "Record the review" in body
    assert "Awaiting the director" in page(nurse).get(reverse("aftercare:work-list")).content.decode()
    url = reverse("aftercare:sentinel", args=[patient.pk, sentinel.pk])
    assert page(nurse).get(url).status_code == 403
    refused = page(director).post(url, {"review": " "})
    assert refused.status_code == 200 and "review" in refused.context["form"].errors
    assert page(director).post(url, {"review": "Reviewed with the team; naloxone refresher added."}).status_code == 302
    sentinel.refresh_from_db()
    assert sentinel.reviewed_by == director and sentinel.review.startswith("Reviewed with the team")
    assert AuditEvent.objects.filter(action="aftercare.sentinel.review", patient_id=patient.pk).exists()
    assert "sentinel events for the director" not in page(director).get(reverse("aftercare:work-list")).content.decode()


def test_a_contact_before_the_discharge_is_refused(nurse, discharged):
    with pytest.raises(ValidationError) as refused:
        services.record_contact(
            nurse, day_7(discharged), at=timezone.now() - timedelta(days=1), method="phone", reached=False
        )
    assert list(refused.value.message_dict) == ["at"]


def test_the_work_list_tells_due_today_from_overdue_in_the_programs_time_zone(nurse, program, patient):
    # Discharged on the evening of 2026-03-07 (New York); daylight saving begins on the 8th.
    discharged_at = datetime(2026, 3, 7, 21, 0, tzinfo=NEW_YORK)
    with time_machine.travel(discharged_at + timedelta(hours=1), tick=False):
        episode = patients.admit(
            acting_user=nurse, patient=patient, admitted_at=discharged_at - timedelta(days=4), level_code="3.5"
        )
        naloxone_and_education(patient, nurse, discharged_at - timedelta(days=3))
        patients.discharge(
            acting_user=nurse,
            episode=episode,
            discharged_at=discharged_at,
            reason="completed",
            plan=continuing_care_plan(),
        )
    # 23:30 on 2026-03-14 in New York is already the 15th in UTC: the day-7 follow-up is due today, not overdue.
    with time_machine.travel(datetime(2026, 3, 14, 23, 30, tzinfo=NEW_YORK), tick=False):
        today = timezone.localdate(timezone=program.tz)
        lists = services.work_list(visible_patients(nurse, program), today)
        assert [f.days_after for f in lists["today"]] == [7] and lists["overdue"] == []
    with time_machine.travel(datetime(2026, 3, 15, 9, 0, tzinfo=NEW_YORK), tick=False):
        lists = services.work_list(visible_patients(nurse, program), timezone.localdate(timezone=program.tz))
        assert lists["today"] == [] and [f.days_after for f in lists["overdue"]] == [7]


def test_the_work_list_page_and_the_contact_form(page, nurse, patient, discharged):
    follow_up = day_7(discharged)
    with time_machine.travel(timezone.now() + timedelta(days=7), tick=False):
        client = page(nurse)
        body = client.get(reverse("aftercare:work-list")).content.decode()
        assert patient.display_name in body and 'Day 7<span class="next-care"> after discharge' in body
        url = reverse("aftercare:contact", args=[patient.pk, follow_up.pk])
        now = timezone.localtime(timezone=NEW_YORK).strftime("%Y-%m-%dT%H:%M")
        response = client.post(url, {"at": now, "method": "phone", "reached": "yes"})
        assert response.status_code == 200 and b'id="id_used_since_error"' in response.content
        response = client.post(
            url, {"at": now, "method": "phone", "reached": "yes", "used_since": "yes", "substance": "heroin"}
        )
        assert response.status_code == 302
        assert ReEngagementTask.objects.filter(patient=patient).count() == 1
        assert "Return to use reported" in client.get(reverse("aftercare:work-list")).content.decode()


def test_another_programs_follow_up_is_404(page, north_nurse, patient, discharged):
    url = reverse("aftercare:contact", args=[patient.pk, day_7(discharged).pk])
    assert page(north_nurse).get(url).status_code == 404


def test_the_api_reads_the_plans_and_records_a_contact(api, nurse, patient, discharged):
    follow_up = day_7(discharged)
    url = f"/api/v1/patients/{patient.pk}/after-discharge/{follow_up.pk}/contacts/"
    refused = api(nurse).post(url, {"at": timezone.now().isoformat(), "method": "fax", "reached": False}, format="json")
    assert refused.status_code == 400 and list(refused.json()) == ["method"]
    body = {
        "at": timezone.now().isoformat(),
        "method": "text",
        "reached": True,
        "used_since": "yes",
        "substance": "heroin",
    }
    created = api(nurse).post(url, body, format="json")
    assert created.status_code == 201, created.json()
    read = api(nurse).get(f"/api/v1/patients/{patient.pk}/continuing-care/").json()
    plan = read["plans"][0]
    assert plan["next_level_name"] == "2.1 Intensive Outpatient" and plan["triggers"] == "Payday, seeing old friends"
    day7 = next(f for f in plan["follow_ups"] if f["days_after"] == 7)
    assert day7["status"] == "done" and day7["contacts"][0]["substance"] == "heroin"
    assert [t["reason"] for t in read["open_re_engagement_tasks"]] == ["Return to use reported"]


def test_the_api_answers_404_for_another_programs_follow_up(api, north_nurse, patient, discharged):
    url = f"/api/v1/patients/{patient.pk}/after-discharge/{day_7(discharged).pk}/contacts/"
    response = api(north_nurse).post(
        url, {"at": timezone.now().isoformat(), "method": "text", "reached": False}, format="json"
    )
    assert response.status_code == 404


def test_the_after_discharge_record_kinds_render_every_column(nurse, patient, discharged):
    """The plan and its contacts are disclosed and printed through the records registry (the registry test's full
    record has no discharge: it leaves these two kinds to this test)."""
    from waypoint.records.discovery import load

    attempt(nurse, day_7(discharged), note="voicemail")
    found = load()
    for key in ("continuing_care_plans", "follow_up_contacts"):
        kind = found[key]
        rows = list(kind.rows(patient, nurse))
        assert len(rows) == 1, key
        assert list(kind.render(rows[0])) == [column for column, _ in kind.columns], key
