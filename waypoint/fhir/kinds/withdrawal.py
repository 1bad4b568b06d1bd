"""Scored assessments (waypoint.withdrawal): each instrument's total as an Observation with its severity band,
the item-level answers as a QuestionnaireResponse, and the vital signs taken with it as vital-sign Observations.

A corrected assessment is one resource in several versions: its id is built from the first version's key
("cows-12"), `meta.versionId` is at least the version in force (`waypoint.fhir.versions` moves it on every other
change of content, e.g. an entry in error), and its status is "amended" from version 2 on. A version marked
entered-in-error is emitted with status "entered-in-error"; replaced versions are not emitted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db.models import Q
from django.db.models.functions import Coalesce

from waypoint.patients.records import RecordStatus
from waypoint.scales import INSTRUMENTS
from waypoint.withdrawal.models import Assessment

from ..codes import (
    INSTRUMENTS_SYSTEM,
    LOINC,
    OBSERVATION_CATEGORY,
    PART2_SECURITY,
    UCUM,
    US_CORE_BLOOD_PRESSURE,
    coding,
    concept,
    episode_extension,
    instant,
    meta,
    own,
    prune,
    reference,
)
from ..models import ResourceVersion
from ..questionnaires import answer_coding, questionnaire_url
from ..registry import ResourceKind, read_together, register
from ..versions import stamp

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
    VitalCode(
        "pulse",
        "pulse_bpm",
        (("8867-4", "Heart rate"),),
        "/min",
        "beats/minute",
        "http://hl7.org/fhir/StructureDefinition/heartrate",
    ),
    VitalCode(
        "resp",
        "respiratory_rate",
        (("9279-1", "Respiratory rate"),),
        "/min",
        "breaths/minute",
        "http://hl7.org/fhir/StructureDefinition/resprate",
    ),
    VitalCode(
        "temp",
        "temperature_c",
        (("8310-5", "Body temperature"),),
        "Cel",
        "degrees C",
        "http://hl7.org/fhir/StructureDefinition/bodytemp",
    ),
    VitalCode(
        "spo2",
        "spo2_percent",
        (
            ("2708-6", "Oxygen saturation in Arterial blood"),
            ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
        ),
        "%",
        "%",
        "http://hl7.org/fhir/StructureDefinition/oxygensat",
    ),
)
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")
# A blood pressure declares US Core 5.0.1's blood pressure profile (derived from the R4 vital signs profile) when both
# pressures were taken: the profile requires both components. R4's own bp profile is no longer declared: it slices
# the components by a value inside a nested slice, which Medplum's validator does not resolve, and a profile is
# declared only where the conformance tests' validator confirms it (docs/fhir.md, "US Core").
BP_PROFILE = US_CORE_BLOOD_PRESSURE
VITAL_SIGNS = concept(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")
SURVEY = concept(OBSERVATION_CATEGORY, "survey", "Survey")


def first_version_pk(assessment: Assessment) -> int:
    row = assessment
    while row.replaces_id is not None:
        row = Assessment.objects.only("pk", "replaces_id").get(pk=row.replaces_id)
    return row.pk


def version_in_force(first_pk: int) -> Q | None:
    """The row in force (or in error) of the assessment whose first version has this key."""
    row = Assessment.objects.only("pk", "record_status").filter(pk=first_pk).first()
    for _ in range(1000):
        if row is None:
            return None
        if row.record_status != RecordStatus.AMENDED:
            return Q(pk=row.pk)
        row = Assessment.objects.only("pk", "record_status").filter(replaces_id=row.pk).first()
    return None


def status(assessment: Assessment, *, final: str = "final") -> str:
    if assessment.record_status == RecordStatus.ENTERED_IN_ERROR:
        return "entered-in-error"
    return "amended" if assessment.version > 1 else final


def updated(assessment: Assessment):
    return assessment.status_changed_at or assessment.recorded_at


def common(assessment: Assessment, resource_type: str, resource_id: str) -> dict:
    return {
        "resourceType": resource_type,
        "id": resource_id,
        "meta": meta(updated(assessment), part2=True, version=assessment.version),
        "extension": episode_extension(assessment.episode_id),  # the episode (an EpisodeOfCare) is the context
        "subject": reference("Patient", assessment.patient_id),
    }


def performer(assessment: Assessment) -> dict:
    if assessment.reporter == "patient":
        return reference("Patient", assessment.patient_id)
    return {"display": str(assessment.recorded_by)}


class Shared:
    """What every resource of one assessment repeats, built once per row (the bulk export maps millions).

    The builders below write no empty value, so they need no `prune`: a field that can be empty is added only
    when it is not. The constant parts (codes, categories, labels) are built once per instrument and shared
    between resources, which nothing mutates after mapping."""

    __slots__ = ("first", "meta", "subject", "episode", "status", "effective", "issued", "performer")

    @staticmethod
    def of(assessment: Assessment) -> Shared:
        """Built once per light row of the bulk export, which maps a row's total and vital signs one after the other
        (a model instance may change between two mappings: built each time)."""
        if not isinstance(assessment, ObservedRow):
            return Shared(assessment)
        if assessment.shared is None:
            assessment.shared = Shared(assessment)
        return assessment.shared

    def __init__(self, assessment: Assessment):
        self.first = first_version_pk(assessment)
        self.meta = {
            "versionId": str(assessment.version),
            "lastUpdated": instant(assessment.status_changed_at or assessment.recorded_at),
            "security": SECURITY,
        }
        self.subject = {"reference": f"Patient/{assessment.patient_id}"}
        self.episode = episode_extension(assessment.episode_id) or None  # the workflow-episodeOfCare extension
        self.status = status(assessment)
        self.effective = instant(assessment.taken_at)
        self.issued = instant(assessment.recorded_at)
        self.performer = [{"display": str(assessment.recorded_by)}]

    def head(self, resource_id: str, meta: dict | None = None) -> dict:
        out: dict = {"resourceType": "Observation", "id": resource_id, "meta": meta or self.meta}
        if self.episode is not None:
            out["extension"] = self.episode
        out["subject"] = self.subject
        return out


SECURITY = [dict(label) for label in PART2_SECURITY]


@cache
def total_codes(code: str) -> tuple[dict, dict[str, list[dict]]]:
    """An instrument's total code and its severity bands as interpretations (built once, shared)."""
    instrument = INSTRUMENTS[code]
    total = concept(
        INSTRUMENTS_SYSTEM, instrument.code, f"{instrument.title} total", text=f"{instrument.short_title} total"
    )
    system = own(f"CodeSystem/{instrument.code}-severity")
    return total, {band.code: [concept(system, band.code, band.label, text=band.label)] for band in instrument.bands}


