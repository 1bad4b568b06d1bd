"""Comfort medications (waypoint.comfort): each order set's kept drug a MedicationRequest (PRN, "as needed for" the
symptom, with its limits), each dose given, held or refused a MedicationAdministration.

No RxNorm code is claimed: shared/reference/ publishes none for these drugs, so the drug, the symptom and the route
are coded in Waypoint's own CodeSystems (waypoint.comfort.catalog names them); doses carry UCUM milligrams. An
order set stopped (or replaced) is "stopped"; every other one is "active". A dose given is "completed"; held or
refused is "not-done" with the reason; a dose marked entered in error is "entered-in-error".
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, cast

from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest

from waypoint.comfort import catalog
from waypoint.comfort.models import ComfortOrder, Dose, OrderLine

from ..codes import concept, episode_extension, episode_of_care, instant, meta, own, prune, reference
from ..registry import ResourceKind, by_pk, register
from .medication import dose, route

DRUGS = own("CodeSystem/comfort-medications")
SYMPTOMS = own("CodeSystem/withdrawal-symptoms")
NOT_GIVEN = own("CodeSystem/dose-not-given-reason")
ORDER_ID = re.compile(r"comfort-order-([1-9][0-9]{0,17})")  # one per kept drug: the order line's key


def drug(code: str) -> dict:
    name = catalog.DRUGS.get(code, code)
    return concept(DRUGS, code, name, text=name)


def symptom(code: str) -> dict:
    name = catalog.SYMPTOMS.get(code, code)
    return concept(SYMPTOMS, code, name, text=name)


def order_resources(order: ComfortOrder) -> list[dict]:
    """One MedicationRequest per drug the order set keeps (a MedicationRequest names one medication)."""
    return [line_resource(order, line) for line in order.lines.all()]


def parse_order_id(resource_id: str) -> Q | None:
    match = ORDER_ID.fullmatch(resource_id)
    return Q(lines__pk=int(match.group(1))) if match else None


def line_resource(order: ComfortOrder, line: OrderLine) -> dict:
    entry = line.entry
    limits = f"{line.dose_range_text} {entry.route_abbreviation} as needed for {entry.symptom_name.lower()}, "
    limits += f"at least {line.interval_text} apart, at most {line.max_24h_text} per 24 h"
    if entry.holds_text:
        limits += f"; {entry.holds_text}"
    if entry.condition_text:
        limits += f"; {entry.condition_text}"
    return cast(
        dict,
        prune(
            {
                "resourceType": "MedicationRequest",
                "id": f"comfort-order-{line.pk}",
                "meta": meta(cast(Any, order).last_updated, part2=True),  # annotated by the queryset
                "status": "stopped" if order.stop_at else "active",
                "statusReason": {"text": order.stop_reason} if order.stop_reason else None,
                "intent": "order",
                "medicationCodeableConcept": drug(entry.drug),
                "subject": reference("Patient", order.patient_id),
                "extension": episode_extension(order.episode_id),
                "authoredOn": instant(order.recorded_at),
                "requester": {"display": str(order.prescriber)},
                "reasonCode": [symptom(entry.symptom)],
                "note": [{"text": f"Wider than the protocol: {line.widen_reason}"}] if line.widen_reason else [],
                "dosageInstruction": [
                    {
                        "text": limits,
                        "timing": {
                            "repeat": {
                                "boundsPeriod": {
                                    "start": instant(order.start_at),
                                    "end": instant(order.stop_at) if order.stop_at else None,
                                },
                            }
                        },
                        "asNeededCodeableConcept": symptom(entry.symptom),
                        "route": route(entry.route),
                        "doseAndRate": [
                            {"doseRange": {"low": dose(line.dose_min, "mg"), "high": dose(line.dose_max, "mg")}}
                        ],
                        "maxDosePerPeriod": {
                            "numerator": dose(line.max_24h, "mg"),
                            "denominator": {
                                "value": 24,
                                "unit": "h",
                                "system": "http://unitsofmeasure.org",
                                "code": "h",
                            },
                        },
                    }
                ],
            }
        ),
    )


STATUS: dict[str, str] = {Dose.Status.GIVEN: "completed", Dose.Status.HELD: "not-done", Dose.Status.REFUSED: "not-done"}


def dose_resource(record: Dose) -> list[dict]:
    in_error = record.entered_in_error
    given = record.status == Dose.Status.GIVEN
    reason = record.get_status_display() + (f": {record.reason}" if record.reason else "")
    notes = [{"text": record.note}] if record.note else []
    if record.follow_up_at is not None:
        text = f"Follow-up: {record.get_follow_up_outcome_display().lower()}"
        notes.append(
            {
                "time": instant(record.follow_up_at),
                "text": text + (f". {record.follow_up_note}" if record.follow_up_note else ""),
            }
        )
    if in_error:
        at = cast(datetime, record.status_changed_at)  # in error: it has its time
        notes.append({"time": instant(at), "text": f"Entered in error: {record.change_reason}"})
    return [
        prune(
            {
                "resourceType": "MedicationAdministration",
                "id": f"comfort-dose-{record.pk}",
                "meta": meta(cast(Any, record).last_updated, part2=True),  # annotated by the queryset
                "status": "entered-in-error" if in_error else STATUS[record.status],
                "statusReason": []
                if given
                else [concept(NOT_GIVEN, record.status, record.get_status_display(), text=reason)],
                "medicationCodeableConcept": drug(record.drug),
                "subject": reference("Patient", record.patient_id),
                "context": episode_of_care(record.episode_id),
                "effectiveDateTime": instant(record.at),
                "performer": [{"actor": {"display": str(record.recorded_by)}}],
                "reasonCode": [symptom(record.symptom)],
                "request": reference("MedicationRequest", f"comfort-order-{record.line_id}"),
                "note": notes,
                "dosage": {"route": route(record.entry.route), "dose": dose(record.dose_mg, "mg")} if given else None,
            }
        )
    ]


register(
    ResourceKind(
        key="comfort-order",
        resource_type="MedicationRequest",
        queryset=lambda: (
            ComfortOrder.objects.select_related("prescriber")
            .prefetch_related("lines__entry")
            .annotate(last_updated=Greatest(F("recorded_at"), Coalesce(F("stop_at"), F("recorded_at"))))
        ),
        to_resources=order_resources,
        program_field="program",
        patient_field="patient",
        updated_field="last_updated",
        parse_id=parse_order_id,
        date_field="recorded_at",
    )
)
register(
    ResourceKind(
        key="comfort-dose",
        resource_type="MedicationAdministration",
        queryset=lambda: Dose.objects.select_related("entry", "recorded_by").annotate(
            last_updated=Greatest(
                F("recorded_at"),
                Coalesce(F("status_changed_at"), F("recorded_at")),
                Coalesce(F("follow_up_at"), F("recorded_at")),
            )
        ),
        to_resources=dose_resource,
        program_field="program",
        patient_field="patient",
        updated_field="last_updated",
        parse_id=by_pk("comfort-dose-"),
        date_field="at",
    )
)
