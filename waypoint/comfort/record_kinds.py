"""The comfort-medication area's kinds of clinical record (see waypoint/records/registry.py)."""

from waypoint.records.registry import RecordKind, not_a_record, register

from .models import ComfortOrder, Dose

NOT_SEEDED = "no generator is written yet for comfort-medication orders and doses"
MAR = "waypoint.comfort.sections.comfort_body"


def orders_of(patient, user):
    return (
        ComfortOrder.objects.filter(patient=patient)
        .select_related("protocol", "prescriber")
        .prefetch_related("lines__entry")
        .order_by("start_at", "pk")
    )


def order_row(order: ComfortOrder) -> dict:
    return {
        "protocol": str(order.protocol),
        "drugs": "; ".join(f"{line.entry} {line.entry.dose_text}" for line in order.lines.all()),
        "start_at": order.start_at,
        "stop_at": order.stop_at,
        "prescriber": str(order.prescriber),
    }


def doses_of(patient, user):
    return Dose.objects.filter(patient=patient).select_related("entry", "recorded_by").order_by("at", "pk")


def dose_row(dose: Dose) -> dict:
    return {
        "at": dose.at,
        "symptom": dose.get_symptom_display(),
        "medication": dose.label,
        "status": dose.get_status_display(),
        "reason": dose.reason,
        "follow_up": dose.get_follow_up_outcome_display(),
        "recorded_by": str(dose.recorded_by),
        "entered_in_error": dose.change_reason if dose.entered_in_error else "",
    }


register(
    RecordKind(
        key="comfort_orders",
        title="Comfort-medication orders",
        model="comfort.ComfortOrder",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="all_sud_records",  # not MOUD: covered where a consent names all SUD records
        rows=orders_of,
        columns=(
            ("protocol", "Protocol"),
            ("drugs", "Drugs"),
            ("start_at", "Start"),
            ("stop_at", "Stop"),
            ("prescriber", "Prescriber"),
        ),
        render=order_row,
        fhir_kinds=("comfort-order",),
        chart_section=MAR,
        not_seeded=NOT_SEEDED,
        position=32,
    )
)
register(
    RecordKind(
        key="comfort_doses",
        title="Comfort-medication doses",
        model="comfort.Dose",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="all_sud_records",  # not MOUD: covered where a consent names all SUD records
        rows=doses_of,
        columns=(
            ("at", "Time"),
            ("symptom", "Symptom"),
            ("medication", "Medication"),
            ("status", "Status"),
            ("reason", "Reason"),
            ("follow_up", "Follow-up"),
            ("recorded_by", "Recorded by"),
            ("entered_in_error", "Entered in error"),
        ),
        render=dose_row,
        fhir_kinds=("comfort-dose",),
        chart_section=MAR,
        not_seeded=NOT_SEEDED,
        position=33,
    )
)
not_a_record("comfort.OrderLine", "one drug kept in an order set, with its limits: part of the order set")
