"""Comfort medications on the FHIR facade: each drug an order set keeps is a PRN MedicationRequest with its limits;
each dose given, held or refused a MedicationAdministration pointing at it; both validate strictly."""

from .test_api import body
from .validation import assert_valid


def test_the_order_is_an_as_needed_request_with_its_narrowed_limits(api, nurse, record):
    client = api(nurse)
    orders = [e["resource"] for e in body(client.get("/fhir/MedicationRequest"))["entry"]]
    (order,) = [o for o in orders if o["id"].startswith("comfort-order-")]
    assert_valid(order)
    instruction = order["dosageInstruction"][0]
    assert order["medicationCodeableConcept"]["text"] == "Loperamide" and order["status"] == "active"
    assert instruction["asNeededCodeableConcept"]["text"] == "Diarrhea"
    assert instruction["maxDosePerPeriod"]["numerator"]["value"] == 6  # narrowed by the prescriber from 8
    assert instruction["text"] == "2-4 mg PO as needed for diarrhea, at least 2 h apart, at most 6 mg per 24 h"
    read = body(client.get(f"/fhir/MedicationRequest/{order['id']}"))
    assert read["id"] == order["id"]


def test_doses_given_held_and_in_error_are_administrations_of_that_request(api, nurse, record):
    client = api(nurse)
    doses = [e["resource"] for e in body(client.get("/fhir/MedicationAdministration"))["entry"]]
    doses = [d for d in doses if d["id"].startswith("comfort-dose-")]
    for dose in doses:
        assert_valid(dose)
    assert [(d["status"], d.get("dosage", {}).get("dose", {}).get("value")) for d in doses] == [
        ("completed", 2),
        ("not-done", None),
        ("entered-in-error", 2),
    ]
    assert doses[1]["statusReason"][0]["text"] == "Held: no loose stool since the last dose"
    assert doses[0]["note"][1]["text"] == "Follow-up: eased"
    orders = [e["resource"] for e in body(client.get("/fhir/MedicationRequest"))["entry"]]
    (order,) = [o for o in orders if o["id"].startswith("comfort-order-")]
    assert {d["request"]["reference"] for d in doses} == {f"MedicationRequest/{order['id']}"}
