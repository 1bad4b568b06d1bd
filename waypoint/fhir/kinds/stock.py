"""The program's controlled-substance stock (waypoint.dispensing's ledger): the entries that name no patient as
SupplyDelivery, each blind count as an Observation. Program-level records: no patient, so no Part 2 label and no
consent; they are served to the ledger's readers among the program's staff (those who may dispense, and the
director: `dispensing.services.may_read_ledger`) in read, search and the system-level $export, never in a Patient
or Group export, and never to an external system (which receives patients' consented records only). No balance is
served: a count's expected balance only once the count is recorded (blind counts).

R4 has no inventory resource (R5's InventoryReport is not in R4). SupplyDelivery records an actual movement of a
supply, which every such entry is: a receipt into the lot, a transfer out, a witnessed waste or spill, an
adjustment down. Its `type` carries R4's supply-item-type "medication" and Waypoint's own movement code; the lot
is a contained Medication (code, strength as printed, batch.lotNumber and expirationDate); the amount moved is
suppliedItem.quantity in mg (always positive: the movement's code says in or out). SupplyDelivery has no note and
no witness: both are Waypoint's own extensions. A count is an Observation of the lot (`focus`, the contained
Medication): the amount counted, the expected balance and the discrepancy as components, both counters as
performers, the investigation note and the director's sign-off as notes. The entries of doses, bottles and
replacement doses carry a patient: they are served as that dose's MedicationAdministration or MedicationDispense
(kinds/medication.py, kinds/dispensing.py), not here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.db.models import Q
from django.db.models.functions import Coalesce

from waypoint.dispensing.models import LedgerEntry, StockCount, StockLot
from waypoint.dispensing.services import may_read_ledger
from waypoint.medication import catalog

from ..codes import UCUM, coding, concept, day, instant, meta, own, prune
from ..registry import ResourceKind, by_pk, register
from .medication import MEDICATIONS

# R4's code system bound to SupplyDelivery.type (http://hl7.org/fhir/R4/valueset-supplydelivery-type.html).
SUPPLY_ITEM_TYPE = "http://terminology.hl7.org/CodeSystem/supply-item-type"
MOVEMENTS = own("CodeSystem/otp-stock-movements")
COUNTS = own("CodeSystem/otp-stock-counts")
WITNESS = own("StructureDefinition/stock-movement-witness")
NOTE = own("StructureDefinition/stock-movement-note")

# The ledger entries that name no patient (the others are a dose's, a bottle's or a replacement's).
MOVEMENT_KINDS = (
    LedgerEntry.Kind.RECEIPT,
    LedgerEntry.Kind.TRANSFER,
    LedgerEntry.Kind.WASTE,
    LedgerEntry.Kind.SPILL,
    LedgerEntry.Kind.ADJUSTMENT,
)
COUNT_CODES = (
    ("stock-count", "Blind count of a stock lot"),
    ("expected-balance", "Expected balance from the ledger"),
    ("discrepancy", "Counted minus expected"),
)
LOT = "#lot"


def mg(value: Decimal) -> dict:
    number = float(value)
    return {"value": int(number) if number.is_integer() else number, "unit": "mg", "system": UCUM, "code": "mg"}


def lot_medication(lot: StockLot) -> dict:
    """The lot as a contained Medication: what it is, its strength as printed, its lot number and expiry."""
    name = catalog.MEDICATIONS[lot.medication].name if lot.medication in catalog.MEDICATIONS else lot.medication
    return prune(
        {
            "resourceType": "Medication",
            "id": LOT.removeprefix("#"),
            "code": {"coding": [coding(MEDICATIONS, lot.medication, name)], "text": f"{name} {lot.strength}"},
            "batch": {"lotNumber": lot.lot_number, "expirationDate": day(lot.expires_on) if lot.expires_on else None},
        }
    )


def count_concept(code: str) -> dict:
    display = dict(COUNT_CODES)[code]
    return concept(COUNTS, code, display, text=display)


def movement_resource(entry: LedgerEntry) -> list[dict]:
    words = entry.get_kind_display()
    inward = entry.quantity_mg > 0
    who = {"display": str(entry.by)}
    extensions: list[dict] = [{"url": NOTE, "valueString": entry.note}] if entry.note else []
    if entry.witness_id:
        extensions.append({"url": WITNESS, "valueReference": {"display": str(entry.witness)}})
    return [
        prune(
            {
                "resourceType": "SupplyDelivery",
                "id": f"stock-movement-{entry.pk}",
                "meta": meta(entry.at, part2=False),
                "contained": [lot_medication(entry.lot)],
                "extension": extensions,
                "status": "completed",
                "type": {
                    "coding": [
                        coding(SUPPLY_ITEM_TYPE, "medication", "Medication"),
                        coding(MOVEMENTS, entry.kind, words),
                    ],
                    "text": f"{words}: {'into' if inward else 'out of'} the program's stock",
                },
                "suppliedItem": {"quantity": mg(abs(entry.quantity_mg)), "itemReference": {"reference": LOT}},
                "occurrenceDateTime": instant(entry.at),
                "receiver": [who] if inward else [],
                "supplier": None if inward else who,
            }
        )
    ]


def count_resource(count: StockCount) -> list[dict]:
    notes = [{"text": f"Investigation: {count.investigation_note}"}] if count.investigation_note else []
    if count.signed_off_at is not None:
        notes.append({"time": instant(count.signed_off_at), "text": f"Signed off by {count.signed_off_by}"})
    return [
        prune(
            {
                "resourceType": "Observation",
                "id": f"stock-count-{count.pk}",
                "meta": meta(cast(Any, count).last_updated, part2=False),  # annotated by the queryset
                "contained": [lot_medication(count.lot)],
                "status": "final",
                "code": count_concept("stock-count"),
                "focus": [{"reference": LOT}],
                "effectiveDateTime": instant(count.at),
                "performer": [{"display": str(count.counted_by)}, {"display": str(count.second_counter)}],
                "valueQuantity": mg(count.counted_mg),
                "note": notes,
                "component": [
                    {"code": count_concept("expected-balance"), "valueQuantity": mg(count.expected_mg)},
                    {"code": count_concept("discrepancy"), "valueQuantity": mg(count.discrepancy_mg)},
                ],
            }
        )
    ]


def count_code(system: str | None, code: str) -> Q | None:
    return Q(pk__isnull=False) if code == "stock-count" and system in (None, COUNTS) else None  # every count


register(
    ResourceKind(
        key="stock-movement",
        resource_type="SupplyDelivery",
        queryset=lambda: LedgerEntry.objects.filter(kind__in=MOVEMENT_KINDS).select_related("lot", "by", "witness"),
        to_resources=movement_resource,
        program_field="program",
        patient_field=None,
        updated_field="at",
        parse_id=by_pk("stock-movement-"),
        readers=may_read_ledger,
    )
)
register(
    ResourceKind(
        key="stock-count",
        resource_type="Observation",
        queryset=lambda: StockCount.objects.select_related(
            "lot", "counted_by", "second_counter", "signed_off_by"
        ).annotate(last_updated=Coalesce("signed_off_at", "at")),
        to_resources=count_resource,
        program_field="program",
        patient_field=None,
        updated_field="last_updated",
        parse_id=by_pk("stock-count-"),
        date_field="at",
        code_q=count_code,
        readers=may_read_ledger,
    )
)
