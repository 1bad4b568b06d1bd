"""The rest of the dosing API: take-home decisions and bottles, the stock ledger and the blind counts. Same
services and rules as the pages: a refusal is a 400 naming the rule with nothing saved (and audited), another
program's patient or lot is 404, a role that may not is 403."""

from datetime import timedelta
from decimal import Decimal

from conftest import PASSWORD
from waypoint.dispensing import services
from waypoint.dispensing.models import LedgerEntry, StockCount, StockLot, TakeHomeBottle, TakeHomeDecision
from waypoint.privacy.models import AuditEvent

from .conftest import MORNING

ALL_MET = dict.fromkeys(services.CRITERIA, True)
BASIS = "Stable attendance, negative screens, lock box seen"


def last_denied(rule):
    event = AuditEvent.objects.order_by("-id").first()
    return event.outcome == "denied" and event.detail["rule"] == rule


def test_a_take_home_decision_over_the_api_within_the_tier(
    clock, prescriber, nurse, intake, north_nurse, patient, order, api
):
    url = f"/api/v1/patients/{patient.pk}/dosing/take-home-decisions/"
    above = api(prescriber).post(url, {"days": 15, "criteria": ALL_MET, "basis": BASIS}, format="json")
    # day 21 of treatment: the program's tier from day 15 allows 14 days (federal ceiling)
    assert above.status_code == 400 and "at most 14 days" in above.json()["days"][0]
    assert "Most take-home days" in above.json()["days"][0]
    assert last_denied("days") and not TakeHomeDecision.objects.exists()
    unanswered = api(prescriber).post(
        url, {"days": 3, "criteria": {"regular_attendance": True}, "basis": BASIS}, format="json"
    )
    assert unanswered.status_code == 400 and "criteria" in unanswered.json() and not TakeHomeDecision.objects.exists()
    signed = api(prescriber).post(url, {"days": 14, "criteria": ALL_MET, "basis": BASIS}, format="json")
    assert signed.status_code == 201, signed.content
    body = signed.json()
    assert (body["days"], body["day_of_treatment"], body["signed_by"]) == (14, 21, "prescriber")
    assert body["criteria"] == ALL_MET
    assert [row["id"] for row in api(nurse).get(url).json()] == [body["id"]]
    # a nurse reads the decisions but does not sign one; intake may not; another program's staff get 404
    assert api(nurse).post(url, {"days": 1, "criteria": ALL_MET, "basis": BASIS}, format="json").status_code == 403
    assert api(intake).get(url).status_code == 403
    assert api(north_nurse).get(url).status_code == 404
    assert (
        api(north_nurse).post(url, {"days": 1, "criteria": ALL_MET, "basis": BASIS}, format="json").status_code == 404
    )
    assert TakeHomeDecision.objects.count() == 1


def test_take_home_bottles_over_the_api(clock, prescriber, nurse, intake, north_nurse, patient, order, lot, api, north):
    url = f"/api/v1/patients/{patient.pk}/dosing/take-home-bottles/"
    services.sign_take_home_decision(acting_user=prescriber, patient=patient, days=2, criteria=ALL_MET, basis=BASIS)
    services.record_safe_storage(acting_user=nurse, patient=patient)
    tomorrow = MORNING.date() + timedelta(days=1)
    days = [str(tomorrow + timedelta(days=n)) for n in range(3)]
    too_many = api(nurse).post(url, {"days": days, "lot": lot.pk}, format="json")
    assert too_many.status_code == 400 and "up to 2 days" in too_many.json()["days"][0]
    assert last_denied("days") and not TakeHomeBottle.objects.exists() and services.balance(lot) == Decimal("10000")
    north_lot = StockLot.objects.create(program=north, medication="methadone", strength="10 mg/mL", lot_number="N1")
    foreign = api(nurse).post(url, {"days": days[:2], "lot": north_lot.pk}, format="json")
    assert foreign.status_code == 400 and "lot" in foreign.json() and not TakeHomeBottle.objects.exists()
    issued = api(nurse).post(url, {"days": days[:2], "lot": lot.pk}, format="json")
    assert issued.status_code == 201, issued.content
    assert [(b["take_on"], b["dose"]) for b in issued.json()] == [(days[0], "60.00"), (days[1], "60.00")]
    assert services.balance(lot) == Decimal("9880") and LedgerEntry.objects.filter(kind="take_home").count() == 2
    assert [b["take_on"] for b in api(nurse).get(url).json()] == [days[1], days[0]]
    assert api(intake).post(url, {"days": days[2:], "lot": lot.pk}, format="json").status_code == 403
    assert api(north_nurse).post(url, {"days": days[2:], "lot": lot.pk}, format="json").status_code == 404
    assert TakeHomeBottle.objects.count() == 2


