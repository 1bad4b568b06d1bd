"""A change of level of care names the placement assessment that supports it; a move against the latest
placement's recommendation shows on the form, the timeline and the chart's path through the levels."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import continuing_care_plan, patient_fields
from waypoint.patients import services as patients
from waypoint.patients.models import TimelineEntry
from waypoint.placements import services
from waypoint.privacy.models import AuditEvent

RESIDENTIAL = {"d1": 1, "d2": 1, "d3": 2, "d4": 2, "d5": 3, "d6": 3}  # default table: 3.5
OUTPATIENT = {"d1": 0, "d2": 0, "d3": 1, "d4": 1, "d5": 2, "d6": 1}  # default table: 2.1
HOUR = timedelta(hours=1)


def place(nurse, patient, ratings, hours_ago):
    return services.record_placement(
        acting_user=nurse, patient=patient, ratings=ratings, at=timezone.now() - hours_ago * HOUR
    )


def test_a_transfer_records_its_supporting_placement(nurse, patient, admitted):
    placement = place(nurse, patient, OUTPATIENT, 3)
    stay = patients.transfer(
        acting_user=nurse,
        episode=admitted,
        at=timezone.now() - HOUR,
        level_code="2.1",
        reason="Step-down",
        placement_id=placement.pk,
    )
    assert stay.placement == placement and stay.latest_recommendation == "2.1"
    assert not stay.against_recommendation
    line = TimelineEntry.objects.get(patient=patient, kind="transferred").summary
    assert "placement of" in line and "against" not in line
    assert AuditEvent.objects.get(action="episode.transfer").detail["placement"] == placement.pk


def test_a_transfer_against_the_latest_recommendation_says_so(nurse, patient, admitted):
    place(nurse, patient, OUTPATIENT, 5)
    place(nurse, patient, RESIDENTIAL, 3)  # the latest recommends 3.5
    stay = patients.transfer(
        acting_user=nurse,
        episode=admitted,
        at=timezone.now() - HOUR,
        level_code="2.1",
        reason="Patient asks for outpatient care",
    )
    assert stay.placement is None and stay.latest_recommendation == "3.5" and stay.against_recommendation
    line = TimelineEntry.objects.get(patient=patient, kind="transferred").summary
    assert line.endswith("against the latest placement's recommendation (3.5)")
    assert AuditEvent.objects.get(action="episode.transfer").detail["against_recommendation"] is True


def test_a_placement_after_the_transfer_or_of_another_patient_is_refused(nurse, patient, admitted, program, team):
    later = place(nurse, patient, OUTPATIENT, 0)
    with pytest.raises(ValidationError) as caught:
        patients.transfer(
            acting_user=nurse,
            episode=admitted,
            at=timezone.now() - HOUR,
            level_code="2.1",
            reason="Step-down",
            placement_id=later.pk,
        )
    assert "assessed after the transfer" in caught.value.message_dict["placement"][0]
    other = patients.register_patient(acting_user=nurse, program=program, care_team=team, **patient_fields(mrn="W-9"))
    theirs = place(nurse, other, OUTPATIENT, 4)
    with pytest.raises(ValidationError) as caught:
        patients.transfer(
            acting_user=nurse,
            episode=admitted,
            at=timezone.now() - HOUR,
            level_code="2.1",
            reason="Step-down",
            placement_id=theirs.pk,
        )
    assert list(caught.value.message_dict) == ["placement"]
    assert admitted.stays.count() == 1


def test_a_placement_from_an_earlier_episode_is_not_the_latest(nurse, patient):
    from conftest import naloxone_and_education

    now = timezone.now()
    first = patients.admit(acting_user=nurse, patient=patient, admitted_at=now - 30 * 24 * HOUR, level_code="3.5")
    naloxone_and_education(patient, nurse, now - 29 * 24 * HOUR)
    place(nurse, patient, RESIDENTIAL, 28 * 24)
    patients.discharge(
        acting_user=nurse,
        episode=first,
        discharged_at=now - 20 * 24 * HOUR,
        reason="completed",
        plan=continuing_care_plan(),
    )
    second = patients.admit(acting_user=nurse, patient=patient, admitted_at=now - 3 * 24 * HOUR, level_code="3.7-WM")
    naloxone_and_education(patient, nurse, now - 2 * 24 * HOUR)
    stay = patients.transfer(acting_user=nurse, episode=second, at=now - HOUR, level_code="2.1", reason="Step-down")
    assert stay.latest_recommendation == "" and not stay.against_recommendation


def test_the_api_takes_the_placement_and_reports_against_the_recommendation(api, nurse, patient, admitted):
    placement = place(nurse, patient, RESIDENTIAL, 3)
    response = api(nurse).post(
        f"/api/v1/patients/{patient.pk}/episodes/{admitted.pk}/transfer/",
        {
            "at": (timezone.now() - HOUR).isoformat(),
            "level_of_care": "2.1",
            "reason": "Payer",
            "placement": placement.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["placement"] == placement.pk and body["latest_recommendation"] == "3.5"
    assert body["against_recommendation"] is True


def test_the_api_names_a_foreign_placement(api, nurse, patient, admitted):
    response = api(nurse).post(
        f"/api/v1/patients/{patient.pk}/episodes/{admitted.pk}/transfer/",
        {"at": (timezone.now() - HOUR).isoformat(), "level_of_care": "2.1", "reason": "Step-down", "placement": 999999},
        format="json",
    )
    assert response.status_code == 400 and list(response.json()) == ["placement"]


def test_the_form_shows_the_latest_recommendation_and_the_chart_the_path(page, nurse, patient, admitted):
    placement = place(nurse, patient, RESIDENTIAL, 3)
    client = page(nurse)
    form = client.get(reverse("patients:transfer", args=[patient.pk, admitted.pk])).content.decode()
    assert "Latest placement assessment" in form and "Clinically Managed High-Intensity Residential" in form
    assert f'<option value="{placement.pk}">' in form
    when = timezone.localtime(timezone.now() - HOUR, patient.program.tz).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("patients:transfer", args=[patient.pk, admitted.pk]),
        {"at": when, "level_of_care": "2.1", "reason": "Patient preference", "placement": str(placement.pk)},
        follow=True,
    )
    body = response.content.decode()
    assert "against the latest placement&#x27;s recommendation (3.5)" in body  # the message after the move
    assert "Path through the levels" in body and "Supported by the" in body
    assert body.count("Against the latest placement's recommendation (3.5)") == 1  # the path's badge
