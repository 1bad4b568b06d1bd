"""The kinds of record the FHIR facade and the bulk export emit, registered once at start-up.

MINIMAL VERSION (bulk-export branch): only Patient and the withdrawal assessment totals (Observation), so
that the bulk export can be built and tested. The facade's full package (one module per area) replaces
this file; the bulk export reads `registry.KINDS` generically and needs no change when it does.
"""

from waypoint.fhir.registry import ResourceKind, register

PART2_SECURITY = [
    {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R", "display": "restricted"},
    {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "42CFRPart2"},
]
OBSERVATION_STATUS = {"final": "final", "amended": "amended", "entered_in_error": "entered-in-error"}
GENDER = {"female": "female", "male": "male", "unknown": "unknown"}


def instant(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def patients():
    from waypoint.patients.models import Patient

    return Patient.objects.all()


def patient_resource(patient):
    yield {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": {"lastUpdated": instant(patient.updated_at), "security": PART2_SECURITY},
        "identifier": [{"type": {"text": "MRN"}, "value": patient.mrn}],
        "name": [{"family": patient.family_name, "given": [patient.given_name]}],
        "gender": GENDER[patient.sex_at_birth],
        "birthDate": patient.birth_date.isoformat(),
    }


def assessments():
    from waypoint.withdrawal.models import Assessment

    return Assessment.objects.all()


def assessment_total(assessment):
    resource = {
        "resourceType": "Observation",
        "id": f"assessment-{assessment.pk}",
        "meta": {"lastUpdated": instant(assessment.recorded_at), "security": PART2_SECURITY},
        "status": OBSERVATION_STATUS[assessment.status],
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "survey"}]}],
        "code": {"text": f"{assessment.definition.title} total score"},
        "subject": {"reference": f"Patient/{assessment.patient_id}"},
        "effectiveDateTime": instant(assessment.taken_at),
        "valueInteger": assessment.total,
    }
    if assessment.severity_label:
        resource["interpretation"] = [{"text": assessment.severity_label}]
    yield resource


register(ResourceKind(key="patient", resource_type="Patient", queryset=patients, to_resources=patient_resource,
                      program_field="program", patient_field="", updated_field="updated_at", part2=True,
                      information_kind="demographics"))
register(ResourceKind(key="assessment-total", resource_type="Observation", queryset=assessments,
                      to_resources=assessment_total, program_field="program", patient_field="patient",
                      updated_field="recorded_at", part2=True, information_kind="withdrawal_assessments"))
