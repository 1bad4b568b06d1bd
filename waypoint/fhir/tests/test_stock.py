"""The controlled-substance ledger's entries that name no patient (SupplyDelivery) and its blind counts
(Observation): served to the ledger's readers of the program, valid FHIR R4 (fhirclient strict and Medplum's
validator), in a system-level export and never in a Patient export, never to an external system or another
program."""

import json

import pytest

from waypoint.bulk.tests.conftest import fetch_resources, kick_off, manifest, run_queued
from waypoint.fhir.kinds.stock import COUNTS, MOVEMENTS
from waypoint.privacy.models import AuditEvent

from .conftest import register_external
from .validation import assert_conforms

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def export_dir(tmp_path, settings):
    settings.BULK_EXPORT_DIR = tmp_path / "exports"


def search(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    bundle = json.loads(response.content)
    assert_conforms(bundle)
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def movement_codes(resources):
    return sorted(c["code"] for r in resources for c in r["type"]["coding"] if c["system"] == MOVEMENTS)


def test_the_ledgers_movements_without_a_patient_are_supply_deliveries_of_the_lot(api, nurse, record):
    movements = search(api(nurse), "/fhir/SupplyDelivery")
    assert movement_codes(movements) == ["receipt", "transfer", "waste"]  # doses and bottles are the patient's
    waste = next(r for r in movements if "waste" in movement_codes([r]))
    assert waste["suppliedItem"]["quantity"] == {
        "value": 12.5,
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }
    [lot] = waste["contained"]
    assert lot["batch"] == {"lotNumber": "M-100", "expirationDate": "2027-06-30"}
    assert {e["url"].rsplit("/", 1)[1] for e in waste["extension"]} == {"stock-movement-note", "stock-movement-witness"}
    assert "patient" not in waste and "security" not in waste["meta"]  # the program's record: no Part 2 label
    for resource in movements:
        read = api(nurse).get(f"/fhir/SupplyDelivery/{resource['id']}")
        assert read.status_code == 200 and json.loads(read.content) == resource


def test_each_read_of_the_stock_is_audited_naming_the_program_and_no_patient(api, nurse, record, program):
    from waypoint.privacy.models import AuditEvent

    before = AuditEvent.objects.filter(action="fhir.read", detail__kind="stock-movement").count()
    [movement, *_] = search(api(nurse), "/fhir/SupplyDelivery")
    api(nurse).get(f"/fhir/SupplyDelivery/{movement['id']}")
    events = AuditEvent.objects.filter(action="fhir.read", detail__kind="stock-movement").order_by("id")[before:]
    assert [(e.program_id, e.patient_id, e.actor_id) for e in events] == [(program.pk, None, nurse.pk)] * 2


def test_a_blind_count_is_an_observation_of_the_lot_with_its_expected_balance_and_discrepancy(api, nurse, record):
    [count] = search(api(nurse), f"/fhir/Observation?code={COUNTS}|stock-count")
    assert count["valueQuantity"]["value"] == 3977.5
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in count["component"]}
    assert components == {"expected-balance": 3987.5, "discrepancy": -10}
    assert count["focus"] == [{"reference": "#lot"}] and "subject" not in count
    assert [note["text"].split(":")[0] for note in count["note"]] == ["Investigation", "Signed off by Fhir-Director"]
    assert search(api(nurse), f"/fhir/Observation?patient={record['patient'].pk}&code=stock-count") == []


def test_staff_who_neither_dispense_nor_sign_counts_off_receive_no_stock(api, counselor_off_team, record):
    client = api(counselor_off_team)
    assert search(client, "/fhir/SupplyDelivery") == []
    assert search(client, "/fhir/Observation?code=stock-count") == []


def test_another_programs_staff_read_none_of_it(api, north_nurse, nurse, record):
    [movement, *_] = search(api(nurse), "/fhir/SupplyDelivery")
    assert api(north_nurse).get(f"/fhir/SupplyDelivery/{movement['id']}").status_code == 404
    assert search(api(north_nurse), "/fhir/SupplyDelivery") == []


def test_an_external_system_never_receives_the_programs_stock(api, record):
    client = api(register_external(record["patient"].program))
    assert search(client, "/fhir/SupplyDelivery") == []
    assert search(client, "/fhir/Observation?code=stock-count") == []


def test_a_system_export_carries_the_stock_and_a_patient_export_does_not(api, nurse, record):
    client = api(nurse)
    started = kick_off(client, "/fhir/$export?_type=SupplyDelivery,Observation")
    assert started.status_code == 202
    run_queued(page_size=1)  # a movement a page
    exported = fetch_resources(client, manifest(client, started))
    assert movement_codes(exported["SupplyDelivery"]) == ["receipt", "transfer", "waste"]
    assert [r["id"] for r in exported["Observation"] if r["id"].startswith("stock-count-")]
    for resource in exported["SupplyDelivery"]:
        assert_conforms(resource)
    # the ledger's release is a read of the program's own records: one event a kind, naming no patient
    stock_reads = AuditEvent.objects.filter(action="fhir.read", detail__kind__in=["stock-movement", "stock-count"])
    assert sorted(stock_reads.values_list("detail__kind", "patient_id", "program_id")) == [
        ("stock-count", None, record["patient"].program_id),
        ("stock-movement", None, record["patient"].program_id),
    ]

    refused = kick_off(client, "/fhir/Patient/$export?_type=SupplyDelivery")
    assert refused.status_code == 400 and "SupplyDelivery" in refused.content.decode()
    started = kick_off(client, "/fhir/Patient/$export?_type=Observation")
    run_queued()
    exported = fetch_resources(client, manifest(client, started))
    assert exported["Observation"] and not [r for r in exported["Observation"] if r["id"].startswith("stock-count-")]


def test_the_capability_statement_says_the_stock_is_the_programs_own(client):
    statement = json.loads(client.get("/fhir/metadata").content)
    types = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert [p["name"] for p in types["SupplyDelivery"]["searchParam"]] == ["_id", "_lastUpdated"]
    assert "stock-movement (the program's own, no patient" in types["SupplyDelivery"]["documentation"]
    assert "stock-count (the program's own, no patient" in types["Observation"]["documentation"]