def total_resource(assessment: Assessment) -> list[dict]:
    shared = Shared.of(assessment)
    key = f"{assessment.instrument}-{shared.first}"
    code, bands = total_codes(assessment.instrument)
    out = shared.head(key)
    out["status"] = shared.status
    out["category"] = [SURVEY]
    out["code"] = code
    out["effectiveDateTime"] = shared.effective
    out["issued"] = shared.issued
    out["performer"] = (
        [{"reference": f"Patient/{assessment.patient_id}"}] if assessment.reporter == "patient" else shared.performer
    )
    out["valueInteger"] = assessment.total
    if assessment.severity in bands:
        out["interpretation"] = bands[assessment.severity]
    elif assessment.band_label:  # the program's own band (CIWA-Ar), as stored when recorded: text, no code
        out["interpretation"] = [{"text": assessment.band_label}]
    notes = [{"text": assessment.note}] if assessment.note else []
    if assessment.band_label:
        notes.append({"text": f"Severity band from the program's bands: {assessment.band_source}"})
    if notes:
        out["note"] = notes
    out["derivedFrom"] = [{"reference": f"QuestionnaireResponse/{key}"}]
    return [out]


def response_resource(assessment: Assessment) -> list[dict]:
    instrument = assessment.definition
    key = f"{instrument.code}-{first_version_pk(assessment)}"
    items = []
    for item in instrument.items:
        score = assessment.responses.get(item.key)
        if score is None:
            continue
        items.append(
            {
                "linkId": item.key,
                "text": item.label,
                "answer": [{"valueCoding": answer_coding(instrument, item, score)}],
            }
        )
    return [
        prune(
            common(assessment, "QuestionnaireResponse", key)
            | {
                "questionnaire": f"{questionnaire_url(instrument)}|{instrument.version}",
                "status": status(assessment, final="completed"),
                "authored": instant(assessment.taken_at),
                "author": performer(assessment),
                "source": reference("Patient", assessment.patient_id) if assessment.reporter == "patient" else None,
                "item": items,
            }
        )
    ]


def quantity(value, vital: VitalCode | None = None, *, unit: str = "mm[Hg]", display: str = "mmHg") -> dict:
    if vital is not None:
        unit, display = vital.unit, vital.unit_display
    number = float(value) if not float(value).is_integer() else int(value)
    return {"value": number, "unit": display, "system": UCUM, "code": unit}


