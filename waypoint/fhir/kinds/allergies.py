"""Drug allergies (waypoint.patients.Allergy): each entry an AllergyIntolerance of category "medication".

No substance code is claimed: shared/reference/ publishes none for drugs or classes of drugs, nor a verified code for
"no known drug allergies", so `code` is text only (the drug or class as recorded; "No known drug allergies" for that
entry). A patient never asked has no entry and so no resource. The clinical and verification statuses are FHIR's own
code systems: an entry in force is clinically "active"; a "no known drug allergies" entry replaced by a recorded
allergy is "inactive" with the reason; an entry marked entered in error has verificationStatus "entered-in-error"
and, as FHIR requires (ait-2), no clinicalStatus. No verificationStatus is claimed otherwise: Waypoint records what
the patient or the record says, not how certain it is.

Severity: Waypoint records the severity of the reaction the patient had, which FHIR carries as
`reaction.severity` (mild | moderate | severe). FHIR's `criticality` is another judgement (the potential for future
harm), which Waypoint does not record, so none is emitted. A severity recorded without a described reaction goes in
a note (a `reaction` needs its manifestation).
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import F
from django.db.models.functions import Coalesce, Greatest

from waypoint.patients.allergy_models import Allergy
from waypoint.patients.records import RecordStatus

from ..codes import concept, episode_extension, instant, meta, prune, reference
from ..registry import ResourceKind, by_pk, register

CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
REACTION_SEVERITY = {"mild", "moderate", "severe"}  # FHIR's reaction.severity codes; "not known" emits none


def code(allergy: Allergy) -> dict:
    if allergy.kind == Allergy.Kind.NONE_KNOWN:
        return {"text": "No known drug allergies"}
    if allergy.kind == Allergy.Kind.DRUG_CLASS:
        return {"text": f"{allergy.substance} (a class of drugs)"}
    return {"text": allergy.substance}


def statuses(allergy: Allergy) -> dict:
    if allergy.record_status == RecordStatus.ENTERED_IN_ERROR:
        return {"verificationStatus": concept(VERIFICATION, "entered-in-error", "Entered in Error")}
    if allergy.record_status == RecordStatus.AMENDED:
        return {"clinicalStatus": concept(CLINICAL, "inactive", "Inactive")}
    return {"clinicalStatus": concept(CLINICAL, "active", "Active")}


def notes(allergy: Allergy) -> list[dict]:
    out = [{"text": allergy.note}] if allergy.note else []
    if allergy.severity in REACTION_SEVERITY and not allergy.reaction:
        out.append({"text": f"Severity of the reaction: {allergy.get_severity_display().lower()} (not described)"})
    if allergy.record_status != RecordStatus.FINAL and allergy.change_reason:
        changed = "Entered in error" if allergy.record_status == RecordStatus.ENTERED_IN_ERROR else "Replaced"
        entry: dict[str, Any] = {"text": f"{changed}: {allergy.change_reason}"}
        if allergy.status_changed_at is not None:
            entry["time"] = instant(allergy.status_changed_at)
        out.append(entry)
    return out


def allergy_resource(allergy: Allergy) -> list[dict]:
    reaction = []
    if allergy.reaction:
        reaction.append(
            {
                "manifestation": [{"text": allergy.reaction}],
                "severity": allergy.severity if allergy.severity in REACTION_SEVERITY else None,
            }
        )
    return [
        cast(
            dict,
            prune(
                {
                    "resourceType": "AllergyIntolerance",
                    "id": f"allergy-{allergy.pk}",
                    # the episode as an EpisodeOfCare: AllergyIntolerance.encounter takes an Encounter only
                    "extension": episode_extension(allergy.episode_id),
                    "meta": meta(cast(Any, allergy).last_updated, part2=True),  # annotated by the queryset
                    **statuses(allergy),
                    "category": ["medication"],
                    "code": code(allergy),
                    "patient": reference("Patient", allergy.patient_id),
                    "recordedDate": instant(allergy.recorded_at),
                    "recorder": {"display": str(allergy.recorded_by)},
                    "reaction": reaction,
                    "note": notes(allergy),
                }
            ),
        )
    ]


register(
    ResourceKind(
        key="allergy",
        resource_type="AllergyIntolerance",
        queryset=lambda: Allergy.objects.select_related("recorded_by").annotate(
            last_updated=Greatest(F("recorded_at"), Coalesce(F("status_changed_at"), F("recorded_at")))
        ),
        to_resources=allergy_resource,
        program_field="program",
        patient_field="patient",
        updated_field="last_updated",
        parse_id=by_pk("allergy-"),
        date_field="recorded_at",
    )
)
