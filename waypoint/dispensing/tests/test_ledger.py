"""The controlled-substance ledger: every movement an entry, the balance derived (property: it always equals the
receipts minus every outflow, whatever the sequence, and never goes below zero); waste and spills witnessed by a
second user; a blind count by two users, the discrepancy recorded with its note and the director's sign-off."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PASSWORD
from waypoint.dispensing import services
from waypoint.dispensing.models import LedgerEntry, StockCount, StockLot
from waypoint.privacy.models import AuditEvent


def last_denied(rule, action=None):
    event = AuditEvent.objects.order_by("-id").first()
    return event.outcome == "denied" and event.detail["rule"] == rule and action in (None, event.action)


MOVES = st.lists(
    st.tuples(
        st.sampled_from(["receipt", "waste", "spill", "transfer", "adjustment"]),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2),
    ),
    max_size=12,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=MOVES)
def test_the_balance_is_always_receipts_minus_every_outflow(moves, program, nurse, second_nurse):
    lot_number = f"P{StockLot.objects.count()}"  # a fresh lot for each example (the database is the test's)
    received, out = Decimal("0"), Decimal("0")
    lot = None
    for kind, amount in [("receipt", Decimal("1")), *moves]:
        if kind == "receipt":
            lot = services.receive_stock(
                acting_user=nurse,
                program=program,
                medication_code="methadone",
                strength="10 mg/mL",
                lot_number=lot_number,
                quantity_mg=amount,
            ).lot
            received += amount
            continue
        try:
            services.record_outflow(
                acting_user=nurse, lot=lot, kind=kind, quantity_mg=amount, witness=second_nurse, note="property test"
            )
        except ValidationError as error:
            assert set(error.message_dict) == {"quantity"} and amount > received - out  # refused only for want of stock
        else:
            out += amount
        assert services.balance(lot) == received - out >= 0
    entries = LedgerEntry.objects.filter(lot=lot)
    inflow = sum((e.quantity_mg for e in entries if e.kind == "receipt"), Decimal("0"))
    outflow = sum((-e.quantity_mg for e in entries if e.kind != "receipt"), Decimal("0"))
    assert services.balance(lot) == inflow - outflow == received - out


def test_observed_doses_and_bottles_are_outflows_of_their_lot(clock, nurse, patient, order, lot):
    services.dispense(acting_user=nurse, patient=patient, amount="60", lot=lot)
    assert [(e.kind, e.quantity_mg) for e in LedgerEntry.objects.filter(lot=lot)] == [
        ("receipt", Decimal("10000")),
        ("observed", Decimal("-60")),
    ]
    assert services.balance(lot) == Decimal("9940")


def test_waste_and_spill_are_witnessed_by_a_second_user(clock, nurse, second_nurse, counselor_off_team, lot):
    for witness in (None, nurse, counselor_off_team):  # none, oneself, someone who may not dispense
        with pytest.raises(ValidationError) as caught:
            services.record_outflow(
                acting_user=nurse, lot=lot, kind="spill", quantity_mg="5", witness=witness, note="cup knocked over"
            )
        assert "witness" in caught.value.message_dict
        assert AuditEvent.objects.order_by("-id").first().detail["rule"] == "witness"
    entry = services.record_outflow(
        acting_user=nurse, lot=lot, kind="spill", quantity_mg="5", witness=second_nurse, note="cup knocked over"
    )
    assert entry.witness == second_nurse and services.balance(lot) == Decimal("9995")
    with pytest.raises(ValidationError, match="less than 9995.01"):
        services.record_outflow(acting_user=nurse, lot=lot, kind="transfer", quantity_mg="9995.01", note="to clinic B")


def test_a_blind_count_by_two_users_with_a_discrepancy(clock, nurse, second_nurse, director, lot):
    with pytest.raises(ValidationError) as caught:
        services.record_count(acting_user=nurse, lot=lot, counted_mg="10000", second_counter=nurse)
    assert "second_counter" in caught.value.message_dict
    assert services.record_count(acting_user=nurse, lot=lot, counted_mg="10000", second_counter=second_nurse)
    # recorded as counted: refusing a count that differs would tell the counters it is off before it is recorded
    count = services.record_count(acting_user=nurse, lot=lot, counted_mg="9990", second_counter=second_nurse)
    assert (count.expected_mg, count.discrepancy_mg, count.investigation_note) == (Decimal("10000"), Decimal("-10"), "")
    with pytest.raises(PermissionDenied):
        services.sign_off_count(acting_user=nurse, count=count)
    with pytest.raises(ValidationError, match="investigation note comes first"):
        services.sign_off_count(acting_user=director, count=count)
    assert last_denied("count", "dispensing.count.sign_off")
    with pytest.raises(PermissionDenied):
        services.write_investigation_note(acting_user=director, count=count, note="the director does not count")
    with pytest.raises(ValidationError) as caught:
        services.write_investigation_note(acting_user=second_nurse, count=count, note="  ")
    assert "investigation_note" in caught.value.message_dict and last_denied("investigation_note")
    services.write_investigation_note(acting_user=second_nurse, count=count, note="Pump log checked; 10 mg missing")
    with pytest.raises(ValidationError, match="already written"):
        services.write_investigation_note(acting_user=nurse, count=count, note="another story")
    count.refresh_from_db()
    assert count.investigation_note == "Pump log checked; 10 mg missing"
    assert services.sign_off_count(acting_user=director, count=count).signed_off_by == director
    matching = StockCount.objects.get(counted_mg=Decimal("10000"))
    with pytest.raises(ValidationError, match="nothing to investigate"):
        services.write_investigation_note(acting_user=nurse, count=matching, note="nothing")


def test_the_count_page_is_blind_and_takes_the_second_users_password(clock, nurse, second_nurse, lot, page):
    client = page(nurse)
    form = client.get(reverse("dispensing:count")).content.decode()
    assert "10000" not in form  # the expected balance is not shown before counting
    base = {"lot": lot.pk, "counted_mg": "9990", "second_username": "nurse2"}
    wrong = client.post(reverse("dispensing:count"), base | {"second_password": "nope"})
    assert wrong.status_code == 400 and "password is wrong" in wrong.content.decode()
    assert not StockCount.objects.exists()
    done = client.post(reverse("dispensing:count"), base | {"second_password": PASSWORD}, follow=True)
    shown = done.content.decode()
    assert "discrepancy of -10" in shown and "expected 10000" in shown  # once recorded, never before
    count = StockCount.objects.get()
    assert count.second_counter == second_nurse and "Write the investigation note" in shown
    client.post(reverse("dispensing:count-investigation", args=[count.pk]), {"investigation_note": "recounted twice"})
    count.refresh_from_db()
    assert count.investigation_note == "recounted twice"


def test_no_page_shows_one_who_counts_a_lots_balance_and_the_director_sees_it(
    clock, nurse, prescriber, second_nurse, director, lot, page
):
    services.record_outflow(acting_user=nurse, lot=lot, kind="waste", quantity_mg="2.5", witness=second_nurse, note="x")
    pages = [
        reverse("dispensing:ledger"),
        reverse("dispensing:reports") + "?report=ledger",
        reverse("dispensing:reports") + "?report=ledger&format=csv",
        reverse("dispensing:inventory"),
    ]
    for counter in (nurse, prescriber):  # everyone who may dispense may count
        for url in pages:
            answer = page(counter).get(url)
            assert answer.status_code == 200 and "9997.5" not in answer.content.decode(), (counter, url)
    assert "Not shown to those who count" in page(nurse).get(pages[0]).content.decode()
    for url in pages:
        assert "9997.50" in page(director).get(url).content.decode(), url
    refused = page(nurse).post(
        reverse("dispensing:ledger-entry"),
        {"action": "outflow", "out-lot": lot.pk, "out-kind": "transfer", "out-quantity_mg": "20000", "out-note": "x"},
    )
    assert refused.status_code == 400 and "less than 20000" in refused.content.decode()
    assert "9997.5" not in refused.content.decode()


def test_the_investigation_note_is_written_after_the_count_and_the_sign_off_waits_for_it(
    clock, nurse, second_nurse, director, lot, page, north_nurse
):
    count = services.record_count(acting_user=nurse, lot=lot, counted_mg="9990", second_counter=second_nurse)
    boss = page(director)
    assert "Awaiting the investigation note" in boss.get(reverse("dispensing:ledger")).content.decode()
    boss.post(reverse("dispensing:count-sign-off", args=[count.pk]))
    count.refresh_from_db()
    assert count.signed_off_at is None and last_denied("count", "dispensing.count.sign_off")
    url = reverse("dispensing:count-investigation", args=[count.pk])
    assert boss.post(url, {"investigation_note": "x"}).status_code == 403  # the director does not count
    assert page(north_nurse).post(url, {"investigation_note": "x"}).status_code in (403, 404)
    page(nurse).post(url, {"investigation_note": ""})
    assert last_denied("investigation_note", "dispensing.count.investigation")
    page(nurse).post(url, {"investigation_note": "Pump log: a 10 mg pour unrecorded"})
    boss.post(reverse("dispensing:count-sign-off", args=[count.pk]))
    count.refresh_from_db()
    assert (count.investigation_note, count.signed_off_by) == ("Pump log: a 10 mg pour unrecorded", director)


def test_a_receipt_and_a_witnessed_waste_from_the_page(clock, nurse, second_nurse, program, page):
    client = page(nurse)
    url = reverse("dispensing:ledger-entry")
    client.post(
        url,
        {
            "action": "receipt",
            "in-medication": "methadone",
            "in-strength": "10 mg/mL",
            "in-lot_number": "R9",
            "in-quantity_mg": "500",
        },
    )
    lot = StockLot.objects.get(lot_number="R9")
    waste = {
        "action": "outflow",
        "out-lot": lot.pk,
        "out-kind": "waste",
        "out-quantity_mg": "2.5",
        "out-note": "dropped",
    }
    unwitnessed = client.post(url, waste)
    assert unwitnessed.status_code == 400 and "witnessed by a second user" in unwitnessed.content.decode()
    client.post(url, waste | {"out-witness_username": "nurse2", "out-witness_password": PASSWORD})
    assert services.balance(lot) == Decimal("497.5")
    ledger = client.get(reverse("dispensing:ledger")).content.decode()
    assert "Waste (witnessed)" in ledger and "497.5" not in ledger  # the nurse may count it: no balance


def test_the_director_signs_off_a_discrepancy_from_the_ledger(clock, nurse, second_nurse, director, lot, page):
    count = services.record_count(
        acting_user=nurse, lot=lot, counted_mg="9990", second_counter=second_nurse, investigation_note="short 10 mg"
    )
    assert "Awaiting the director" in page(nurse).get(reverse("dispensing:ledger")).content.decode()
    boss = page(director)
    assert "Sign off" in boss.get(reverse("dispensing:ledger")).content.decode()
    assert page(nurse).post(reverse("dispensing:count-sign-off", args=[count.pk])).status_code == 403
    boss.post(reverse("dispensing:count-sign-off", args=[count.pk]))
    assert StockCount.objects.get().signed_off_by == director


WINDOW_MOVES = st.lists(
    st.tuples(
        st.sampled_from(["receipt", "dose", "spill", "waste"]),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("120"), places=2),
    ),
    max_size=10,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=WINDOW_MOVES)
def test_the_balance_is_receipts_minus_every_dose_replacement_and_waste_whatever_the_sequence(
    moves, clock, nurse, second_nurse, program, patient, order
):
    """The window's own outflows (the observed dose, a spill's replacement) among receipts and wastes, in any order,
    one day after another: each outflow is refused only for want of stock, and the balance stays receipts minus
    every outflow."""
    from datetime import timedelta

    lot_number = f"W{StockLot.objects.count()}"
    received, out = Decimal("0"), Decimal("0")
    lot = services.receive_stock(
        acting_user=nurse,
        program=program,
        medication_code="methadone",
        strength="10 mg/mL",
        lot_number=lot_number,
        quantity_mg=Decimal("1"),
    ).lot
    received += Decimal("1")
    for kind, amount in moves:
        if kind == "receipt":
            services.receive_stock(
                acting_user=nurse,
                program=program,
                medication_code="methadone",
                strength="10 mg/mL",
                lot_number=lot_number,
                quantity_mg=amount,
            )
            received += amount
            continue
        if kind == "dose":
            clock.shift(timedelta(days=1))  # one observed dose a day
            amount = Decimal("60")  # the order's dose
        if kind == "spill":
            amount = min(amount, Decimal("60"))  # at most the ordered dose
        try:
            if kind == "dose":
                services.dispense(acting_user=nurse, patient=patient, amount=amount, lot=lot)
            elif kind == "spill":
                services.replace_dose(
                    acting_user=nurse, patient=patient, reason="spill", note="cup dropped", amount=amount, lot=lot
                )
            else:
                services.record_outflow(
                    acting_user=nurse, lot=lot, kind="waste", quantity_mg=amount, witness=second_nurse, note="wasted"
                )
        except ValidationError as error:
            rules = set(error.message_dict)
            short = amount > received - out
            allowed = {"dose": {"lot"}, "waste": {"quantity"}, "spill": {"lot", "reason"}}[
                kind
            ]  # stock; no dose to replace
            assert rules and rules <= allowed, rules
            assert short == bool(rules & {"lot", "quantity"}), (rules, amount, received - out)
        else:
            out += amount
        assert services.balance(lot) == received - out >= 0
    entries = LedgerEntry.objects.filter(lot=lot)
    outflow = sum((-e.quantity_mg for e in entries if e.kind != "receipt"), Decimal("0"))
    assert outflow == out and services.balance(lot) == received - out