VITAL_CODES = {
    vital.part: {"coding": [coding(LOINC, c, d) for c, d in vital.codes], "text": vital.codes[0][1]} for vital in VITALS
}
BP_CODE = {"coding": [coding(LOINC, *BP_PANEL)], "text": BP_PANEL[1]}
BP_PARTS = (
    (SYSTOLIC, "systolic_mmhg", {"coding": [coding(LOINC, *SYSTOLIC)], "text": SYSTOLIC[1]}),
    (DIASTOLIC, "diastolic_mmhg", {"coding": [coding(LOINC, *DIASTOLIC)], "text": DIASTOLIC[1]}),
)


def vitals_resources(assessment: Assessment) -> list[dict]:
    values = [(vital, value) for vital in VITALS if (value := getattr(assessment, vital.field)) is not None]
    components = [
        {"code": code, "valueQuantity": quantity(value)}
        for _, field, code in BP_PARTS
        if (value := getattr(assessment, field)) is not None
    ]
    if not values and not components:
        return []
    shared = Shared.of(assessment)
    out = []

    def observation(part, code, profile, name, value):
        declared = shared.meta | {"profile": [profile]} if profile else shared.meta
        resource = shared.head(f"vitals-{shared.first}-{part}", declared)
        resource["status"] = shared.status
        resource["category"] = [VITAL_SIGNS]
        resource["code"] = code
        resource["effectiveDateTime"] = shared.effective
        resource["issued"] = shared.issued
        resource["performer"] = shared.performer
        resource[name] = value
        return resource

    for vital, value in values:
        out.append(
            observation(vital.part, VITAL_CODES[vital.part], vital.profile, "valueQuantity", quantity(value, vital))
        )
    if components:
        both = len(components) == len(BP_PARTS)
        out.append(observation("bp", BP_CODE, BP_PROFILE if both else None, "component", components))
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
    return (
        Assessment.objects.exclude(record_status=RecordStatus.AMENDED)
        .select_related("recorded_by")
        .annotate(last_updated=Coalesce("status_changed_at", "recorded_at"))
    )


# What the Observations (totals and vital signs) read of a row: not the item answers (JSON, decoded per row)
# nor the rest of the recording user.
OBSERVATION_FIELDS = (
    "program_id",
    "patient_id",
    "episode_id",
    "instrument",
    "taken_at",
    "total",
    "severity",
    "band_label",
    "band_source",
    "note",
    "reporter",
    "recorded_at",
    "record_status",
    "status_changed_at",
    "version",
    "replaces_id",
    *(vital.field for vital in VITALS),
    "systolic_mmhg",
    "diastolic_mmhg",
    "recorded_by__username",
    "recorded_by__first_name",
    "recorded_by__last_name",
)  # str(user)


def observed():
    return assessments().only(*OBSERVATION_FIELDS)


RECORDED_BY = ("recorded_by__username", "recorded_by__first_name", "recorded_by__last_name")
ROW_FIELDS = ("pk", *(field for field in OBSERVATION_FIELDS if field not in RECORDED_BY))


class ObservedRow:
    """An assessment as its Observations read it, from one `.values_list(*ROW_FIELDS, *RECORDED_BY)` row of the bulk
    export: the attributes of the model that the mappings read, `recorded_by` as the user's name (`str(user)`)."""

    __slots__ = (*ROW_FIELDS, "recorded_by", "shared")

    def __init__(self, values: tuple):
        for name, value in zip(ROW_FIELDS, values, strict=False):
            setattr(self, name, value)
        username, first_name, last_name = values[len(ROW_FIELDS) : len(ROW_FIELDS) + 3]
        self.recorded_by = f"{first_name} {last_name}".strip() or username  # User.get_full_name() or username
        self.shared: Shared | None = None


ROW: dict[str, Any] = {"export_columns": (*ROW_FIELDS, *RECORDED_BY), "export_row": ObservedRow}


def with_vitals():
    return observed().filter(
        Q(pulse_bpm__isnull=False)
        | Q(systolic_mmhg__isnull=False)
        | Q(diastolic_mmhg__isnull=False)
        | Q(respiratory_rate__isnull=False)
        | Q(temperature_c__isnull=False)
        | Q(spo2_percent__isnull=False)
    )


SHARED: dict[str, Any] = {
    "program_field": "program",
    "patient_field": "patient",
    "updated_field": "last_updated",
    "date_field": "taken_at",
}

register(
    ResourceKind(
        key="assessment-total",
        resource_type="Observation",
        queryset=observed,
        to_resources=total_resource,
        parse_id=by_instrument_key,
        code_q=instrument_code,
        **SHARED,
        **ROW,
    )
)
register(
    ResourceKind(
        key="vital-signs",
        resource_type="Observation",
        queryset=with_vitals,
        to_resources=vitals_resources,
        parse_id=by_vitals_key,
        code_q=vital_code,
        profiles=tuple(vital.profile for vital in VITALS) + (BP_PROFILE,),
        **SHARED,
        **ROW,
    )
)
# The bulk export reads each assessment once for its total and its vital signs (every vital-sign row is a row of
# the totals; a row without vital signs maps to none).
read_together("assessment-observations", "assessment-total", "vital-signs")
register(
    ResourceKind(
        key="assessment-response",
        resource_type="QuestionnaireResponse",
        queryset=assessments,
        to_resources=response_resource,
        parse_id=by_instrument_key,
        **SHARED,
    )
)


