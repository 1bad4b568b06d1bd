"""Referrals and the waitlist: first contact, screening, admission / referred elsewhere / closed."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from waypoint.accounts import program_settings
from waypoint.patients.models import Episode
from waypoint.placements import referrals
from waypoint.placements.models import Referral


def refer(user, program, **kwargs):
    fields = {
        "name": "Sam Lee",
        "contact": "555-0199",
        "source": "hospital",
        "received_at": timezone.now() - timedelta(days=2),
        "requested_level": "3.5",
    } | kwargs
    return referrals.create_referral(acting_user=user, program=program, **fields)


def test_a_referral_starts_in_screening_with_its_flags(nurse, program):
    referral = refer(nurse, program, priority_flags=["pregnant", "injects"], urgency="urgent")
    assert referral.status == "screening"
    assert referral.priority_flags == ["pregnant", "injects"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("source", "friend"),
        ("requested_level", "9"),
        ("urgency", "soon"),
        ("priority_flags", ["vip"]),
        ("name", " "),
        ("contact", ""),
    ],
)
def test_it_refuses_a_bad_field_naming_it(nurse, program, field, value):
    with pytest.raises(ValidationError) as caught:
        refer(nurse, program, **{field: value})
    assert field in caught.value.message_dict


def test_the_priority_flags_are_a_program_setting(nurse, program):
    program_settings.change(
        program, "placement.priority_flags", [{"code": "homeless", "label": "Homeless"}], acting_user=nurse
    )
    assert refer(nurse, program, priority_flags=["homeless"]).priority_flags == ["homeless"]
    with pytest.raises(ValidationError):
        refer(nurse, program, priority_flags=["pregnant"])


def test_admitting_a_referral_opens_an_episode_at_the_requested_level(nurse, program, patient):
    referral = refer(nurse, program)
    at = timezone.now() - timedelta(hours=1)
    referral = referrals.admit_referral(acting_user=nurse, referral=referral, patient=patient, admitted_at=at)
    assert referral.status == "admitted" and referral.outcome_at == at
    episode = Episode.objects.get(patient=patient)
    assert referral.episode == episode
    assert episode.stays.get().level_code == "3.5"


def test_an_admission_before_the_first_contact_is_refused(nurse, program, patient):
    referral = refer(nurse, program)
    with pytest.raises(ValidationError) as caught:
        referrals.admit_referral(
            acting_user=nurse, referral=referral, patient=patient, admitted_at=referral.received_at - timedelta(hours=1)
        )
    assert "admitted_at" in caught.value.message_dict


def test_closing_needs_a_reason_and_a_closed_referral_cannot_be_admitted(nurse, program, patient):
    referral = refer(nurse, program)
    with pytest.raises(ValidationError) as caught:
        referrals.close_referral(acting_user=nurse, referral=referral, status="closed", reason="")
    assert "reason" in caught.value.message_dict
    referrals.close_referral(
        acting_user=nurse, referral=referral, status="referred_elsewhere", reason="needs adolescent program"
    )
    with pytest.raises(ValidationError) as caught:
        referrals.admit_referral(acting_user=nurse, referral=referral, patient=patient, admitted_at=timezone.now())
    assert "status" in caught.value.message_dict


def test_the_waitlist_puts_flagged_then_urgent_then_longest_waiting_first(nurse, program):
    now = timezone.now()
    old = refer(nurse, program, name="Old routine", received_at=now - timedelta(days=9))
    urgent = refer(nurse, program, name="Urgent", urgency="urgent", received_at=now - timedelta(days=1))
    flagged = refer(
        nurse, program, name="Flagged", priority_flags=["recent_overdose"], received_at=now - timedelta(hours=2)
    )
    assert referrals.waiting(program) == [flagged, urgent, old]


def test_the_time_to_admission_figures_use_the_admitted_referrals(nurse, program):
    now = timezone.now()
    for days_ago, hours in ((1, 10), (3, 2), (10, 48), (20, 4), (29, 24), (31, 96), (60, 72), (89, 200)):
        admitted_at = now - timedelta(days=days_ago)
        Referral.objects.create(
            program=program,
            name="x",
            contact="x",
            source="self",
            requested_level="1",
            received_at=admitted_at - timedelta(hours=hours),
            status="admitted",
            outcome_at=admitted_at,
            created_by=nurse,
        )
    refer(nurse, program)  # still waiting: not counted
    last30, last90 = referrals.waitlist_figures(program, now)
    assert (last30.count, last30.median, last30.p90) == (5, timedelta(hours=10), timedelta(hours=48))
    assert (last90.count, last90.median, last90.p90) == (8, timedelta(hours=36), timedelta(hours=200))


def test_a_counselor_may_read_the_waitlist_but_not_record_a_referral(counselor_off_team, program, page):
    client = page(counselor_off_team)
    assert client.get(reverse("placements:waitlist")).status_code == 200
    assert client.get(reverse("placements:referral-new")).status_code == 403


def test_the_pages_take_a_referral_to_admission(page, nurse, program, patient):
    client = page(nurse)
    response = client.post(
        reverse("placements:referral-new"),
        {
            "name": "Sam Lee",
            "contact": "555-0199",
            "source": "court",
            "received_at": "2026-01-02T09:00",
            "urgency": "urgent",
            "requested_level": "3.5",
            "priority_flags": ["injects"],
        },
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    waitlist = client.get(reverse("placements:waitlist")).content.decode()
    assert "Sam Lee" in waitlist and "Injects drugs" in waitlist
    response = client.post(
        reverse("placements:referral-admit", args=[referral.pk]),
        {"mrn": patient.mrn, "admitted_at": "2026-01-03T09:00"},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "admitted"


def test_the_api_creates_lists_and_closes_referrals(api, nurse, program):
    client = api(nurse)
    response = client.post(
        "/api/v1/referrals/",
        {
            "name": "Ana",
            "contact": "555",
            "source": "self",
            "received_at": timezone.now().isoformat(),
            "requested_level": "1",
            "priority_flags": ["pregnant"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    rid = response.json()["id"]
    assert [r["id"] for r in client.get("/api/v1/referrals/").json()["results"]] == [rid]
    bad = client.post(
        "/api/v1/referrals/",
        {
            "name": "Ana",
            "contact": "555",
            "source": "self",
            "received_at": timezone.now().isoformat(),
            "requested_level": "7",
        },
        format="json",
    )
    assert bad.status_code == 400 and "requested_level" in bad.json()
    closed = client.post(f"/api/v1/referrals/{rid}/close/", {"status": "closed", "reason": "no answer"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_a_nurse_of_another_program_gets_404_for_a_referral(api, nurse, north_nurse, program):
    referral = refer(nurse, program)
    assert api(north_nurse).get(f"/api/v1/referrals/{referral.pk}/").status_code == 404
    assert api(north_nurse).get("/api/v1/referrals/").json()["results"] == []
