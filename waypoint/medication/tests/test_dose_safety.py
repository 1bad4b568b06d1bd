"""Dose safety: an order's frequency is structured (doses per program day, least time between doses) and checked
at every dose; two opioid agonists together need a prescriber's reason; a buprenorphine induction dose needs a
recent COWS at or above the program's threshold, or a reason to give it anyway. Refusals write nothing."""

import importlib
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.conftest import COWS
from waypoint.accounts import program_settings
from waypoint.medication import services
from waypoint.medication.models import Administration, MedicationOrder
from waypoint.patients.models import TimelineEntry
from waypoint.privacy.models import AuditEvent
from waypoint.withdrawal import services as withdrawal

NEW_YORK = ZoneInfo("America/New_York")
MORNING = datetime(2026, 3, 10, 9, 0, tzinfo=NEW_YORK)  # the test programs' time zone
LATER_THAT_DAY = MORNING + timedelta(hours=8)


def methadone(prescriber, patient, **overrides):
    fields = {
        "medication": "methadone",
        "dose": Decimal("60"),
        "route": "oral",
        "times_per_day": 1,
        "phase": "maintenance",
        "start_at": MORNING - timedelta(days=2),
    }
    return services.order_medication(acting_user=prescriber, patient=patient, **(fields | overrides))


def bup_induction(prescriber, patient, **overrides):
    fields = {
        "medication": "buprenorphine",
        "dose": Decimal("4"),
        "route": "sublingual",
        "times_per_day": 12,
        "min_interval_hours": 1,
        "frequency": "as needed",
        "phase": "induction",
        "start_at": MORNING - timedelta(days=1),
    }
    return services.order_medication(acting_user=prescriber, patient=patient, **(fields | overrides))


def give(nurse, patient, order, at, dose=None, **extra):
    return services.record_administration(
        acting_user=nurse, patient=patient, order=order, status="given", dose=dose or order.dose, at=at, **extra
    )


def cows_at(nurse, patient, at, **items):
    return withdrawal.record_assessment(
        acting_user=nurse, patient=patient, instrument="cows", responses=COWS | items, taken_at=at
    )


@pytest.fixture
def admitted_long_ago(patient, nurse):
    from tests.conftest import naloxone_and_education
    from waypoint.patients import services as patients

    with time_machine.travel(MORNING - timedelta(days=4), tick=False):
        episode = patients.admit(
            acting_user=nurse, patient=patient, admitted_at=MORNING - timedelta(days=5), level_code="3.7-WM"
        )
        naloxone_and_education(patient, nurse, episode.admitted_at + timedelta(hours=1))
    return episode


# --- frequency ---------------------------------------------------------------------------------------------


@time_machine.travel(LATER_THAT_DAY, tick=False)
def test_an_extra_dose_minutes_after_the_first_on_a_once_daily_order_is_refused(prescriber, nurse, admitted_long_ago):
    patient = admitted_long_ago.patient
    order = methadone(prescriber, patient)
    give(nurse, patient, order, MORNING)
    with pytest.raises(ValidationError) as excinfo:
        give(nurse, patient, order, MORNING + timedelta(minutes=7))
    message = excinfo.value.message_dict["at"][0]
    assert "methadone 60 mg PO is ordered once daily" in message
    assert "1 dose was already given on 2026-03-10 (09:00)" in message
    assert Administration.objects.count() == 1
    [refusal] = AuditEvent.objects.filter(action="medication.administration.denied")  # the refusal is audited
    assert refusal.outcome == AuditEvent.Outcome.DENIED and refusal.actor == nurse and refusal.patient_id == patient.pk
    assert refusal.detail == {"order": order.pk, "status": "given", "rules": ["at"]}


@time_machine.travel(LATER_THAT_DAY, tick=False)
def test_a_once_daily_order_takes_the_next_program_days_dose(prescriber, nurse, admitted_long_ago):
    patient = admitted_long_ago.patient
    order = methadone(prescriber, patient)
    give(nurse, patient, order, MORNING - timedelta(days=1, hours=1))  # yesterday 08:00
    assert give(nurse, patient, order, MORNING).status == "given"  # today 09:00: a new program day


@time_machine.travel(LATER_THAT_DAY, tick=False)
def test_a_dose_sooner_than_the_orders_minimum_interval_is_refused_with_the_next_allowed_time(
    prescriber, nurse, admitted_long_ago
):
    patient = admitted_long_ago.patient
    order = methadone(prescriber, patient, times_per_day=2, min_interval_hours=Decimal("8"))
    give(nurse, patient, order, MORNING)
    with pytest.raises(ValidationError) as excinfo:
        give(nurse, patient, order, MORNING + timedelta(hours=3))
    message = excinfo.value.message_dict["at"][0]
    assert "twice daily, at least 8 h apart" in message and "The next dose may be given from" in message
    assert give(nurse, patient, order, MORNING + timedelta(hours=8)).status == "given"


