"""The MOUD area's kinds of clinical record (see waypoint/records/registry.py)."""

from waypoint.records.registry import RecordKind, register

from . import catalog
from .models import Administration, MedicationOrder

NOT_SEEDED = "the seed's synthetic histories hold no MOUD yet: no generator is written for orders and doses"


def orders_of(patient, user):
    return MedicationOrder.objects.filter(patient=patient).select_related("prescriber").order_by("start_at", "pk")


def order_row(order: MedicationOrder) -> dict:
    return {
        "medication": order.label,
        "frequency": order.frequency,
        "phase": order.get_phase_display(),
        "instructions": order.instructions,
        "start_at": order.start_at,
        "stop_at": order.stop_at,
        "stop_reason": order.stop_reason,
        "prescriber": str(order.prescriber),
    }


def doses_of(patient, user):
    return Administration.objects.filter(patient=patient).select_related("order", "recorded_by").order_by("at", "pk")


def dose_row(dose: Administration) -> dict:
    return {
        "at": dose.at,
        "medication": catalog.MEDICATIONS[dose.order.medication].name,
        "status": dose.get_status_display(),
        "dose": f"{dose.dose} {dose.unit}" if dose.dose is not None else "",
        "reason": dose.reason,
        "recorded_by": str(dose.recorded_by),
        "entered_in_error": dose.change_reason if dose.entered_in_error else "",
    }


register(
    RecordKind(
        key="moud_orders",
        title="MOUD orders",
        model="medication.MedicationOrder",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="moud",
        rows=orders_of,
        columns=(
            ("medication", "Medication"),
            ("frequency", "Frequency"),
            ("phase", "Phase"),
            ("instructions", "Instructions"),
            ("start_at", "Start"),
            ("stop_at", "Stop"),
            ("stop_reason", "Why stopped"),
            ("prescriber", "Prescriber"),
        ),
        render=order_row,
        fhir_kinds=("moud-order",),
        chart_section="waypoint.medication.sections.moud_body",
        not_seeded=NOT_SEEDED,
        position=20,
    )
)
register(
    RecordKind(
        key="moud_doses",
        title="MOUD doses given, held, refused or missed",
        model="medication.Administration",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="moud",
        rows=doses_of,
        columns=(
            ("at", "Time"),
            ("medication", "Medication"),
            ("status", "Record"),
            ("dose", "Dose"),
            ("reason", "Reason"),
            ("recorded_by", "By"),
            ("entered_in_error", "Entered in error"),
        ),
        render=dose_row,
        fhir_kinds=("moud-dose",),
        chart_section="waypoint.medication.sections.moud_body",
        not_seeded=NOT_SEEDED,
        position=21,
    )
)
