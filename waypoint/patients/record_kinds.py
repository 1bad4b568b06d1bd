"""The patients area's kinds of clinical record (see waypoint/records/registry.py)."""

from waypoint.records.registry import RecordKind, not_a_record, register

from .models import Episode, LevelOfCareStay, Patient

CHART = "waypoint.patients.views.patient_chart"  # the chart page itself shows identification, episodes and stays


def demographics_of(patient, user):
    # sanctioned: the patient a disclosure was already authorised for (found through the access scope by the caller)
    return Patient.objects.filter(pk=patient.pk)


def demographics_row(patient: Patient) -> dict:
    return {
        "mrn": patient.mrn,
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "birth_date": patient.birth_date,
        "sex_at_birth": patient.sex_at_birth,
    }


def episodes_of(patient, user):
    return Episode.objects.filter(patient=patient).order_by("admitted_at", "pk")


def episode_row(episode: Episode) -> dict:
    return {
        "admitted_at": episode.admitted_at,
        "discharged_at": episode.discharged_at,
        "discharge_reason": episode.get_discharge_reason_display(),
        "discharge_note": episode.discharge_note,
    }


def stays_of(patient, user):
    return LevelOfCareStay.objects.filter(patient=patient).order_by("started_at", "pk")


def stay_row(stay: LevelOfCareStay) -> dict:
    return {
        "level_of_care": stay.level.label,
        "started_at": stay.started_at,
        "ended_at": stay.ended_at,
        "reason": stay.reason,
    }


register(
    RecordKind(
        key="demographics",
        title="Identification and demographics",
        model="patients.Patient",
        program_field="program",
        patient_field="",
        part2=True,  # being a patient of the program reveals SUD treatment
        information_kind="demographics",
        rows=demographics_of,
        columns=(
            ("mrn", "MRN"),
            ("given_name", "Given name"),
            ("family_name", "Family name"),
            ("birth_date", "Born"),
            ("sex_at_birth", "Sex at birth"),
        ),
        render=demographics_row,
        fhir_kinds=("patient",),
        chart_section=CHART,
        seed="patients",
        position=0,
    )
)
register(
    RecordKind(
        key="episodes",
        title="Episodes of care",
        model="patients.Episode",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="episodes",
        rows=episodes_of,
        columns=(
            ("admitted_at", "Admitted"),
            ("discharged_at", "Discharged"),
            ("discharge_reason", "Discharge reason"),
            ("discharge_note", "Note"),
        ),
        render=episode_row,
        fhir_kinds=("episode",),
        chart_section=CHART,
        seed="episodes",
        position=1,
    )
)
register(
    RecordKind(
        key="levels_of_care",
        title="Levels of care",
        model="patients.LevelOfCareStay",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="episodes",
        rows=stays_of,
        columns=(
            ("level_of_care", "Level of care"),
            ("started_at", "From"),
            ("ended_at", "Until"),
            ("reason", "Reason for the move"),
        ),
        render=stay_row,
        fhir_kinds=("level-of-care-stay",),
        chart_section=CHART,
        seed="stays",
        position=2,
    )
)
not_a_record(
    "patients.TimelineEntry",
    "one summary line per event of the records declared here: those records are disclosed, not their summaries",
)


def allergies_of(patient, user):
    from .allergy_models import Allergy

    return Allergy.objects.filter(patient=patient).select_related("recorded_by").order_by("recorded_at", "pk")


def allergy_row(allergy) -> dict:
    return {
        "recorded_at": allergy.recorded_at,
        "allergy": str(allergy),
        "kind": allergy.get_kind_display(),
        "status": allergy.get_record_status_display(),
        "recorded_by": str(allergy.recorded_by),
    }


register(
    RecordKind(
        key="allergies",
        title="Drug allergies",
        model="patients.Allergy",
        program_field="program",
        patient_field="patient",
        part2=True,  # recorded by the program: being its patient reveals SUD treatment
        information_kind="all_sud_records",
        rows=allergies_of,
        columns=(
            ("recorded_at", "Recorded"),
            ("allergy", "Allergy"),
            ("kind", "Kind"),
            ("status", "Status"),
            ("recorded_by", "Recorded by"),
        ),
        render=allergy_row,
        fhir_kinds=("allergy",),
        chart_section="waypoint.patients.allergies.allergy_header",
        not_seeded="the seed writes no structured allergy entries yet (its patients carry the free-text line)",
        position=4,
    )
)