def test_an_order_needs_doses_per_day_and_an_interval_that_fits_a_day(prescriber, admitted):
    with pytest.raises(ValidationError) as excinfo:
        methadone(prescriber, admitted.patient, times_per_day=None, frequency="once daily")
    assert "how many doses a day" in excinfo.value.message_dict["times_per_day"][0]
    with pytest.raises(ValidationError) as excinfo:
        methadone(prescriber, admitted.patient, times_per_day=4, min_interval_hours=8)
    assert excinfo.value.message_dict["min_interval_hours"] == ["4 doses at least 8 h apart do not fit in one day."]
    assert not MedicationOrder.objects.exists()


def test_the_free_text_frequency_is_only_an_added_instruction(prescriber, admitted):
    order = methadone(prescriber, admitted.patient, times_per_day=2, min_interval_hours=8, frequency="with food")
    assert order.schedule == "twice daily, at least 8 h apart; with food"


# --- two opioid agonists ---------------------------------------------------------------------------------


def test_methadone_beside_an_active_buprenorphine_order_needs_the_prescribers_reason(prescriber, admitted):
    patient = admitted.patient
    bup_induction(prescriber, patient, phase="maintenance", times_per_day=1, min_interval_hours=None)
    with pytest.raises(ValidationError) as excinfo:
        methadone(prescriber, patient, dose=Decimal("900"))
    message = excinfo.value.message_dict["agonist_override_reason"][0]
    assert "already has an active opioid-agonist order: buprenorphine 4 mg SL" in message
    assert MedicationOrder.objects.count() == 1
    second = methadone(prescriber, patient, agonist_override_reason="Cross-taper from buprenorphine, day 1 of 3")
    assert second.agonist_override_reason == "Cross-taper from buprenorphine, day 1 of 3"
    event = AuditEvent.objects.get(action="medication.order.create", object_id=str(second.pk))
    assert event.detail["agonist_override"]["reason"] == "Cross-taper from buprenorphine, day 1 of 3"
    assert TimelineEntry.objects.filter(summary__contains="second opioid agonist beside buprenorphine").exists()


def test_a_stopped_buprenorphine_order_needs_no_override(prescriber, admitted):
    patient = admitted.patient
    from django.utils import timezone

    old = bup_induction(
        prescriber, patient, phase="maintenance", start_at=timezone.now() - timedelta(days=3), min_interval_hours=None
    )
    services.stop_order(acting_user=prescriber, order=old, stop_at=timezone.now() - timedelta(days=1), reason="ended")
    made = methadone(prescriber, patient, start_at=timezone.now() - timedelta(hours=1))
    assert made.agonist_override_reason == ""


# --- buprenorphine induction and COWS --------------------------------------------------------------------


@time_machine.travel(LATER_THAT_DAY, tick=False)
def test_an_induction_dose_with_no_cows_ever_recorded_needs_a_reason_and_the_reason_is_audited(
    prescriber, nurse, admitted_long_ago
):
    patient = admitted_long_ago.patient
    order = bup_induction(prescriber, patient)
    with pytest.raises(ValidationError) as excinfo:
        give(nurse, patient, order, MORNING)
    assert excinfo.value.message_dict["cows_override_reason"][0].startswith("No COWS has been recorded")
    assert not Administration.objects.exists()
    given = give(nurse, patient, order, MORNING, cows_override_reason="Precipitated withdrawal ruled out by MD")
    event = AuditEvent.objects.get(action="medication.administration.given", object_id=str(given.pk))
    assert event.detail["cows"] is None
    assert event.detail["cows_override_reason"] == "Precipitated withdrawal ruled out by MD"


@time_machine.travel(LATER_THAT_DAY, tick=False)
def test_an_induction_dose_below_the_program_threshold_needs_a_reason(prescriber, nurse, admitted_long_ago):
    patient, program = admitted_long_ago.patient, admitted_long_ago.program
    program_settings.change(program, "withdrawal.induction_threshold_cows", 12, acting_user=prescriber)
    order = bup_induction(prescriber, patient)
    cows_at(nurse, patient, MORNING - timedelta(minutes=20))  # 9
    with pytest.raises(ValidationError) as excinfo:
        give(nurse, patient, order, MORNING)
    assert (
        "The latest COWS (9) is below the program's induction threshold of 12"
        in (excinfo.value.message_dict["cows_override_reason"][0])
    )
    cows_at(nurse, patient, MORNING - timedelta(minutes=10), gooseflesh=5)  # 14
    given = give(nurse, patient, order, MORNING)
    assert given.cows_override_reason == ""


@time_machine.travel(LATER_THAT_DAY, tick=False)
def test_an_induction_dose_after_a_cows_older_than_the_programs_window_needs_a_reason(
    prescriber, nurse, admitted_long_ago
):
    patient, program = admitted_long_ago.patient, admitted_long_ago.program
    program_settings.change(program, "medication.induction_cows_window_minutes", 60, acting_user=prescriber)
    order = bup_induction(prescriber, patient)
    cows_at(nurse, patient, MORNING - timedelta(minutes=90), gooseflesh=5)
    with pytest.raises(ValidationError) as excinfo:
        give(nurse, patient, order, MORNING)
    assert (
        "older than the program's window of 1 h before a dose"
        in (excinfo.value.message_dict["cows_override_reason"][0])
    )


