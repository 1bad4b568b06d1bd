"""Guest patients from another OTP (the sending program's order and dates become a local order for those days
only) and replacement doses (a spill, a lost take-home bottle): each refusal at its boundary, audited, saving
nothing; a replacement is an outflow of its lot, signed by a second staff member where the program requires it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from waypoint.accounts import program_settings
from waypoint.dispensing import services
from waypoint.dispensing.models import GuestDosing, LedgerEntry, ReplacementDose
from waypoint.medication.models import MedicationOrder
from waypoint.privacy.models import AuditEvent

from .conftest import MORNING


def refused(rule, call, model):
    before = (model.objects.count(), LedgerEntry.objects.count(), MedicationOrder.objects.count())
    with pytest.raises(ValidationError) as caught:
        call()
    assert rule in caught.value.message_dict
    assert (model.objects.count(), LedgerEntry.objects.count(), MedicationOrder.objects.count()) == before
    event = AuditEvent.objects.order_by("-id").first()
    assert event.outcome == "denied" and event.detail["rule"] == rule
    return " ".join(caught.value.message_dict[rule])


def guest(prescriber, patient, **overrides):
    today = MORNING.date()
    fields = {
        "sending_program": "Harbor OTP, Boston",
        "sending_contact": "Nurse Kim, 617-555-0100",
        "medication_code": "methadone",
        "dose": "80",
        "last_dose_on": today - timedelta(days=1),
        "first_day": today,
        "last_day": today + timedelta(days=2),
    }
    return services.accept_guest(acting_user=prescriber, patient=patient, **(fields | overrides))


def test_a_guest_is_dosed_on_the_sending_programs_order_for_its_days_only(clock, nurse, prescriber, patient, lot, page):
    accepted = guest(prescriber, patient)
    assert accepted.order.dose == Decimal("80") and "Harbor OTP" in accepted.order.instructions
    queue = page(nurse).get(reverse("dispensing:queue")).content.decode()
    assert "Guest from Harbor OTP, Boston until 2026-03-12" in queue
    services.dispense(acting_user=nurse, patient=patient, amount="80", lot=lot)
    clock.move_to(MORNING + timedelta(days=3))  # the day after the last guest day: no order in force
    with pytest.raises(ValidationError) as caught:
        services.dispense(acting_user=nurse, patient=patient, amount="80", lot=lot)
    assert "order" in caught.value.message_dict


def test_a_guest_is_refused_without_the_sending_programs_facts_or_with_days_out_of_order(
    clock, nurse, prescriber, patient
):
    today = MORNING.date()
    assert "Name the sending program" in refused(
        "sending_program", lambda: guest(prescriber, patient, sending_program=" "), GuestDosing
    )
    refused("sending_contact", lambda: guest(prescriber, patient, sending_contact=""), GuestDosing)
    refused("first_day", lambda: guest(prescriber, patient, first_day=today - timedelta(days=1)), GuestDosing)
    refused("last_day", lambda: guest(prescriber, patient, last_day=today - timedelta(days=1)), GuestDosing)
    refused("last_dose_on", lambda: guest(prescriber, patient, last_dose_on=today), GuestDosing)
    refused("dose", lambda: guest(prescriber, patient, dose="0"), GuestDosing)
    with pytest.raises(PermissionDenied):  # a nurse does not accept a guest: a prescriber writes the order
        guest(nurse, patient)
    assert guest(prescriber, patient, last_day=today).first_day == today  # the boundary: a single day


def replace(nurse, patient, lot, **overrides):
    fields = {"reason": "spill", "note": "Cup knocked over at the window", "amount": "60", "lot": lot}
    return services.replace_dose(acting_user=nurse, patient=patient, **(fields | overrides))


def test_a_spilled_dose_is_replaced_once_from_the_lot(clock, nurse, patient, order, lot):
    message = refused("reason", lambda: replace(nurse, patient, lot), ReplacementDose)
    assert "No dose was given today" in message
    services.dispense(acting_user=nurse, patient=patient, amount="60", lot=lot)
    refused("dose", lambda: replace(nurse, patient, lot, amount="60.01"), ReplacementDose)
    refused("note", lambda: replace(nurse, patient, lot, note=""), ReplacementDose)
    replacement = replace(nurse, patient, lot)
    assert replacement.replaces_administration is not None and replacement.second_signer is None
    entry = LedgerEntry.objects.get(kind="replacement")
    assert entry.quantity_mg == Decimal("-60") and services.balance(lot) == Decimal("9880")
    assert "already replaced" in refused("reason", lambda: replace(nurse, patient, lot), ReplacementDose)


def test_a_lost_take_home_is_replaced_once_and_a_returned_bottle_is_not_lost(
    clock, nurse, prescriber, patient, order, lot, educated
):
    services.sign_take_home_decision(
        acting_user=prescriber, patient=patient, days=2, criteria=dict.fromkeys(services.CRITERIA, True), basis="ok"
    )
    first, second = services.issue_bottles(
        acting_user=nurse, patient=patient, days=[MORNING.date() + timedelta(days=n) for n in (1, 2)], lot=lot
    )
    refused("bottle", lambda: replace(nurse, patient, lot, reason="lost_take_home"), ReplacementDose)
    services.return_bottle(acting_user=nurse, bottle=second, empty=True)
    returned = refused(
        "bottle", lambda: replace(nurse, patient, lot, reason="lost_take_home", bottle=second), ReplacementDose
    )
    assert "checked in" in returned
    assert replace(nurse, patient, lot, reason="lost_take_home", bottle=first).replaces_bottle == first
    refused("bottle", lambda: replace(nurse, patient, lot, reason="lost_take_home", bottle=first), ReplacementDose)


def test_a_program_that_requires_it_refuses_a_replacement_without_a_second_signer(
    clock, nurse, second_nurse, director, program, patient, order, lot
):
    program_settings.change(program, "dispensing.replacement_second_signature", True, acting_user=director)
    services.dispense(acting_user=nurse, patient=patient, amount="60", lot=lot)
    message = refused("second_signer", lambda: replace(nurse, patient, lot), ReplacementDose)
    assert "A second staff signature for a replacement dose" in message
    refused("second_signer", lambda: replace(nurse, patient, lot, second_signer=nurse), ReplacementDose)
    replacement = replace(nurse, patient, lot, second_signer=second_nurse)
    assert replacement.second_signer == second_nurse
    assert LedgerEntry.objects.get(kind="replacement").witness == second_nurse


def test_the_replacement_page_takes_the_second_signers_password(clock, nurse, second_nurse, patient, order, lot, page):
    from conftest import PASSWORD

    services.dispense(acting_user=nurse, patient=patient, amount="60", lot=lot)
    url = reverse("dispensing:replacement-new", args=[patient.pk])
    form = {"reason": "spill", "note": "spilled", "amount": "60", "lot": lot.pk, "second_username": "nurse2"}
    client = page(nurse)
    wrong = client.post(url, form | {"second_password": "wrong"})
    assert wrong.status_code == 400 and not ReplacementDose.objects.exists()
    assert client.post(url, form | {"second_password": PASSWORD}).status_code == 302
    assert ReplacementDose.objects.get().second_signer == second_nurse


def test_the_guest_and_replacement_record_kinds_render_every_column(clock, nurse, prescriber, patient, lot):
    from waypoint.records import discovery

    guest(prescriber, patient)
    services.dispense(acting_user=nurse, patient=patient, amount="80", lot=lot)
    replace(nurse, patient, lot, amount="80")
    kinds = discovery.load()
    for key in ("guest_dosings", "replacement_doses"):
        kind = kinds[key]
        rows = list(kind.rows(patient, nurse))
        assert len(rows) == 1
        assert list(kind.render(rows[0])) == [column for column, _ in kind.columns]
