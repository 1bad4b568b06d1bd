"""Code systems, security labels and small builders shared by every mapping.

Standard systems only where the code is verified: the HL7 v3 Confidentiality and ActCode labels named in
shared/reference/privacy-rules.md, ICD-10-CM codes of shared/reference/clinical-scales.md, and the LOINC
vital-sign codes and UCUM units that the FHIR R4 (4.0.1) specification itself binds for vital signs
(http://hl7.org/fhir/R4/observation-vitalsigns.html). Everything of Waypoint's own (instruments, severity
bands, screen items, levels of care) uses the project's CodeSystem URLs under `CANONICAL`; no LOINC code is
claimed for any instrument total (none is verified for COWS).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

# The project's canonical base for its own CodeSystems, Questionnaires and identifier systems. It names
# Waypoint's definitions (not a server): every deployment emits the same URLs.
CANONICAL = "https://waypoint.example.org/fhir"
FHIR_VERSION = "4.0.1"

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
PURPOSE_OF_USE = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
MEDICATION_REQUEST_CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
# The identifier-type code system the FHIR R4 spec binds Identifier.type to (v2 table 0203): MR = medical record number.
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
BIRTH_SEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
# FHIR R4 core extension (http://hl7.org/fhir/R4/extension-workflow-episodeofcare.html): the episode of care that
# is the context of a resource whose own encounter element takes an Encounter only (Observation, CarePlan,
# Condition, QuestionnaireResponse, ServiceRequest; MedicationRequest by the FHIR Extensions Pack).
EPISODE_OF_CARE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/workflow-episodeOfCare"
# R4's example code system for EpisodeOfCare.type: "da" = Drug and alcohol rehabilitation.
EPISODE_OF_CARE_TYPE = "http://terminology.hl7.org/CodeSystem/episodeofcare-type"
# US Core 5.0.1: the profiles declared in meta.profile where a resource conforms (checked by Medplum's validator in
# the conformance tests, docs/fhir.md "US Core"), and its Condition category extension codes (health-concern).
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition"
US_CORE_PATIENT = f"{US_CORE}/us-core-patient"
US_CORE_MEDICATION_REQUEST = f"{US_CORE}/us-core-medicationrequest"
US_CORE_BLOOD_PRESSURE = f"{US_CORE}/us-core-blood-pressure"
US_CORE_CONDITION_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/condition-category"


def own(path: str) -> str:
    """A URL of the project's own (CodeSystem/..., Questionnaire/..., NamingSystem/...)."""
    return f"{CANONICAL}/{path}"


INSTRUMENTS_SYSTEM = own("CodeSystem/instruments")


# 42 CFR Part 2: resources holding substance use disorder information carry both labels
# (privacy-rules.md: "v3-Confidentiality R = restricted; the ActCode 42CFRPart2 policy code").
PART2_SECURITY = (
    {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"},
    {"system": ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"},
)


def instant(value: datetime) -> str:
    """A FHIR instant/dateTime in UTC with the stored precision: seconds, and the fraction when there is one, so
    that `meta.lastUpdated` compares with `_since` and `_lastUpdated` exactly as the database does."""
    return value.astimezone(UTC).isoformat(timespec="auto").replace("+00:00", "Z")


def day(value: date) -> str:
    return value.isoformat()


def meta(updated: datetime, *, part2: bool, version: int | None = None) -> dict:
    out: dict = {}
    if version is not None:
        out["versionId"] = str(version)
    out["lastUpdated"] = instant(updated)
    if part2:
        out["security"] = [dict(label) for label in PART2_SECURITY]
    return out


def coding(system: str, code: str, display: str = "") -> dict:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(system: str, code: str, display: str = "", text: str = "") -> dict:
    out: dict = {"coding": [coding(system, code, display)]}
    if text:
        out["text"] = text
    return out


def reference(resource_type: str, resource_id, display: str = "") -> dict:
    out = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        out["display"] = display
    return out


def episode_of_care(episode_id) -> dict | None:
    """The reference to a treatment episode (an EpisodeOfCare, id `episode-<pk>`), or None without one."""
    return reference("EpisodeOfCare", f"episode-{episode_id}") if episode_id else None


def episode_extension(episode_id) -> list[dict]:
    """The workflow-episodeOfCare extension naming the episode (none without an episode): for elements such as
    Observation.encounter that take an Encounter only, since an episode is an EpisodeOfCare, not an Encounter."""
    ref = episode_of_care(episode_id)
    return [{"url": EPISODE_OF_CARE_EXTENSION, "valueReference": ref}] if ref else []


def prune(value):
    """Drop empty strings, lists, dicts and None values: FHIR JSON allows none of them.

    Written for speed (the bulk export calls it for every resource): containers are walked once, and
    scalars are not passed through a call of their own."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(item, dict | list):
                item = prune(item)
                if item:
                    out[key] = item
            elif item is not None and item != "":
                out[key] = item
        return out
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, dict | list):
                item = prune(item)
                if item:
                    out.append(item)
            elif item is not None and item != "":
                out.append(item)
        return out
    return value


def slug(key: str) -> str:
    """An item key as a FHIR id part: ids allow [A-Za-z0-9-.] only (keys have no '-', so '_' -> '-' is reversible)."""
    return key.replace("_", "-")


def unslug(part: str) -> str:
    return part.replace("-", "_")
