"""The dosing window's API: the same rules as the pages, a refusal a 400 naming the rule, nothing saved."""

from decimal import Decimal

from waypoint.dispensing.models import Hold, LedgerEntry
from waypoint.medication.models import Administration


def test_queue_dose_and_hold_over_the_api(clock, nurse, patient, order, lot, api):
    client = api(nurse)
    queue = client.get("/api/v1/dosing/queue/").json()
    assert [(p["mrn"], p["status"], p["due"]) for p in queue["patients"]] == [("W-1001", "Due", True)]
    refused = client.post(
        f"/api/v1/patients/{patient.pk}/dosing/doses/", {"amount": "65", "lot": lot.pk}, format="json"
    )
    assert refused.status_code == 400 and "differs from the order" in refused.json()["dose"][0]
    assert not Administration.objects.exists() and LedgerEntry.objects.count() == 1
    given = client.post(f"/api/v1/patients/{patient.pk}/dosing/doses/", {"amount": "60", "lot": lot.pk}, format="json")
    assert given.status_code == 201 and given.json()["balance_mg"] is None  # she may count the lot: blind
    again = client.post(f"/api/v1/patients/{patient.pk}/dosing/doses/", {"amount": "60", "lot": lot.pk}, format="json")
    assert again.status_code == 400 and list(again.json()) == ["already_given"]
    hold = client.post(
        f"/api/v1/patients/{patient.pk}/dosing/holds/", {"kind": "clinical", "reason": "sedated"}, format="json"
    )
    assert hold.status_code == 201 and hold.json()["how_to_lift"].startswith("A prescriber")
    blank = client.post(
        f"/api/v1/patients/{patient.pk}/dosing/holds/", {"kind": "clinical", "reason": ""}, format="json"
    )
    assert blank.status_code == 400 and "reason" in blank.json() and Hold.objects.count() == 1
    assert client.get("/api/v1/dosing/queue/").json()["patients"][0]["status"] == "On hold"
    assert Decimal(given.json()["dose"]) == Decimal("60")
