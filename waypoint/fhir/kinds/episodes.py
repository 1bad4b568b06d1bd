"""Treatment episodes as EpisodeOfCare, and the level-of-care stays within them as Encounters (waypoint.patients).

An episode of care runs from admission to discharge: R4's EpisodeOfCare ("an association between a patient and an
organization ... over which the organization takes responsibility"), not an Encounter. Its status follows the
episode (open: `active`; discharged: `finished`), its type is R4's example code `da` (Drug and alcohol
rehabilitation) with the program's words, its period the admission and discharge, and its diagnoses the F11.x
diagnoses of the treatment plan in force (the plan-diagnosis Conditions, in the plan's order). Waypoint records no
care manager for an episode (`admitted_by` is who recorded the admission), so `careManager` is left out.

Each level-of-care stay is an Encounter (class from the level's setting, type the ASAM level) whose
`episodeOfCare` is its episode; the stay that ended with the discharge carries the discharge reason as
`hospitalization.dischargeDisposition`.
"""

from __future__ import annotations

from django.db.models import OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce, Greatest

from waypoint.patients.models import Episode, LevelOfCareStay
from waypoint.placement.levels import Setting
from waypoint.treatment.codes import DIAGNOSES
from waypoint.treatment.models import TreatmentPlan

from ..codes import (
    ACT_CODE,
    EPISODE_OF_CARE_TYPE,
    coding,
    concept,
    episode_of_care,
    instant,
    meta,
    own,
    prune,
    reference,
)
from ..registry import ResourceKind, by_pk, register

STATUS = {True: "active", False: "finished"}  # open episode -> active, discharged -> finished

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


def discharge_system() -> str:
    return own("CodeSystem/discharge-reason")


def diagnoses(episode: Episode) -> list[dict]:
    """The F11.x diagnoses of the plan in force, as references to its plan-diagnosis Conditions."""
    out: list[dict] = []
    for plan in getattr(episode, "plans_in_force", []):
        for n, problem in enumerate(plan.body.get("problems", []), start=1):
            if problem.get("diagnosis") in DIAGNOSES:
                out.append({"condition": reference("Condition", f"plan-{plan.pk}-problem-{n}"), "rank": len(out) + 1})
    return out


def episode_resource(episode: Episode) -> list[dict]:
    updated = getattr(episode, "last_updated", None) or episode.discharged_at or episode.admitted_at
    return [
        prune(
            {
                "resourceType": "EpisodeOfCare",
                "id": f"episode-{episode.pk}",
                "meta": meta(updated, part2=True),
                "status": STATUS[episode.discharged_at is None],
                "type": [
                    concept(
                        EPISODE_OF_CARE_TYPE,
                        "da",
                        "Drug and alcohol rehabilitation",
                        text="Episode of care for substance use disorder treatment",
                    )
                ],
                "diagnosis": diagnoses(episode),
                "patient": reference("Patient", episode.patient_id),
                "managingOrganization": {"display": episode.program.name},
                "period": period(episode.admitted_at, episode.discharged_at),
            }
        )
    ]


def stay_resource(stay: LevelOfCareStay) -> list[dict]:
    episode = stay.episode
    discharged = bool(episode.discharge_reason) and stay.ended_at is not None and stay.ended_at == episode.discharged_at
    reason = episode.get_discharge_reason_display() if discharged else ""
    return [
        prune(
            {
                "resourceType": "Encounter",
                "id": f"stay-{stay.pk}",
                "meta": meta(stay.ended_at or stay.started_at, part2=True),
                "status": "in-progress" if stay.ended_at is None else "finished",
                "class": encounter_class(stay.level),
                "type": [level_concept(stay)],
                "episodeOfCare": [episode_of_care(stay.episode_id)],
                "subject": reference("Patient", stay.patient_id),
                "period": period(stay.started_at, stay.ended_at),
                "reasonCode": [{"text": stay.reason}] if stay.reason else [],
                "hospitalization": {
                    "dischargeDisposition": {
                        "coding": [coding(discharge_system(), episode.discharge_reason, reason)],
                        "text": " — ".join(filter(None, [reason, episode.discharge_note])),
                    }
                }
                if discharged
                else None,
                "serviceProvider": {"display": stay.program.name},
            }
        )
    ]


def episodes():
    # Last updated: admission, discharge, or a change of its signed plans (a signature changes the diagnoses).
    plans = (
        TreatmentPlan.objects.filter(episode=OuterRef("pk"))
        .exclude(status=TreatmentPlan.Status.DRAFT)
        .order_by("-updated_at")
        .values("updated_at")[:1]
    )
    start = Coalesce("discharged_at", "admitted_at")
    return (
        Episode.objects.select_related("program")
        .prefetch_related(
            Prefetch(
                "treatment_plans",
                queryset=TreatmentPlan.objects.filter(status=TreatmentPlan.Status.SIGNED).order_by("pk"),
                to_attr="plans_in_force",
            )
        )
        .annotate(last_updated=Greatest(start, Coalesce(Subquery(plans), start)))
    )


register(
    ResourceKind(
        key="episode",
        resource_type="EpisodeOfCare",
        queryset=episodes,
        to_resources=episode_resource,
        program_field="program",
        patient_field="patient",
        updated_field="last_updated",
        parse_id=by_pk("episode-"),
        date_field="admitted_at",  # EpisodeOfCare `date`: the start of its period, the admission
    )
)
register(
    ResourceKind(
        key="level-of-care-stay",
        resource_type="Encounter",
        queryset=lambda: LevelOfCareStay.objects.select_related("program", "episode").annotate(
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
