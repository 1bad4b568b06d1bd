"""Patient (waypoint.patients). Episodes of care and level-of-care stays are in `episodes.py`."""

from __future__ import annotations

from waypoint.patients.models import Patient

from ..codes import BIRTH_SEX, IDENTIFIER_TYPE, US_CORE_PATIENT, coding, day, meta, own, prune
from ..registry import ResourceKind, register

BIRTH_SEX_CODES = {"female": "F", "male": "M", "unknown": "UNK"}
# Patient.gender is administrative gender, which the record does not hold (it holds sex at birth, sent as US Core's
# birth sex extension, and gender identity as free text): "unknown", the value set's own code for a value not known,
# as the missing-data rule for a required element with a required binding directs (US Core Patient requires gender).
# Sex at birth is never copied into it.
ADMINISTRATIVE_GENDER = "unknown"


def mrn_identifier(patient: Patient) -> dict:
    """The MRN as a FHIR Identifier, typed v2-0203 MR (medical record number), in the program's MRN system."""
    return {
        "use": "usual",
        "type": {"coding": [coding(IDENTIFIER_TYPE, "MR", "Medical record number")], "text": "Medical record number"},
        "system": mrn_system(patient.program),
        "value": patient.mrn,
    }


def mrn_system(program) -> str:
    return own(f"NamingSystem/mrn/{program.slug}")


def patient_resource(patient: Patient) -> list[dict]:
    name = [{"use": "official", "family": patient.family_name, "given": [patient.given_name]}]
    if patient.preferred_name:
        name.append({"use": "usual", "family": patient.family_name, "given": [patient.preferred_name]})
    contact = {}
    if patient.emergency_contact_name or patient.emergency_contact_phone:
        contact = {
            "relationship": [{"text": patient.emergency_contact_relationship or "emergency contact"}],
            "name": {"text": patient.emergency_contact_name},
            "telecom": [{"system": "phone", "value": patient.emergency_contact_phone}]
            if patient.emergency_contact_phone
            else [],  # a name without a phone: no telecom (a system with no value is not a contact point)
        }
    address = {
        "line": [patient.address_line],
        "city": patient.city,
        "state": patient.state,
        "postalCode": patient.postal_code,
    }
    return [
        prune(
            {
                "resourceType": "Patient",
                "id": str(patient.pk),
                "meta": meta(patient.updated_at, part2=True) | {"profile": [US_CORE_PATIENT]},
                "extension": [{"url": BIRTH_SEX, "valueCode": BIRTH_SEX_CODES[patient.sex_at_birth]}]
                if patient.sex_at_birth in BIRTH_SEX_CODES
                else [],
                "identifier": [mrn_identifier(patient)],
                "active": True,
                "name": name,
                "telecom": [{"system": "phone", "value": patient.phone}] if patient.phone else [],
                "gender": ADMINISTRATIVE_GENDER,
                "birthDate": day(patient.birth_date),
                "address": [address],
                "contact": [contact],
                "communication": [{"language": {"text": patient.preferred_language}}]
                if patient.preferred_language
                else [],
                "managingOrganization": {"display": patient.program.name},
            }
        )
    ]


register(
    ResourceKind(
        key="patient",
        resource_type="Patient",
        # sanctioned (not visible_patients): every kind's rows; the reader narrows them to its patients
        queryset=lambda: Patient.objects.select_related("program"),
        to_resources=patient_resource,
        program_field="program",
        patient_field="",
        updated_field="updated_at",
        profiles=(US_CORE_PATIENT,),
    )
)
