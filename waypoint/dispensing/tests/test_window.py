"""The dosing window: each refusal at its boundary (no order, a hold, a missed-dose hold, today's dose or split
part already given, a dose that differs from the order, a lot that cannot cover it), audited and saving nothing;
a dose given is one transaction with its administration, lot, ledger outflow and audit event."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from waypoint.accounts import program_settings
from waypoint.dispensing import services
from waypoint.dispensing.models import Hold, LedgerEntry, WindowDose
from waypoint.medication.models import Administration
from waypoint.privacy.models import AuditEvent

from .conftest import MORNING, order_methadone


def dose(nurse, patient, lot, amount="60", at=None):
    return services.dispense(acting_user=nurse, patient=patient, amount=amount, lot=lot, at=at)


def refused(rule, call):
    before = (Administration.objects.count(), LedgerEntry.objects.count(), WindowDose.objects.count())
    with pytest.raises(ValidationError) as caught:
        call()
    assert rule in caught.value.message_dict
    assert (Administration.objects.count(), LedgerEntry.objects.count(), WindowDose.objects.count()) == before
    event = AuditEvent.objects.order_by("-id").first()
    assert event.outcome == "denied" and event.detail["rule"] == rule
    return " ".join(caught.value.message_dict[rule])


def test_a_dose_is_the_administration_the_lot_the_ledger_and_the_audit_in_one(nurse, patient, order, lot):
    record = dose(nurse, patient, lot)
    assert record.status == "given" and record.dose == Decimal("60") and record.order == order
    assert record.window_dose.lot == lot and record.window_dose.part == 1
    entry = LedgerEntry.objects.get(administration=record)
    assert entry.kind == "observed" and entry.quantity_mg == Decimal("-60")
    assert services.balance(lot) == Decimal("9940")
    assert AuditEvent.objects.filter(action="dispensing.dose", outcome="success", patient_id=patient.pk).count() == 1


def test_no_active_order_is_refused(nurse, patient, lot, prescriber, clock):
    message = refused("order", lambda: dose(nurse, patient, lot))
    assert "No active MOUD order" in message
    # the boundary: an order that starts a minute from now is not in force yet
    order_methadone(prescriber, patient, start_at=MORNING + timedelta(minutes=1))
    refused("order", lambda: dose(nurse, patient, lot))
    clock.shift(timedelta(minutes=1))
    assert dose(nurse, patient, lot).status == "given"


def test_todays_dose_already_given_is_refused_and_tomorrow_it_is_due(nurse, patient, order, lot, clock):
    dose(nurse, patient, lot)
    message = refused("already_given", lambda: dose(nurse, patient, lot))
    assert "Today's dose was already given" in message and "08:30" in message
    clock.move_to(MORNING.replace(hour=23, minute=59))  # still the same program day
    refused("already_given", lambda: dose(nurse, patient, lot))
    clock.move_to(MORNING.replace(hour=0, minute=0) + timedelta(days=1))  # the next program day
    assert dose(nurse, patient, lot).status == "given"


def test_a_split_dose_gives_each_part_once(nurse, patient, prescriber, lot, clock):
    order_methadone(prescriber, patient, dose=Decimal("40"), times_per_day=2, min_interval_hours=6)
    first = dose(nurse, patient, lot, "40")
    clock.shift(timedelta(hours=7))
    second = dose(nurse, patient, lot, "40")
    assert (first.window_dose.part, second.window_dose.part, second.window_dose.of_parts) == (1, 2, 2)
    message = refused("already_given", lambda: dose(nurse, patient, lot, "40"))
    assert "All 2 parts of today's split dose" in message


def test_a_dose_that_differs_from_the_order_is_refused_either_way(nurse, patient, order, lot):
    assert "differs from the order" in refused("dose", lambda: dose(nurse, patient, lot, "60.01"))
    refused("dose", lambda: dose(nurse, patient, lot, "59.99"))
    assert dose(nurse, patient, lot, "60.00").dose == Decimal("60")


def test_a_lot_of_another_medication_or_too_little_stock_is_refused(nurse, patient, order, program, lot):
    bup = services.receive_stock(
        acting_user=nurse,
        program=program,
        medication_code="buprenorphine",
        strength="8 mg tablet",
        lot_number="B1",
        quantity_mg="80",
    ).lot
    assert "not methadone" in refused("lot", lambda: dose(nurse, patient, bup))
    small = services.receive_stock(
        acting_user=nurse,
        program=program,
        medication_code="methadone",
        strength="10 mg/mL",
        lot_number="S1",
        quantity_mg="59.99",
    ).lot
    assert "less than 60" in refused("lot", lambda: dose(nurse, patient, small))


def test_a_hold_refuses_with_who_set_it_and_how_to_lift_it(nurse, prescriber, patient, order, lot):
    hold = services.set_hold(acting_user=nurse, patient=patient, kind="clinical", reason="Breath alcohol 0.04")
    message = refused("hold", lambda: dose(nurse, patient, lot))
    assert "Clinical hold set by" in message and "Breath alcohol 0.04" in message
    assert "A prescriber lifts it" in message
    with pytest.raises(PermissionDenied):  # a nurse does not lift a clinical hold
        services.lift_hold(acting_user=nurse, hold=hold, note="sober now")
    assert AuditEvent.objects.order_by("-id").first().outcome == "denied"
    with pytest.raises(ValidationError):
        services.lift_hold(acting_user=prescriber, hold=hold, note=" ")
    services.lift_hold(acting_user=prescriber, hold=hold, note="Reassessed: breath alcohol 0.00")
    assert dose(nurse, patient, lot).status == "given"


def test_an_administrative_hold_is_lifted_by_a_nurse(nurse, patient, order, lot):
    hold = services.set_hold(acting_user=nurse, patient=patient, kind="administrative", reason="Fees unpaid")
    refused("hold", lambda: dose(nurse, patient, lot))
    services.lift_hold(acting_user=nurse, hold=hold, note="Settled")
    assert Hold.objects.get(pk=hold.pk).lifted_by == nurse
    assert dose(nurse, patient, lot).status == "given"


def test_missed_dose_hold_after_the_program_set_number_of_days(nurse, prescriber, patient, lot, administrator, clock):
    order_methadone(prescriber, patient, start_at=MORNING - timedelta(days=10))
    dose(nurse, patient, lot, at=MORNING - timedelta(days=3))  # last dose three days ago: two days missed since
    # no program setting: no missed-dose hold (the reference publishes no number)
    assert services.check_dose(patient, "60", MORNING, lot)[0] == {}
    program_settings.change(patient.program, "dispensing.missed_dose_hold_days", 3, acting_user=administrator)
    patient.program.__dict__.pop("_setting_values", None)
    assert services.check_dose(patient, "60", MORNING, lot)[0] == {}  # 2 missed < 3
    program_settings.change(patient.program, "dispensing.missed_dose_hold_days", 2, acting_user=administrator)
    patient.program.__dict__.pop("_setting_values", None)
    message = refused("hold", lambda: dose(nurse, patient, lot))
    assert "2 consecutive days without a dose" in message and "Consecutive missed days" in message
    missed = Hold.objects.get(kind="missed_doses", lifted_at__isnull=True)  # the refusal set it
    assert missed.set_by == nurse and "2 consecutive days" in missed.reason
    assert "Missed-dose reassessment set by" in refused("hold", lambda: dose(nurse, patient, lot))
    with pytest.raises(PermissionDenied):
        services.lift_hold(acting_user=nurse, hold=missed, note="seen")
    services.lift_hold(acting_user=prescriber, hold=missed, note="Reassessed; dose continued")
    assert dose(nurse, patient, lot).status == "given"  # the days before the lift no longer count


def test_another_programs_lot_is_refused(nurse, patient, order, north, north_nurse):
    from waypoint.dispensing.models import StockLot

    other = StockLot.objects.create(program=north, medication="methadone", strength="10 mg/mL", lot_number="N1")
    refused("lot", lambda: dose(nurse, patient, other))


def test_the_queue_shows_who_is_due_dosed_held_and_finds_by_name_or_mrn(nurse, patient, order, lot, prescriber):
    from conftest import patient_fields
    from waypoint.accounts.models import CareTeam
    from waypoint.patients import services as patients
    from waypoint.patients.access import visible_patients

    team = CareTeam.objects.get(name="Harbor team")
    other = patients.register_patient(
        acting_user=nurse,
        program=patient.program,
        care_team=team,
        **patient_fields(mrn="W-2002", given_name="Sam", family_name="Okafor"),
    )
    order_methadone(prescriber, other)
    rows = services.queue(visible_patients(nurse), patient.program)
    assert [(r.patient.mrn, r.status) for r in rows] == [("W-2002", "Due"), ("W-1001", "Due")]
    dose(nurse, patient, lot)
    services.set_hold(acting_user=nurse, patient=other, kind="clinical", reason="Sedated")
    rows = services.queue(visible_patients(nurse), patient.program)
    assert [(r.patient.mrn, r.status) for r in rows] == [("W-2002", "On hold"), ("W-1001", "Dosed")]
    assert [r.patient.mrn for r in services.queue(visible_patients(nurse), patient.program, search="okaf")] == [
        "W-2002"
    ]
    assert [r.patient.mrn for r in services.queue(visible_patients(nurse), patient.program, search="W-1001")] == [
        "W-1001"
    ]
