"""The withdrawal area's kinds of clinical record (see waypoint/records/registry.py)."""

from waypoint.patients.records import RecordStatus
from waypoint.records.registry import RecordKind, not_a_record, register

from .models import Assessment, CiwaArMonitoring
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


def ciwa_ar_monitoring_of(patient, user):
    return CiwaArMonitoring.objects.filter(patient=patient).select_related("started_by", "stopped_by")


def ciwa_ar_monitoring_row(monitoring: CiwaArMonitoring) -> dict:
    return {
        "started_at": monitoring.started_at,
        "reason": monitoring.reason,
        "started_by": str(monitoring.started_by),
        "stopped_at": monitoring.stopped_at or "",
        "stop_reason": monitoring.stop_reason,
    }


register(
    RecordKind(
        key="ciwa_ar_monitoring",
        title="CIWA-Ar assessment instructions",
        model="withdrawal.CiwaArMonitoring",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="withdrawal_assessments",
        rows=ciwa_ar_monitoring_of,
        columns=(
            ("started_at", "From"),
            ("reason", "Reason"),
            ("started_by", "Turned on by"),
            ("stopped_at", "Until"),
            ("stop_reason", "Why stopped"),
        ),
        render=ciwa_ar_monitoring_row,
        not_in_fhir="a nursing instruction to assess CIWA-Ar: the CIWA-Ar assessments it asks for are released as "
        "Observations and QuestionnaireResponses",
        chart_section="waypoint.withdrawal.sections.withdrawal_status",
        not_seeded="the seed's synthetic histories record no alcohol co-use",
        position=11,
    )
)
not_a_record(
    "withdrawal.KioskSession",
    "a tablet opened for one patient's self-reports: what the patient reports is an assessment",
)
