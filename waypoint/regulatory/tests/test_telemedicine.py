"""Buprenorphine by telemedicine: the order records the telemedicine encounter and the PDMP check current at it; the
DEA rule's conditions are program settings, off by default, whose words say to verify the current rule first."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from waypoint.accounts.program_settings import REGISTRY, change
from waypoint.medication import services as medication
from waypoint.privacy.models import AuditEvent
from waypoint.regulatory import pdmp, telemedicine
from waypoint.regulatory.models import TelemedicineEncounter

SETTINGS = ("regulatory.telemedicine_needs_pdmp", "regulatory.telemedicine_no_audio_only")


def buprenorphine(prescriber, patient, at):
    return medication.order_medication(
        acting_user=prescriber,
        patient=patient,
        medication="buprenorphine",
        dose=Decimal("8"),
        route="sublingual",
        times_per_day=1,
        start_at=at,
    )


@pytest.fixture(autouse=True)
def an_hour_into_the_programs_day(program):
    """These tests put an encounter, a PDMP check and an order in the last half hour and expect one program day. In the
    program's first hour after midnight the half hour reaches back into the day before (CI at 05:12 UTC failed so):
    then the clock moves forward to 01:00 there, still ticking; never back, so nothing made before is in its future."""
    here = timezone.localtime(timezone=program.tz)
    if here.hour >= 1:
        yield
        return
    with time_machine.travel(here.replace(hour=1, minute=0, second=0, microsecond=0), tick=True):
        yield


@pytest.fixture
def turn_on(program, administrator):
    def on(key, value=True):
        change(program, key, value, acting_user=administrator)
        program.__dict__.pop("_setting_values", None)

    return on


def test_the_conditions_are_off_by_default_and_say_to_verify_the_current_rule():
    for key in SETTINGS:
        assert REGISTRY[key].default is False
        assert "verify the current rule before turning this on" in REGISTRY[key].origin


def test_the_order_records_the_encounter_and_the_current_check(turn_on, prescriber, patient):
    turn_on("regulatory.pdmp_days", 1)
    now = timezone.now()
    check = pdmp.record_check(
        acting_user=prescriber, patient=patient, state="NY", checked_at=now - timedelta(minutes=30), findings="None"
    )
    encounter = telemedicine.record_encounter(
        acting_user=prescriber,
        patient=patient,
        at=now - timedelta(minutes=20),
        modality="audio_video",
        patient_location="Home, Albany NY",
    )
    order = buprenorphine(prescriber, patient, now - timedelta(minutes=10))
    encounter.refresh_from_db()
    assert encounter.order == order and encounter.pdmp_check == check
    event = AuditEvent.objects.get(action="telemedicine.order")
    assert event.detail == {"order": order.pk, "pdmp_check": check.pk, "modality": "audio_video"}


def test_an_order_on_another_day_or_of_methadone_is_not_linked(prescriber, patient):
    now = timezone.now()
    encounter = telemedicine.record_encounter(
        acting_user=prescriber, patient=patient, at=now - timedelta(days=2), modality="audio_video"
    )
    buprenorphine(prescriber, patient, now)
    encounter.refresh_from_db()
    assert encounter.order is None


def test_with_the_conditions_on_an_audio_only_or_unchecked_order_is_refused(turn_on, prescriber, patient):
    turn_on("regulatory.pdmp_days", 1)
    now = timezone.now()
    telemedicine.record_encounter(
        acting_user=prescriber, patient=patient, at=now - timedelta(minutes=20), modality="audio_only"
    )
    buprenorphine_order = buprenorphine(prescriber, patient, now - timedelta(minutes=15))  # both conditions off
    assert buprenorphine_order.pk
    medication.stop_order(
        acting_user=prescriber, order=buprenorphine_order, stop_at=now - timedelta(minutes=14), reason="x"
    )
    telemedicine.record_encounter(
        acting_user=prescriber, patient=patient, at=now - timedelta(minutes=12), modality="audio_only"
    )
    turn_on("regulatory.telemedicine_no_audio_only")
    turn_on("regulatory.telemedicine_needs_pdmp")
    with pytest.raises(ValidationError) as refused:
        buprenorphine(prescriber, patient, now - timedelta(minutes=10))
    why = refused.value.message_dict["telemedicine"][0]
    assert "audio-only" in why and "no PDMP check is current" in why
    assert TelemedicineEncounter.objects.filter(order__isnull=True).count() == 1


def test_the_prescriber_records_the_encounter_on_the_pdmp_page(page, prescriber, nurse, patient):
    url = reverse("regulatory:pdmp", args=[patient.pk])
    client = page(prescriber)
    html = client.get(url).content.decode()
    assert "Buprenorphine by telemedicine" in html and "verify the current rule" in html
    at = timezone.localtime(timezone=patient.program.tz) - timedelta(minutes=5)
    refused = client.post(url, {"action": "telemedicine", "at": at.strftime("%Y-%m-%dT%H:%M")})
    assert refused.status_code == 200 and not TelemedicineEncounter.objects.exists()
    done = client.post(url, {"action": "telemedicine", "at": at.strftime("%Y-%m-%dT%H:%M"), "modality": "audio_video"})
    assert done.status_code == 302 and TelemedicineEncounter.objects.get().prescriber == prescriber
    with pytest.raises(PermissionDenied):  # the prescriber roles record it
        telemedicine.record_encounter(acting_user=nurse, patient=patient, at=timezone.now(), modality="audio_only")
