"""Medication for opioid use disorder (waypoint.medication): each order a MedicationRequest, each dose record a
MedicationAdministration.

No RxNorm code is claimed: shared/reference/ publishes none for these medications, so the medication, its route
and its phase are coded in Waypoint's own CodeSystems (waypoint.medication.catalog names them); doses carry UCUM
units. An order with a stop is "stopped" (its stop time ends the dosing period); every other order is "active".
A dose given is "completed"; held, refused or missed is "not-done" with the reason; a dose record marked entered
in error is "entered-in-error".

An order declares US Core 5.0.1's MedicationRequest profile: status, intent, the medication, the patient, the time
it was written and its prescriber are always there (US Core binds the medication extensibly to RxNorm; the text
carries the name a receiver reads, docs/fhir.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.db.models.functions import Coalesce

from waypoint.medication import catalog
from waypoint.medication.models import Administration, MedicationOrder

from ..codes import (
    UCUM,
    US_CORE_MEDICATION_REQUEST,
    concept,
    episode_extension,
    episode_of_care,
    instant,
    meta,
    own,
    prune,
    reference,
)
from ..registry import ResourceKind, by_pk, register

MEDICATIONS = own("CodeSystem/moud-medications")
ROUTES = own("CodeSystem/medication-routes")
PHASES = own("CodeSystem/moud-phases")
NOT_GIVEN = own("CodeSystem/dose-not-given-reason")


def medication(code: str) -> dict:
    name = catalog.MEDICATIONS[code].name if code in catalog.MEDICATIONS else code
    return concept(MEDICATIONS, code, name, text=name)


def route(code: str) -> dict:
    name = catalog.ROUTE_NAMES.get(code, code)
    return concept(ROUTES, code, name, text=name)


def dose(value, unit: str) -> dict | None:
    if value is None:
        return None
    number = float(value)
    return {"value": int(number) if number.is_integer() else number, "unit": unit, "system": UCUM, "code": unit}


def order_resource(order: MedicationOrder) -> list[dict]:
    phase = order.get_phase_display()
    return [
        prune(
            {
                "resourceType": "MedicationRequest",
                "id": f"moud-order-{order.pk}",
                "meta": meta(order.updated_at, part2=True) | {"profile": [US_CORE_MEDICATION_REQUEST]},
                "status": "stopped" if order.stop_at else "active",
                "statusReason": {"text": order.stop_reason} if order.stop_reason else None,
                "intent": "order",
                "category": [concept(PHASES, order.phase, phase, text=f"MOUD, {phase.lower()} phase")],
                "medicationCodeableConcept": medication(order.medication),
                "subject": reference("Patient", order.patient_id),
                "extension": episode_extension(order.episode_id),
                "authoredOn": instant(order.recorded_at),
                "requester": {"display": str(order.prescriber)},
                "dosageInstruction": [
                    {
                        "text": f"{order.label}, {order.schedule}",
                        "patientInstruction": order.instructions,
                        "timing": {
                            "repeat": {
                                "boundsPeriod": {
                                    "start": instant(order.start_at),
                                    "end": instant(order.stop_at) if order.stop_at else None,
                                },
                                # at most `frequency` doses per 1 day (FHIR Timing.repeat), when structured
                                "frequency": order.times_per_day,
                                "period": 1 if order.times_per_day else None,
                                "periodUnit": "d" if order.times_per_day else None,
                            },
                            "code": {"text": order.schedule},
                        },
                        "route": route(order.route),
                        "doseAndRate": [{"doseQuantity": dose(order.dose, order.unit)}],
                    }
                ],
            }
        )
    ]


ADMINISTRATION_STATUS: dict[str, str] = {
    Administration.Status.GIVEN: "completed",
    Administration.Status.HELD: "not-done",
    Administration.Status.REFUSED: "not-done",
    Administration.Status.MISSED: "not-done",
}


def administration_resource(dose_record: Administration) -> list[dict]:
    order = dose_record.order
    in_error = dose_record.entered_in_error
    given = dose_record.status == Administration.Status.GIVEN
    reason = dose_record.get_status_display()
    if dose_record.reason:
        reason = f"{reason}: {dose_record.reason}"
    notes = [{"text": dose_record.note}] if dose_record.note else []
    if in_error:
        notes.append(
            {
                "time": instant(cast(datetime, dose_record.status_changed_at)),  # in error: it has its time
                "text": f"Entered in error: {dose_record.change_reason}",
            }
        )
    return [
        prune(
            {
                "resourceType": "MedicationAdministration",
                "id": f"moud-dose-{dose_record.pk}",
                "meta": meta(cast(Any, dose_record).last_updated, part2=True),  # annotated by the queryset
                "status": "entered-in-error" if in_error else ADMINISTRATION_STATUS[dose_record.status],
                "statusReason": []
                if given
                else [concept(NOT_GIVEN, dose_record.status, dose_record.get_status_display(), text=reason)],
                "medicationCodeableConcept": medication(order.medication),
                "subject": reference("Patient", dose_record.patient_id),
                "context": episode_of_care(dose_record.episode_id) if dose_record.episode_id else None,
                "effectiveDateTime": instant(dose_record.at),
                "performer": [{"actor": {"display": str(dose_record.recorded_by)}}],
                "request": reference("MedicationRequest", f"moud-order-{order.pk}"),
                "note": notes,
                "dosage": {"route": route(order.route), "dose": dose(dose_record.dose, dose_record.unit)}
                if given
                else None,
            }
        )
    ]


register(
    ResourceKind(
        key="moud-order",
        resource_type="MedicationRequest",
        queryset=lambda: MedicationOrder.objects.select_related("prescriber"),
        to_resources=order_resource,
        program_field="program",
        patient_field="patient",
        updated_field="updated_at",
        parse_id=by_pk("moud-order-"),
        date_field="recorded_at",
        profiles=(US_CORE_MEDICATION_REQUEST,),
    )
)
register(
    ResourceKind(
        key="moud-dose",
        resource_type="MedicationAdministration",
        queryset=lambda: Administration.objects.select_related("order", "recorded_by").annotate(
            last_updated=Coalesce("status_changed_at", "recorded_at")
        ),
        to_resources=administration_resource,
        program_field="program",
        patient_field="patient",
        updated_field="last_updated",
        parse_id=by_pk("moud-dose-"),
        date_field="at",
    )
)
