"""Patient, and Encounter for episodes of care and level-of-care stays (waypoint.patients)."""

from __future__ import annotations

from django.db.models.functions import Coalesce

from waypoint.patients.models import Episode, LevelOfCareStay, Patient
from waypoint.placement.levels import Setting

from ..codes import (
    ACT_CODE,
    BIRTH_SEX,
    IDENTIFIER_TYPE,
    US_CORE_PATIENT,
    coding,
    concept,
    day,
    instant,
    meta,
    own,
    prune,
    reference,
)
from ..registry import ResourceKind, by_pk, register

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


# Encounter.class (v3 ActCode): 24-hour medically managed or monitored care is inpatient (IMP), clinically
# managed residential care inpatient non-acute (NONAC), everything else ambulatory (AMB).
MEDICAL_24H = {"3.7-WM", "4-WM"}


def encounter_class(level) -> dict:
    if level.setting == Setting.INPATIENT or level.code in MEDICAL_24H:
        return coding(ACT_CODE, "IMP", "inpatient encounter")
    if level.has_beds:
        return coding(ACT_CODE, "NONAC", "inpatient non-acute")
    return coding(ACT_CODE, "AMB", "ambulatory")


def level_concept(stay: LevelOfCareStay) -> dict:
    return concept(
        own(f"CodeSystem/asam-level-edition-{stay.asam_edition}"),
        stay.level_code,
        stay.level.name,
        text=stay.level.label,
    )


def period(start, end) -> dict:
    return {"start": instant(start), "end": instant(end) if end else None}


def episode_resource(episode: Episode) -> list[dict]:
    stays = list(episode.stays.all())
    first = stays[0] if stays else None
    reason = episode.get_discharge_reason_display() if episode.discharge_reason else ""
    updated = episode.discharged_at or episode.admitted_at
    return [
        prune(
            {
                "resourceType": "Encounter",
                "id": f"episode-{episode.pk}",
                "meta": meta(updated, part2=True),
                "status": "in-progress" if episode.discharged_at is None else "finished",
                "class": encounter_class(first.level) if first else coding(ACT_CODE, "AMB", "ambulatory"),
                "type": [{"text": "Episode of care for substance use disorder treatment"}],
                "subject": reference("Patient", episode.patient_id),
                "period": period(episode.admitted_at, episode.discharged_at),
                "hospitalization": {
                    "dischargeDisposition": {
                        "coding": [coding(own("CodeSystem/discharge-reason"), episode.discharge_reason, reason)],
                        "text": " — ".join(filter(None, [reason, episode.discharge_note])),
                    }
                }
                if episode.discharge_reason
                else None,
                "serviceProvider": {"display": episode.program.name},
            }
        )
    ]


def stay_resource(stay: LevelOfCareStay) -> list[dict]:
    return [
        prune(
            {
                "resourceType": "Encounter",
                "id": f"stay-{stay.pk}",
                "meta": meta(stay.ended_at or stay.started_at, part2=True),
                "status": "in-progress" if stay.ended_at is None else "finished",
                "class": encounter_class(stay.level),
                "type": [level_concept(stay)],
                "subject": reference("Patient", stay.patient_id),
                "period": period(stay.started_at, stay.ended_at),
                "reasonCode": [{"text": stay.reason}] if stay.reason else [],
                "partOf": reference("Encounter", f"episode-{stay.episode_id}"),
                "serviceProvider": {"display": stay.program.name},
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
register(
    ResourceKind(
        key="episode",
        resource_type="Encounter",
        queryset=lambda: (
            Episode.objects.select_related("program")
            .prefetch_related("stays")
            .annotate(last_updated=Coalesce("discharged_at", "admitted_at"))
        ),
        to_resources=episode_resource,
        program_field="program",
        patient_field="patient",
        updated_field="last_updated",
        parse_id=by_pk("episode-"),
        date_field="admitted_at",
    )
)
register(
    ResourceKind(
        key="level-of-care-stay",
        resource_type="Encounter",
        queryset=lambda: LevelOfCareStay.objects.select_related("program").annotate(
            last_updated=Coalesce("ended_at", "started_at")
        ),
        to_resources=stay_resource,
        program_field="program",
        patient_field="patient",
        updated_field="last_updated",
        parse_id=by_pk("stay-"),
        date_field="started_at",
    )
)