# Provenance: who recorded each version of an assessment, why it was amended or marked in error.
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
PROVENANCE_ID = re.compile(r"assessment-(?P<pk>[1-9][0-9]{0,17})(-error)?")


def target_resources(assessment: Assessment) -> list[dict]:
    """What this version of the assessment is served as: the total, the response and the vital signs."""
    out = total_resource(assessment) + response_resource(assessment)
    return out + (vitals_resources(assessment) if assessment.vitals else [])


def targets_at(assessment: Assessment, until) -> list[dict]:
    """Provenance.target: each resource this version of the assessment was served as, with its version
    (`Observation/cows-12/_history/2`), so the target resolves by vread to the content the Provenance attests.

    `until` None: the version in force (or the entry in error) now; its resources are numbered as they are served
    (`versions.stamp`: the same content keeps its number). Else this version stopped being in force at `until`:
    the last version kept of each resource while it was in force (from its recording to `until`). A resource that
    was never served in that time has no version kept, and its reference carries none."""
    resources = target_resources(assessment)
    keys = [(r["resourceType"], r["id"]) for r in resources]
    if until is None:
        served = stamp(assessment.program_id, resources)
        numbers = {(r["resourceType"], r["id"]): r["meta"]["versionId"] for r in served}
    else:
        numbers = {}
        kept = ResourceVersion.objects.filter(
            resource_type__in={t for t, _ in keys},
            resource_id__in={i for _, i in keys},
            created_at__gte=assessment.recorded_at,
            created_at__lte=until,
        ).values_list("resource_type", "resource_id", "version")
        for resource_type, resource_id, version in kept:
            if int(numbers.get((resource_type, resource_id), 0)) < version:
                numbers[(resource_type, resource_id)] = str(version)
    return [{"reference": f"{t}/{i}/_history/{numbers[(t, i)]}" if (t, i) in numbers else f"{t}/{i}"} for t, i in keys]


def provenance_resources(assessment: Assessment) -> list[dict]:
    in_error = assessment.record_status == RecordStatus.ENTERED_IN_ERROR
    # The recording (or amendment) attests this version's content while it was in force: until it was amended
    # or marked in error; the NULLIFY attests the entry in error, which is in force now.
    ended = assessment.status_changed_at if assessment.record_status != RecordStatus.FINAL else None
    recorded_targets = targets_at(assessment, ended)

    def provenance(suffix, recorded, operation, display, who, reason, targets):
        return prune(
            {
                "resourceType": "Provenance",
                "id": f"assessment-{assessment.pk}{suffix}",
                "meta": meta(recorded, part2=True),
                "target": targets,
                "recorded": instant(recorded),
                "activity": concept(DATA_OPERATION, operation, display),
                "agent": [{"who": who}],
                "reason": [{"text": reason}] if reason else [],
            }
        )

    if assessment.reporter == "patient" and assessment.source == Assessment.Source.KIOSK:
        author = reference("Patient", assessment.patient_id)
    else:
        author = {"display": str(assessment.recorded_by)}
    first = assessment.replaces_id is None
    out = [
        provenance(
            "",
            assessment.recorded_at,
            "CREATE" if first else "UPDATE",
            "create" if first else "update",
            author,
            assessment.late_entry_reason if first else assessment.change_reason,
            recorded_targets,
        )
    ]
    if in_error:
        out.append(
            provenance(
                "-error",
                assessment.status_changed_at or assessment.recorded_at,
                "NULLIFY",
                "nullify",
                {"display": str(assessment.status_changed_by or assessment.recorded_by)},
                assessment.change_reason,
                targets_at(assessment, None),
            )
        )
    return out


def by_provenance_key(resource_id: str) -> Q | None:
    match = PROVENANCE_ID.fullmatch(resource_id)
    return Q(pk=int(match.group("pk"))) if match else None


register(
    ResourceKind(
        key="assessment-provenance",
        resource_type="Provenance",
        queryset=lambda: Assessment.objects.select_related("recorded_by", "status_changed_by").annotate(
            last_updated=Coalesce("status_changed_at", "recorded_at")
        ),
        to_resources=provenance_resources,
        program_field="program",
        patient_field="patient",
        updated_field="last_updated",
        parse_id=by_provenance_key,
    )
)