def test_the_dose_form_shows_the_latest_cows_its_time_and_the_threshold(page, prescriber, nurse, admitted):
    from django.utils import timezone

    patient, program = admitted.patient, admitted.program
    program_settings.change(program, "withdrawal.induction_threshold_cows", 12, acting_user=prescriber)
    bup_induction(prescriber, patient, start_at=timezone.now() - timedelta(hours=2))
    taken = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=30)
    cows_at(nurse, patient, taken)
    html = page(nurse).get(f"/patients/{patient.pk}/medication/administer/").content.decode()
    assert "Latest COWS: <strong>9</strong>" in html
    assert timezone.localtime(taken, program.tz).strftime("%Y-%m-%d %H:%M") in html
    assert "<strong>COWS 12 or more</strong>" in html
    assert "is below the program&#x27;s induction threshold of 12" in html
    assert "withdrawal.induction_threshold_cows" not in html


def test_the_api_refuses_an_induction_dose_without_cows_naming_the_override_field(api, prescriber, nurse, admitted):
    from django.utils import timezone

    patient = admitted.patient
    order = bup_induction(prescriber, patient, start_at=timezone.now() - timedelta(hours=2))
    url = f"/api/v1/patients/{patient.pk}/moud-administrations/"
    body = {"order": order.pk, "status": "given", "dose": "4", "at": timezone.now().isoformat()}
    refused = api(nurse).post(url, body, format="json")
    assert refused.status_code == 400 and list(refused.json()) == ["cows_override_reason"]
    given = api(nurse).post(url, body | {"cows_override_reason": "Prescriber at bedside"}, format="json")
    assert given.status_code == 201 and given.json()["cows_override_reason"] == "Prescriber at bedside"


# --- ceilings in words -----------------------------------------------------------------------------------


def test_a_program_with_no_ceiling_is_flagged_in_words_on_the_prescribers_pages(page, prescriber, admitted):
    patient = admitted.patient
    for url in (f"/patients/{patient.pk}/medication/", f"/patients/{patient.pk}/medication/orders/new/"):
        html = page(prescriber).get(url).content.decode()
        assert "No dose ceiling set by this program for Buprenorphine, Buprenorphine-naloxone, Methadone" in html
        assert "medication.max_dose_mg" not in html and "medication.max_daily_mg" not in html


def test_the_demo_programs_ceilings_are_shown_as_demo_values(page, prescriber, admitted):
    from waypoint.medication.demo import set_demo_ceilings

    set_demo_ceilings(admitted.program, prescriber)
    html = page(prescriber).get(f"/patients/{admitted.patient.pk}/medication/").content.decode()
    assert "Demo values — not clinical guidance" in html and "No dose ceiling set" not in html


# --- the data migration ----------------------------------------------------------------------------------

MIGRATION = importlib.import_module("waypoint.medication.migrations.0004_structured_frequency")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("once daily", (1, None)),
        ("daily", (1, None)),
        ("twice daily", (2, None)),
        ("BID", (2, None)),
        ("three times a day", (3, None)),
        ("every 2 hours as needed", (12, 120)),
        ("every 8 h", (3, 480)),
        ("as directed", (None, None)),
    ],
)
def test_the_migration_reads_existing_frequencies_and_guesses_nothing(text, expected):
    assert MIGRATION.parse(text) == expected


@pytest.mark.django_db(transaction=True)
def test_the_migration_structures_existing_orders(prescriber, admitted):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    patient = admitted.patient
    executor = MigrationExecutor(connection)
    executor.migrate([("medication", "0003_order_updated_at")])
    old_apps = executor.loader.project_state([("medication", "0003_order_updated_at")]).apps
    Order = old_apps.get_model("medication", "MedicationOrder")
    common = {
        "program_id": patient.program_id,
        "patient_id": patient.pk,
        "dose": Decimal("4"),
        "route": "sublingual",
        "prescriber_id": prescriber.pk,
        "start_at": admitted.admitted_at,
    }
    daily = Order.objects.create(medication="methadone", frequency="once daily", **common)
    prn = Order.objects.create(medication="buprenorphine", frequency="every 2 hours as needed", **common)
    vague = Order.objects.create(medication="naltrexone_er", frequency="as directed", **common)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    found = {o.pk: o for o in MedicationOrder.objects.all()}
    assert (found[daily.pk].times_per_day, found[daily.pk].min_interval_minutes) == (1, None)
    assert (found[prn.pk].times_per_day, found[prn.pk].min_interval_minutes) == (12, 120)
    assert found[vague.pk].times_per_day is None and "free text only" in found[vague.pk].schedule
