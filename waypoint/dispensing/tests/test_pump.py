"""The dispensing pump: the window asks for the dose's volume under a dose id and records the volume the pump
reports (a short pour as the smaller dose it was, an over-pour as the ordered dose plus a ledger adjustment); a
pump that fails or pours nothing refuses the dose, saving nothing. The simulator stands in for a real adapter."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from waypoint.accounts import program_settings
from waypoint.dispensing import pump as pumps
from waypoint.dispensing import services
from waypoint.dispensing.models import LedgerEntry, WindowDose
from waypoint.dispensing.pump import SimulatedPump, concentration
from waypoint.medication.models import Administration
from waypoint.privacy.models import AuditEvent


def test_the_concentration_is_read_from_a_liquid_lots_strength_only():
    assert concentration("10 mg/mL") == Decimal("10")
    assert concentration("10mg/1 ml") == Decimal("10")
    assert concentration("50 mg/5 mL") == Decimal("10")
    assert concentration("8 mg") is None and concentration("") is None


def test_the_pumps_reported_volume_is_what_the_record_and_the_ledger_get(nurse, patient, order, lot):
    simulator = SimulatedPump()
    record = services.dispense(acting_user=nurse, patient=patient, amount="60", lot=lot, pump=simulator)
    window = WindowDose.objects.get(administration=record)
    assert (window.asked_ml, window.dispensed_ml) == (Decimal("6.00"), Decimal("6.00"))
    assert simulator.poured == {window.pump_dose_id: Decimal("6.00")}
    assert record.dose == Decimal("60") and services.balance(lot) == Decimal("9940")
    event = AuditEvent.objects.filter(action="dispensing.dose").latest("id")
    assert event.detail["dispensed_ml"] == "6.00"


def test_a_short_pour_is_recorded_as_the_dose_it_was(nurse, patient, order, lot):
    record = services.dispense(
        acting_user=nurse, patient=patient, amount="60", lot=lot, pump=SimulatedPump(short_by_ml=Decimal("0.5"))
    )
    assert record.dose == Decimal("55") and "poured 5.50 mL of the 6.00 mL asked" in record.note
    assert LedgerEntry.objects.get(administration=record).quantity_mg == Decimal("-55")
    assert services.balance(lot) == Decimal("9945")


def test_an_over_pour_records_the_ordered_dose_and_the_excess_in_the_ledger(nurse, patient, order, lot):
    record = services.dispense(
        acting_user=nurse, patient=patient, amount="60", lot=lot, pump=SimulatedPump(over_by_ml=Decimal("0.2"))
    )
    assert record.dose == Decimal("60")
    adjustment = LedgerEntry.objects.get(kind="adjustment")
    assert adjustment.quantity_mg == Decimal("-2") and "6.20 mL for 6.00 mL" in adjustment.note
    assert services.balance(lot) == Decimal("9938")


@pytest.mark.parametrize("simulator", [SimulatedPump(fail="not primed"), SimulatedPump(short_by_ml=Decimal("6"))])
def test_a_pump_that_pours_nothing_refuses_the_dose_and_saves_nothing(nurse, patient, order, lot, simulator):
    with pytest.raises(ValidationError) as caught:
        services.dispense(acting_user=nurse, patient=patient, amount="60", lot=lot, pump=simulator)
    assert "nothing is recorded" in caught.value.message_dict["pump"][0]
    assert not Administration.objects.exists() and services.balance(lot) == Decimal("10000")
    assert AuditEvent.objects.latest("id").detail["rule"] == "pump"


def test_the_program_chooses_its_installed_pump_and_the_dose_page_uses_it(
    clock, nurse, director, program, patient, order, lot, page, monkeypatch
):
    simulator = SimulatedPump()
    with pytest.raises(ValidationError):
        program_settings.change(program, "dispensing.pump", "simulator", acting_user=director)
    monkeypatch.setitem(pumps.ADAPTERS, "simulator", lambda: simulator)
    program_settings.change(program, "dispensing.pump", "simulator", acting_user=director)
    page(nurse).post(reverse("dispensing:dose", args=[patient.pk]), {"amount": "60", "lot": lot.pk})
    assert list(simulator.poured.values()) == [Decimal("6.00")]
    assert WindowDose.objects.get().dispensed_ml == Decimal("6.00")
