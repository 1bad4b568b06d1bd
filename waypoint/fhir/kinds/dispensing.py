"""The OTP dosing window (waypoint.dispensing): each take-home bottle a MedicationDispense, each replacement dose (a
spilled dose or a lost take-home given again) a MedicationAdministration.

An observed dose at the window IS the MOUD dose record (waypoint.medication's Administration): it is already a
MedicationAdministration of the "moud-dose" kind, so it is not emitted twice here. The medication, the route and
the kind of dispense are coded in Waypoint's own CodeSystems (no drug code is published in shared/reference/);
amounts carry UCUM units. A bottle is "completed" once handed over; its return (empty or not) is a note.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models.functions import Coalesce

from waypoint.dispensing.models import ReplacementDose, TakeHomeBottle

from ..codes import concept, day, instant, meta, own, prune, reference
from ..registry import ResourceKind, by_pk, register
from .medication import dose, medication, route

DISPENSE_TYPES = own("CodeSystem/otp-dispense-types")
BOTTLE_IDS = own("NamingSystem/take-home-bottle")
REPLACEMENT_REASONS = own("CodeSystem/otp-replacement-reasons")


def bottle_resource(bottle: TakeHomeBottle) -> list[dict]:
    order = bottle.order
    notes = []
    if bottle.returned_at is not None:
        state = "empty" if bottle.returned_empty else f"not empty: {bottle.return_note}"
        notes.append({"time": instant(bottle.returned_at), "text": f"Bottle returned {state}"})
    return [
        prune(
            {
                "resourceType": "MedicationDispense",
                "id": f"take-home-bottle-{bottle.pk}",
                "meta": meta(cast(Any, bottle).last_updated, part2=True),  # annotated by the queryset
                "identifier": [{"system": BOTTLE_IDS, "value": bottle.code}],
                "status": "completed",
                "medicationCodeableConcept": medication(order.medication),
                "subject": reference("Patient", bottle.patient_id),
                "performer": [{"actor": {"display": str(bottle.issued_by)}}],
                "authorizingPrescription": [reference("MedicationRequest", f"moud-order-{order.pk}")],
                "type": concept(DISPENSE_TYPES, "take-home", "Take-home dose", text="Take-home dose (unsupervised)"),
                "quantity": dose(bottle.dose, order.unit),
                "daysSupply": {"value": 1, "unit": "day", "system": "http://unitsofmeasure.org", "code": "d"},
                "whenHandedOver": instant(bottle.issued_at),
                "note": notes,
                "dosageInstruction": [
                    {
                        "text": f"{bottle.label}, to take on {day(bottle.take_on)}",
                        "timing": {"event": [day(bottle.take_on)]},
                        "route": route(order.route),
                        "doseAndRate": [{"doseQuantity": dose(bottle.dose, order.unit)}],
                    }
                ],
            }
        )
    ]


def replacement_resource(replacement: ReplacementDose) -> list[dict]:
    order = replacement.order
    performers = [{"actor": {"display": str(replacement.given_by)}}]
    if replacement.second_signer_id:
        performers.append(
            {"function": {"text": "Second staff signature"}, "actor": {"display": str(replacement.second_signer)}}
        )
    reason = replacement.get_reason_display()
    return [
        prune(
            {
                "resourceType": "MedicationAdministration",
                "id": f"replacement-dose-{replacement.pk}",
                "meta": meta(replacement.at, part2=True),
                "status": "completed",
                "category": {"text": "Replacement dose at the dosing window"},
                "medicationCodeableConcept": medication(order.medication),
                "subject": reference("Patient", replacement.patient_id),
                "effectiveDateTime": instant(replacement.at),
                "performer": performers,
                "reasonCode": [concept(REPLACEMENT_REASONS, replacement.reason, reason, text=reason)],
                "request": reference("MedicationRequest", f"moud-order-{order.pk}"),
                "note": [{"text": replacement.note}],
                "dosage": {"route": route(order.route), "dose": dose(replacement.amount, order.unit)},
            }
        )
    ]


register(
    ResourceKind(
        key="take-home-bottle",
        resource_type="MedicationDispense",
        queryset=lambda: TakeHomeBottle.objects.select_related("order", "issued_by").annotate(
            last_updated=Coalesce("returned_at", "issued_at")
        ),
        to_resources=bottle_resource,
        program_field="program",
        patient_field="patient",
        updated_field="last_updated",
        parse_id=by_pk("take-home-bottle-"),
        date_field="issued_at",
    )
)
register(
    ResourceKind(
        key="replacement-dose",
        resource_type="MedicationAdministration",
        queryset=lambda: ReplacementDose.objects.select_related("order", "given_by", "second_signer"),
        to_resources=replacement_resource,
        program_field="program",
        patient_field="patient",
        updated_field="at",
        parse_id=by_pk("replacement-dose-"),
        date_field="at",
    )
)
