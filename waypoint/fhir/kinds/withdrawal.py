"""Scored assessments (waypoint.withdrawal): each instrument's total as an Observation with its severity band,
the item-level answers as a QuestionnaireResponse, and the vital signs taken with it as vital-sign Observations.

A corrected assessment is one resource in several versions: its id is built from the first version's key
("cows-12"), `meta.versionId` is the version in force, and its status is "amended" from version 2 on. A version
marked entered-in-error is emitted with status "entered-in-error"; replaced versions are not emitted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import Coalesce

from waypoint.privacy.models import InformationKind
from waypoint.scales import INSTRUMENTS
from waypoint.withdrawal.models import Assessment

from ..codes import (
    INSTRUMENTS_SYSTEM,
    LOINC,
    OBSERVATION_CATEGORY,
    UCUM,
    coding,
    concept,
    instant,
    meta,
    own,
    prune,
    reference,
)
from ..questionnaires import answer_coding, questionnaire_url
from ..registry import ResourceKind, register

ID = re.compile(r"(?P<code>[a-z][a-z-]*)-(?P<pk>[1-9][0-9]{0,17})")
VITALS_ID = re.compile(r"vitals-(?P<pk>[1-9][0-9]{0,17})-(?P<sign>[a-z0-9]+)")


@dataclass(frozen=True)
class VitalCode:
    part: str  # the id suffix
    field: str
    codes: tuple[tuple[str, str], ...]  # LOINC (code, display)
    unit: str  # UCUM
    unit_display: str
    profile: str


# LOINC codes and UCUM units bound by the FHIR R4 vital signs profiles
# (http://hl7.org/fhir/R4/observation-vitalsigns.html); oxygen saturation by pulse oximetry carries both codes.
VITALS = (
    VitalCode("pulse", "pulse_bpm", (("8867-4", "Heart rate"),), "/min", "beats/minute",
              "http://hl7.org/fhir/StructureDefinition/heartrate"),
    VitalCode("resp", "respiratory_rate", (("9279-1", "Respiratory rate"),), "/min", "breaths/minute",
              "http://hl7.org/fhir/StructureDefinition/resprate"),
    VitalCode("temp", "temperature_c", (("8310-5", "Body temperature"),), "Cel", "degrees C",
              "http://hl7.org/fhir/StructureDefinition/bodytemp"),
    VitalCode("spo2", "spo2_percent", (("2708-6", "Oxygen saturation in Arterial blood"),
                                       ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry")),
              "%", "%", "http://hl7.org/fhir/StructureDefinition/oxygensat"),
)
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")
BP_PROFILE = "http://hl7.org/fhir/StructureDefinition/bp"
VITAL_SIGNS = concept(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")
SURVEY = concept(OBSERVATION_CATEGORY, "survey", "Survey")


def first_version_pk(assessment: Assessment) -> int:
    row = assessment
    while row.replaces_id is not None:
        row = Assessment.objects.only("pk", "replaces_id").get(pk=row.replaces_id)
    return row.pk


def version_in_force(first_pk: int) -> Q | None:
    """The row in force (or in error) of the assessment whose first version has this key."""
    row = Assessment.objects.only("pk", "status").filter(pk=first_pk).first()
    for _ in range(1000):
        if row is None:
            return None
        if row.status != Assessment.Status.AMENDED:
            return Q(pk=row.pk)
        row = Assessment.objects.only("pk", "status").filter(replaces_id=row.pk).first()
    return None


def status(assessment: Assessment, *, final: str = "final") -> str:
    if assessment.status == Assessment.Status.ENTERED_IN_ERROR:
        return "entered-in-error"
    return "amended" if assessment.version > 1 else final


def updated(assessment: Assessment):
    return assessment.status_changed_at or assessment.recorded_at


def common(assessment: Assessment, resource_type: str, resource_id: str) -> dict:
    return {
        "resourceType": resource_type,
        "id": resource_id,
        "meta": meta(updated(assessment), part2=True, version=assessment.version),
        "subject": reference("Patient", assessment.patient_id),
        "encounter": reference("Encounter", f"episode-{assessment.episode_id}") if assessment.episode_id else None,
    }


def performer(assessment: Assessment) -> dict:
    if assessment.reporter == "patient":
        return reference("Patient", assessment.patient_id)
    return {"display": str(assessment.recorded_by)}


def total_resource(assessment: Assessment) -> list[dict]:
    instrument = assessment.definition
    key = f"{instrument.code}-{first_version_pk(assessment)}"
    band = next((b for b in instrument.bands if b.code == assessment.severity), None)
    return [prune(common(assessment, "Observation", key) | {
        "status": status(assessment),
        "category": [SURVEY],
        "code": concept(INSTRUMENTS_SYSTEM, instrument.code, f"{instrument.title} total",
                        text=f"{instrument.short_title} total"),
        "effectiveDateTime": instant(assessment.taken_at),
        "issued": instant(assessment.recorded_at),
        "performer": [performer(assessment)],
        "valueInteger": assessment.total,
        "interpretation": [concept(own(f"CodeSystem/{instrument.code}-severity"), band.code, band.label,
                                   text=band.label)] if band else [],
        "note": [{"text": assessment.note}] if assessment.note else [],
        "derivedFrom": [reference("QuestionnaireResponse", key)],
    })]


def response_resource(assessment: Assessment) -> list[dict]:
    instrument = assessment.definition
    key = f"{instrument.code}-{first_version_pk(assessment)}"
    items = []
    for item in instrument.items:
        score = assessment.responses.get(item.key)
        if score is None:
            continue
        items.append({"linkId": item.key, "text": item.label,
                      "answer": [{"valueCoding": answer_coding(instrument, item, score)}]})
    return [prune(common(assessment, "QuestionnaireResponse", key) | {
        "questionnaire": f"{questionnaire_url(instrument)}|{instrument.version}",
        "status": status(assessment, final="completed"),
        "authored": instant(assessment.taken_at),
        "author": performer(assessment),
        "source": reference("Patient", assessment.patient_id) if assessment.reporter == "patient" else None,
        "item": items,
    })]


def quantity(value, vital: VitalCode | None = None, *, unit: str = "mm[Hg]", display: str = "mmHg") -> dict:
    if vital is not None:
        unit, display = vital.unit, vital.unit_display
    number = float(value) if not float(value).is_integer() else int(value)
    return {"value": number, "unit": display, "system": UCUM, "code": unit}


def vitals_resources(assessment: Assessment) -> list[dict]:
    first = first_version_pk(assessment)
    out = []

    def observation(part, codes, profile, extra):
        base = common(assessment, "Observation", f"vitals-{first}-{part}")
        base["meta"]["profile"] = [profile]
        return prune(base | {
            "status": status(assessment),
            "category": [VITAL_SIGNS],
            "code": {"coding": [coding(LOINC, c, d) for c, d in codes], "text": codes[0][1]},
            "effectiveDateTime": instant(assessment.taken_at),
            "issued": instant(assessment.recorded_at),
            "performer": [{"display": str(assessment.recorded_by)}],
        } | extra)

    for vital in VITALS:
        value = getattr(assessment, vital.field)
        if value is not None:
            out.append(observation(vital.part, vital.codes, vital.profile, {"valueQuantity": quantity(value, vital)}))
    components = [
        {"code": {"coding": [coding(LOINC, *code)], "text": code[1]}, "valueQuantity": quantity(value)}
        for code, value in ((SYSTOLIC, assessment.systolic_mmhg), (DIASTOLIC, assessment.diastolic_mmhg))
        if value is not None
    ]
    if components:
        out.append(observation("bp", (BP_PANEL,), BP_PROFILE, {"component": components}))
    return out


def by_instrument_key(resource_id: str) -> Q | None:
    match = ID.fullmatch(resource_id)
    if not match or match.group("code") not in INSTRUMENTS:
        return None
    found = version_in_force(int(match.group("pk")))
    return found & Q(instrument=match.group("code")) if found is not None else None


def by_vitals_key(resource_id: str) -> Q | None:
    match = VITALS_ID.fullmatch(resource_id)
    return version_in_force(int(match.group("pk"))) if match else None


def instrument_code(system: str | None, code: str) -> Q | None:
    if system not in (None, INSTRUMENTS_SYSTEM) or code not in INSTRUMENTS:
        return None
    return Q(instrument=code)


def vital_code(system: str | None, code: str) -> Q | None:
    if system not in (None, LOINC):
        return None
    fields = [v.field for v in VITALS if any(c == code for c, _ in v.codes)]
    if code == BP_PANEL[0]:
        return Q(systolic_mmhg__isnull=False) | Q(diastolic_mmhg__isnull=False)
    return Q(**{f"{fields[0]}__isnull": False}) if fields else None


def assessments():
    return (Assessment.objects.exclude(status=Assessment.Status.AMENDED).select_related("recorded_by")
            .annotate(last_updated=Coalesce("status_changed_at", "recorded_at")))


def with_vitals():
    return assessments().filter(Q(pulse_bpm__isnull=False) | Q(systolic_mmhg__isnull=False)
                                | Q(diastolic_mmhg__isnull=False) | Q(respiratory_rate__isnull=False)
                                | Q(temperature_c__isnull=False) | Q(spo2_percent__isnull=False))


SHARED = {"program_field": "program", "patient_field": "patient", "updated_field": "last_updated", "part2": True,
          "information_kind": InformationKind.WITHDRAWAL, "date_field": "taken_at"}

register(ResourceKind(key="assessment-total", resource_type="Observation", queryset=assessments,
                      to_resources=total_resource, parse_id=by_instrument_key, code_q=instrument_code, **SHARED))
register(ResourceKind(key="vital-signs", resource_type="Observation", queryset=with_vitals,
                      to_resources=vitals_resources, parse_id=by_vitals_key, code_q=vital_code, **SHARED))
register(ResourceKind(key="assessment-response", resource_type="QuestionnaireResponse", queryset=assessments,
                      to_resources=response_resource, parse_id=by_instrument_key, **SHARED))


# Provenance: who recorded each version of an assessment, why it was amended or marked in error.
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
PROVENANCE_ID = re.compile(r"assessment-(?P<pk>[1-9][0-9]{0,17})(-error)?")


def provenance_resources(assessment: Assessment) -> list[dict]:
    instrument = assessment.definition
    key = f"{instrument.code}-{first_version_pk(assessment)}"
    targets = [reference("Observation", key), reference("QuestionnaireResponse", key)]
    if assessment.vitals:
        targets += [reference("Observation", r["id"]) for r in vitals_resources(assessment)]

    def provenance(suffix, recorded, operation, display, who, reason):
        return prune({
            "resourceType": "Provenance",
            "id": f"assessment-{assessment.pk}{suffix}",
            "meta": meta(recorded, part2=True),
            "target": targets,
            "recorded": instant(recorded),
            "activity": concept(DATA_OPERATION, operation, display),
            "agent": [{"who": who}],
            "reason": [{"text": reason}] if reason else [],
        })

    if assessment.reporter == "patient" and assessment.source == Assessment.Source.KIOSK:
        author = reference("Patient", assessment.patient_id)
    else:
        author = {"display": str(assessment.recorded_by)}
    first = assessment.replaces_id is None
    out = [provenance("", assessment.recorded_at, "CREATE" if first else "UPDATE", "create" if first else "update",
                      author, assessment.late_entry_reason if first else assessment.change_reason)]
    if assessment.status == Assessment.Status.ENTERED_IN_ERROR:
        out.append(provenance("-error", assessment.status_changed_at or assessment.recorded_at, "NULLIFY", "nullify",
                              {"display": str(assessment.status_changed_by or assessment.recorded_by)},
                              assessment.change_reason))
    return out


def by_provenance_key(resource_id: str) -> Q | None:
    match = PROVENANCE_ID.fullmatch(resource_id)
    return Q(pk=int(match.group("pk"))) if match else None


register(ResourceKind(
    key="assessment-provenance", resource_type="Provenance",
    queryset=lambda: Assessment.objects.select_related("recorded_by", "status_changed_by").annotate(
        last_updated=Coalesce("status_changed_at", "recorded_at")),
    to_resources=provenance_resources, program_field="program", patient_field="patient",
    updated_field="last_updated", part2=True, information_kind=InformationKind.WITHDRAWAL,
    parse_id=by_provenance_key,
))
