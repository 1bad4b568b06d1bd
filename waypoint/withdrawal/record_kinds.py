"""The withdrawal area's kinds of clinical record (see waypoint/records/registry.py)."""

from waypoint.patients.records import RecordStatus
from waypoint.records.registry import RecordKind, not_a_record, register

from .models import Assessment
from .vitals import VITALS


def assessments_of(patient, user):
    """Every version in force and every one marked entered in error (with that status), as FHIR releases them;
    a version replaced by an amendment is superseded by the amendment."""
    return (
        Assessment.objects.filter(patient=patient)
        .exclude(record_status=RecordStatus.AMENDED)
        .order_by("taken_at", "pk")
    )


def vital_signs(assessment: Assessment) -> str:
    return ", ".join(
        f"{vital.label} {getattr(assessment, vital.key)}"
        for vital in VITALS
        if getattr(assessment, vital.key) is not None
    )


def assessment_row(assessment: Assessment) -> dict:
    return {
        "taken_at": assessment.taken_at,
        "instrument": assessment.definition.short_title,
        "total": assessment.total,
        "severity": assessment.severity_label,
        "vital_signs": vital_signs(assessment),
        "status": assessment.get_record_status_display(),
    }


register(
    RecordKind(
        key="withdrawal_assessments",
        title="Withdrawal assessments",
        model="withdrawal.Assessment",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="withdrawal_assessments",
        rows=assessments_of,
        columns=(
            ("taken_at", "Taken"),
            ("instrument", "Instrument"),
            ("total", "Total"),
            ("severity", "Severity"),
            ("vital_signs", "Vital signs"),
            ("status", "Status"),
        ),
        render=assessment_row,
        fhir_kinds=("assessment-total", "vital-signs", "assessment-response"),
        fhir_provenance=("assessment-provenance",),
        chart_section="waypoint.withdrawal.sections.withdrawal_status",
        seed="assessments",
        position=10,
    )
)
not_a_record(
    "withdrawal.KioskSession",
    "a tablet opened for one patient's self-reports: what the patient reports is an assessment",
)