def test_the_ledger_over_the_api_the_balance_derived(
    clock, nurse, second_nurse, director, intake, north_nurse, lot, api, north
):
    url = "/api/v1/dosing/ledger/"
    received = api(nurse).post(
        url,
        {
            "kind": "receipt",
            "medication": "methadone",
            "strength": "10 mg/mL",
            "lot_number": "B7",
            "quantity_mg": "500",
        },
        format="json",
    )
    assert received.status_code == 201 and received.json()["quantity_mg"] == "500.00"
    unwitnessed = api(nurse).post(
        url, {"kind": "spill", "lot": lot.pk, "quantity_mg": "20", "note": "dropped a cup"}, format="json"
    )
    assert unwitnessed.status_code == 400 and "witness" in unwitnessed.json() and last_denied("witness")
    too_much = api(nurse).post(
        url, {"kind": "transfer", "lot": lot.pk, "quantity_mg": "10000.01", "note": "to North"}, format="json"
    )
    assert too_much.status_code == 400 and "quantity" in too_much.json()
    assert LedgerEntry.objects.count() == 2 and services.balance(lot) == Decimal("10000")
    spilled = api(nurse).post(
        url,
        {
            "kind": "spill",
            "lot": lot.pk,
            "quantity_mg": "20",
            "note": "dropped a cup",
            "witness_username": second_nurse.username,
            "witness_password": PASSWORD,
        },
        format="json",
    )
    assert spilled.status_code == 201 and spilled.json()["witness"] == "nurse2"
    assert spilled.json()["quantity_mg"] == "-20.00"
    adjusted = api(nurse).post(
        url, {"kind": "adjustment", "lot": lot.pk, "quantity_mg": "5", "note": "evaporation"}, format="json"
    )
    assert adjusted.status_code == 201
    ledger = api(nurse).get(url, {"lot": lot.pk}).json()
    assert [(x["lot_number"], x["balance_mg"]) for x in ledger["lots"]] == [("A123", None)]  # she may count it
    assert [x["balance_mg"] for x in api(director).get(url, {"lot": lot.pk}).json()["lots"]] == ["9975.00"]
    assert [e["kind"] for e in ledger["entries"]] == ["adjustment", "spill", "receipt"]
    typed = api(nurse).post(
        url, {"kind": "adjustment", "lot": lot.pk, "quantity_mg": "5", "note": "x", "balance_mg": "1"}, format="json"
    )
    assert typed.status_code == 400 and "balance_mg" in typed.json()  # the balance is never typed
    north_lot = StockLot.objects.create(program=north, medication="methadone", strength="10 mg/mL", lot_number="N1")
    foreign = api(nurse).post(
        url, {"kind": "transfer", "lot": north_lot.pk, "quantity_mg": "1", "note": "x"}, format="json"
    )
    assert foreign.status_code == 404
    assert api(nurse).get(url, {"lot": north_lot.pk}).status_code == 404
    assert api(north_nurse).get(url, {"program": "harbor"}).status_code == 404
    assert api(intake).get(url).status_code == 403
    assert (
        api(intake)
        .post(url, {"kind": "adjustment", "lot": lot.pk, "quantity_mg": "1", "note": "x"}, format="json")
        .status_code
        == 403
    )
    assert LedgerEntry.objects.count() == 4


def test_a_blind_count_by_two_users_and_the_directors_sign_off(
    clock, nurse, second_nurse, director, intake, north_nurse, lot, api
):
    url = "/api/v1/dosing/counts/"
    count = {"lot": lot.pk, "counted_mg": "9990", "second_username": "nurse2", "second_password": PASSWORD}
    # nothing the counting user reads before the count carries the expected figure
    assert "10000" not in api(nurse).get(url).content.decode()
    assert [x["balance_mg"] for x in api(nurse).get("/api/v1/dosing/ledger/").json()["lots"]] == [None]
    alone = api(nurse).post(url, count | {"second_username": "nurse"}, format="json")
    assert alone.status_code == 400 and "second_counter" in alone.json() and not StockCount.objects.exists()
    assert "10000" not in alone.content.decode()
    recorded = api(nurse).post(url, count, format="json")  # recorded as counted, though it differs
    assert recorded.status_code == 201, recorded.content
    body = recorded.json()
    assert (body["expected_mg"], body["discrepancy_mg"], body["second_counter"]) == ("10000.00", "-10.00", "nurse2")
    sign_off = f"/api/v1/dosing/counts/{body['id']}/sign-off/"
    first = api(director).post(sign_off)
    assert first.status_code == 400 and "investigation note comes first" in first.json()["count"][0]
    assert last_denied("count")
    investigation = f"/api/v1/dosing/counts/{body['id']}/investigation/"
    assert api(director).post(investigation, {"investigation_note": "x"}, format="json").status_code == 403
    assert (
        api(north_nurse)
        .post(investigation, {"investigation_note": "x"}, format="json", QUERY_STRING="program=harbor")
        .status_code
        == 404
    )
    empty = api(nurse).post(investigation, {"investigation_note": ""}, format="json")
    assert empty.status_code == 400 and "investigation_note" in empty.json()
    noted = api(second_nurse).post(investigation, {"investigation_note": "recounted; a cup was spilled"}, format="json")
    assert noted.status_code == 200 and noted.json()["investigation_note"] == "recounted; a cup was spilled"
    again = api(nurse).post(investigation, {"investigation_note": "other"}, format="json")
    assert again.status_code == 400 and "count" in again.json() and last_denied("count")
    assert api(nurse).post(sign_off).status_code == 403
    assert api(north_nurse).post(sign_off, QUERY_STRING="program=harbor").status_code == 404
    signed = api(director).post(sign_off)
    assert signed.status_code == 200 and signed.json()["signed_off_by"] == "director"
    again = api(director).post(sign_off)
    assert again.status_code == 400 and "count" in again.json()
    assert [c["signed_off_by"] for c in api(director).get(url).json()] == ["director"]
    assert api(intake).get(url).status_code == 403
    assert api(north_nurse).get(url, {"program": "harbor"}).status_code == 404
    assert StockCount.objects.count() == 1


def test_a_form_body_with_an_idempotency_key_is_refused_not_a_server_error(clock, director, api):
    """The page forms' token middleware reads a multipart body first; the API's key still hashes it (was a 500)."""
    client = api(director)
    client.raise_request_exception = False
    answer = client.post(
        "/api/v1/dosing/counts/0/sign-off/", {"x": "1"}, format="multipart", HTTP_IDEMPOTENCY_KEY="sign-off-1"
    )
    assert answer.status_code in (400, 404, 415)
