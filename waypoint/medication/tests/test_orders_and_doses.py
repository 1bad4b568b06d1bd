"""MOUD orders and the dose record: only prescribers order; a dose needs an active order; ceilings are the
program's and refuse naming `dose`; nothing is written when refused."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.conftest import COWS
from waypoint.accounts import program_settings
from waypoint.medication import services
from waypoint.medication.doses import induction_doses, pair_with_cows
from waypoint.medication.models import Administration, MedicationOrder
from waypoint.patients.models import TimelineEntry
from waypoint.privacy.models import AuditEvent
from waypoint.withdrawal import board
from waypoint.withdrawal import services as withdrawal

NOW = timezone.now


def order(prescriber, patient, **overrides):
    fields = {
        "medication": "buprenorphine",
        "dose": Decimal("4"),
        "route": "sublingual",
        "times_per_day": 12,
        "frequency": "as needed",
        "phase": "induction",
        "start_at": NOW() - timedelta(hours=6),
    }
    return services.order_medication(acting_user=prescriber, patient=patient, **(fields | overrides))


def give(nurse, patient, the_order, dose="4", at=None, **extra):
    return services.record_administration(
        acting_user=nurse,
        patient=patient,
        order=the_order,
        status="given",
        dose=dose,
        at=at or NOW() - timedelta(minutes=10),
        **extra,
    )


def errors_of(excinfo):
    return excinfo.value.message_dict


def test_a_prescriber_orders_and_the_timeline_and_audit_say_so(prescriber, admitted):
    patient = admitted.patient
    made = order(prescriber, patient)
    assert made.label == "buprenorphine 4 mg SL" and made.episode == admitted
    assert TimelineEntry.objects.filter(patient=patient, kind="medication.order").exists()
    assert AuditEvent.objects.filter(action="medication.order.create", patient_id=patient.pk).exists()


def test_a_nurse_may_not_order_moud(nurse, admitted):
    with pytest.raises(PermissionDenied):
        order(nurse, admitted.patient)
    assert not MedicationOrder.objects.exists()


def test_an_order_above_the_programs_single_dose_ceiling_is_refused_naming_dose_and_setting(prescriber, admitted):
    program_settings.change(admitted.patient.program, "medication.max_dose_mg.buprenorphine", 8, acting_user=prescriber)
    with pytest.raises(ValidationError) as excinfo:
        order(prescriber, admitted.patient, dose=Decimal("12"))
    message = errors_of(excinfo)["dose"][0]
    assert "12 mg is above the program's single-dose ceiling" in message
    assert "program setting “Buprenorphine single-dose ceiling (mg)”: 8" in message
    assert not MedicationOrder.objects.exists()


def test_without_a_program_ceiling_no_ceiling_applies(prescriber, nurse, admitted):
    made = order(
        prescriber, admitted.patient, medication="methadone", route="oral", dose=Decimal("120"), phase="maintenance"
    )
    assert give(nurse, admitted.patient, made, dose="120").dose == Decimal("120")


def test_route_unit_and_phase_must_fit_the_medication(prescriber, admitted):
    with pytest.raises(ValidationError) as excinfo:
        order(
            prescriber,
            admitted.patient,
            medication="naltrexone_er",
            route="oral",
            unit="mL",
            phase="induction",
            dose=Decimal("380"),
        )
    assert set(errors_of(excinfo)) == {"route", "unit", "phase"}


def test_an_overlapping_order_of_the_same_medication_is_refused(prescriber, admitted):
    order(prescriber, admitted.patient)
    with pytest.raises(ValidationError) as excinfo:
        order(prescriber, admitted.patient, start_at=NOW() - timedelta(hours=1))
    assert "overlaps" in errors_of(excinfo)["medication"][0]


def test_a_dose_without_any_order_is_refused_naming_order(nurse, admitted):
    with pytest.raises(ValidationError) as excinfo:
        services.record_administration(
            acting_user=nurse, patient=admitted.patient, order=None, status="given", dose="4", at=NOW()
        )
    assert "a prescriber must order the medication first" in errors_of(excinfo)["order"][0]
    assert not Administration.objects.exists()


def test_a_dose_outside_the_orders_time_is_refused_naming_order(prescriber, nurse, admitted):
    patient = admitted.patient
    made = order(prescriber, patient, start_at=NOW() - timedelta(hours=6))
    with pytest.raises(ValidationError) as excinfo:
        give(nurse, patient, made, at=NOW() - timedelta(hours=7))
    assert "No active order" in errors_of(excinfo)["order"][0] and "it starts at" in errors_of(excinfo)["order"][0]
    services.stop_order(acting_user=prescriber, order=made, stop_at=NOW() - timedelta(hours=1), reason="switched")
    with pytest.raises(ValidationError) as excinfo:
        give(nurse, patient, made, at=NOW() - timedelta(minutes=5))
    assert "it stopped at" in errors_of(excinfo)["order"][0]
    assert not Administration.objects.exists()


def test_another_patients_order_is_refused(prescriber, nurse, admitted, program, team):
    from conftest import patient_fields
    from waypoint.patients import services as patients

    other = patients.register_patient(acting_user=nurse, program=program, care_team=team, **patient_fields(mrn="W-2"))
    made = order(prescriber, other)
    with pytest.raises(ValidationError) as excinfo:
        give(nurse, admitted.patient, made)
    assert errors_of(excinfo) == {"order": ["This order belongs to another patient."]}


def test_a_dose_above_the_ordered_dose_is_refused(prescriber, nurse, admitted):
    made = order(prescriber, admitted.patient)
    with pytest.raises(ValidationError) as excinfo:
        give(nurse, admitted.patient, made, dose="6")
    assert errors_of(excinfo)["dose"] == ["6 mg is more than the ordered 4 mg."]


def test_a_dose_above_the_single_dose_ceiling_set_after_the_order_is_refused(prescriber, nurse, admitted):
    made = order(prescriber, admitted.patient, dose=Decimal("8"), phase="maintenance")
    program_settings.change(admitted.patient.program, "medication.max_dose_mg.buprenorphine", 4, acting_user=prescriber)
    with pytest.raises(ValidationError) as excinfo:
        give(nurse, admitted.patient, made, dose="8")
    assert "program setting “Buprenorphine single-dose ceiling (mg)”: 4" in errors_of(excinfo)["dose"][0]
    assert give(nurse, admitted.patient, made, dose="4").status == "given"


def test_the_daily_ceiling_counts_the_24_hours_up_to_the_dose(prescriber, nurse, admitted):
    patient = admitted.patient
    program_settings.change(
        admitted.patient.program, "medication.max_daily_mg.buprenorphine", 12, acting_user=prescriber
    )
    made = order(prescriber, patient, start_at=NOW() - timedelta(hours=30), phase="maintenance")
    give(nurse, patient, made, at=NOW() - timedelta(hours=25))  # outside the 24 hours before the next ones
    give(nurse, patient, made, at=NOW() - timedelta(hours=5))
    give(nurse, patient, made, at=NOW() - timedelta(hours=3))
    give(nurse, patient, made, at=NOW() - timedelta(hours=1))  # 12 mg in 24 h: allowed (not above)
    with pytest.raises(ValidationError) as excinfo:
        give(nurse, patient, made, dose="2", at=NOW() - timedelta(minutes=5))
    message = errors_of(excinfo)["dose"][0]
    assert "24-hour total to 14 mg" in message and "program setting “Buprenorphine 24-hour ceiling (mg)”: 12" in message
    assert Administration.objects.count() == 4


def test_held_needs_a_reason_and_only_given_doses_carry_a_dose(prescriber, nurse, admitted):
    made = order(prescriber, admitted.patient)
    with pytest.raises(ValidationError) as excinfo:
        services.record_administration(
            acting_user=nurse, patient=admitted.patient, order=made, status="held", at=NOW(), dose="4"
        )
    assert set(errors_of(excinfo)) == {"reason", "dose"}
    held = services.record_administration(
        acting_user=nurse, patient=admitted.patient, order=made, status="held", at=NOW(), reason="sedated, RR 10"
    )
    refused = services.record_administration(
        acting_user=nurse, patient=admitted.patient, order=made, status="refused", at=NOW()
    )
    assert held.dose is None and refused.status == "refused" and held.recorded_by == nurse


def test_a_counselor_may_not_record_a_dose(prescriber, counselor_off_team, admitted):
    made = order(prescriber, admitted.patient)
    with pytest.raises(PermissionDenied):
        give(counselor_off_team, admitted.patient, made)


def test_a_stop_before_a_recorded_dose_is_refused(prescriber, nurse, admitted):
    made = order(prescriber, admitted.patient, phase="maintenance")
    give(nurse, admitted.patient, made, at=NOW() - timedelta(hours=1))
    with pytest.raises(ValidationError) as excinfo:
        services.stop_order(acting_user=prescriber, order=made, stop_at=NOW() - timedelta(hours=2), reason="x")
    assert "comes after this stop" in errors_of(excinfo)["stop_at"][0]


def cows_at(nurse, patient, at, gooseflesh=0):
    return withdrawal.record_assessment(
        acting_user=nurse, patient=patient, instrument="cows", responses=COWS | {"gooseflesh": gooseflesh}, taken_at=at
    )


def test_each_induction_dose_links_to_the_cows_before_and_after_it(prescriber, nurse, admitted):
    patient = admitted.patient
    made = order(prescriber, patient)
    t = NOW() - timedelta(hours=5)
    early = cows_at(nurse, patient, t, gooseflesh=5)  # 14
    base = cows_at(nurse, patient, t + timedelta(minutes=30), gooseflesh=3)  # 12: the latest before dose 1
    first = give(nurse, patient, made, at=t + timedelta(hours=1))
    after_first = cows_at(nurse, patient, t + timedelta(hours=2))  # 9
    second = give(nurse, patient, made, at=t + timedelta(hours=3))
    rows = induction_doses(patient)
    assert [r.dose for r in rows] == [first, second]
    assert rows[0].before == base and rows[0].after == after_first and rows[0].change == 9 - 12
    assert rows[1].before == after_first and rows[1].after is None
    assert early not in (rows[0].before, rows[0].after)


def test_a_cows_taken_exactly_at_a_dose_counts_as_before_it():
    class Stub:
        def __init__(self, pk, at):
            self.pk, self.at, self.taken_at = pk, at, at

    t = NOW()
    dose, score = Stub(1, t), Stub(2, t)
    row = pair_with_cows([dose], [score])[0]
    assert row.before is score and row.after is None


def test_given_doses_reach_the_withdrawal_board_and_shorten_the_next_cows(prescriber, nurse, admitted):
    patient, program = admitted.patient, admitted.program
    program_settings.change(program, "withdrawal.post_dose_interval_hours", 1, acting_user=nurse)
    program_settings.change(program, "withdrawal.post_dose_window_hours", 6, acting_user=nurse)
    made = order(prescriber, patient)
    cows_at(nurse, patient, NOW() - timedelta(minutes=40))
    given = give(nurse, patient, made, at=NOW() - timedelta(minutes=30))
    services.record_administration(
        acting_user=nurse, patient=patient, order=made, status="held", at=NOW(), reason="sleeping"
    )
    doses = board.recent_doses([patient.pk])[patient.pk]
    assert [(d.at, d.label) for d in doses] == [(given.at, "buprenorphine 4 mg SL")]  # held is not a dose
    row = board.for_patient(program, patient)
    assert row.next_due == given.at + timedelta(hours=1)


def test_a_dose_entered_in_error_stays_but_counts_nowhere(prescriber, nurse, admitted):
    patient = admitted.patient
    program_settings.change(patient.program, "medication.max_daily_mg.buprenorphine", 4, acting_user=prescriber)
    made = order(prescriber, patient, phase="maintenance")
    wrong = give(nurse, patient, made, at=NOW() - timedelta(hours=2))
    with pytest.raises(ValidationError) as excinfo:
        services.mark_administration_in_error(acting_user=nurse, administration=wrong, reason=" ")
    assert set(errors_of(excinfo)) == {"reason"}
    services.mark_administration_in_error(acting_user=nurse, administration=wrong, reason="wrong patient")
    assert board.recent_doses([patient.pk]) == {} and induction_doses(patient) == []
    give(nurse, patient, made, at=NOW() - timedelta(hours=1))  # the 4 mg daily ceiling no longer counts it
    assert Administration.objects.count() == 2
    with pytest.raises(ValidationError):
        services.mark_administration_in_error(acting_user=nurse, administration=wrong, reason="again")
    assert AuditEvent.objects.filter(action="medication.administration.entered_in_error").count() == 1
