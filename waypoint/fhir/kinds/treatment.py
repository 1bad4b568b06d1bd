"""Treatment plans (waypoint.treatment) as CarePlan resources, one per version of an episode's plan.

A plan version is self-contained, as it was signed: its problems are contained Conditions (a diagnosis cited as
its ICD-10-CM code, from shared/reference/clinical-scales.md only; linked screen findings as evidence), its goals
contained Goals (the patient's own words, each objective a target with its date), and each intervention an
activity coded in the program's own modality CodeSystem (the modality list is the program's to edit).

Status follows the plan's: a draft is "draft"; the signed plan in force is "active"; a version superseded by a
signed amendment is "revoked" (no longer in force) and the amendment `replaces` it. Goals of a draft are
"proposed", of the plan in force "active", of a superseded version "cancelled" (their continuation is in the
amendment). The clinician's signature is `author` and the start of `period`; the patient's acknowledgement
makes the patient a `contributor` and is stated in a note.

The F11.x diagnoses of the plan in force are also served as Conditions of their own ("plan-diagnosis"), so that
a receiver searching Condition by ICD-10-CM code finds them; they follow the plan in force (ids name its key).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import cast

from django.db.models import Q

from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS
from waypoint.treatment.codes import DIAGNOSES
from waypoint.treatment.models import TreatmentPlan

from ..codes import (
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    ICD10CM,
    coding,
    concept,
    episode_extension,
    instant,
    meta,
    own,
    prune,
    reference,
)
from ..registry import ResourceKind, by_pk, register
from .screening import screen_system

DIAGNOSIS_ID = re.compile(r"plan-(?P<pk>[1-9][0-9]{0,17})-problem-[1-9][0-9]{0,3}")
PLAN_STATUS: dict[str, str] = {
    TreatmentPlan.Status.DRAFT: "draft",
    TreatmentPlan.Status.SIGNED: "active",
    TreatmentPlan.Status.SUPERSEDED: "revoked",
}
GOAL_STATUS: dict[str, str] = {
    TreatmentPlan.Status.DRAFT: "proposed",
    TreatmentPlan.Status.SIGNED: "active",
    TreatmentPlan.Status.SUPERSEDED: "cancelled",
}
ACTIVITY_STATUS: dict[str, str] = {
    TreatmentPlan.Status.DRAFT: "not-started",
    TreatmentPlan.Status.SIGNED: "in-progress",
    TreatmentPlan.Status.SUPERSEDED: "stopped",
}


def modality_system(program) -> str:
    return own(f"CodeSystem/treatment-modalities/{program.slug}")


def problem_condition(plan: TreatmentPlan, n: int, problem: dict) -> dict:
    code = problem.get("diagnosis") or ""
    description = problem.get("description", "")
    findings = [
        concept(screen_system(HEROIN_COMPLICATIONS.code), key, HEROIN_COMPLICATIONS.item(key).label)
        for key in problem.get("screen_findings") or []
        if key in HEROIN_COMPLICATIONS.keys
    ]
    return prune(
        {
            "resourceType": "Condition",
            "id": f"problem-{n}",
            "clinicalStatus": concept(CONDITION_CLINICAL, "active", "Active"),
            "verificationStatus": concept(CONDITION_VERIFICATION, "provisional", "Provisional")
            if plan.is_draft
            else concept(CONDITION_VERIFICATION, "confirmed", "Confirmed"),
            "category": [concept(CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
            "code": {
                "coding": [coding(ICD10CM, code, DIAGNOSES[code])] if code in DIAGNOSES else [],
                "text": description,
            },
            "subject": reference("Patient", plan.patient_id),
            "evidence": [{"code": findings}] if findings else [],
        }
    )


def goal(plan: TreatmentPlan, n: int, m: int, problem: dict, item: dict) -> dict:
    return prune(
        {
            "resourceType": "Goal",
            "id": f"goal-{n}-{m}",
            "lifecycleStatus": GOAL_STATUS[plan.status],
            "description": {"text": item.get("text") or problem.get("description", "")},
            "subject": reference("Patient", plan.patient_id),
            "expressedBy": reference("Patient", plan.patient_id) if item.get("text") else None,
            "target": [
                {"measure": {"text": objective.get("text", "")}, "dueDate": objective.get("target_date")}
                for objective in item.get("objectives", [])
            ],
            "addresses": [{"reference": f"#problem-{n}"}],
        }
    )


def activity(plan: TreatmentPlan, n: int, goals: list[str], intervention: dict) -> dict:
    label = intervention.get("modality_label") or intervention.get("modality", "")
    return {
        "detail": {
            "code": concept(modality_system(plan.program), intervention.get("modality", ""), label, text=label),
            "reasonReference": [{"reference": f"#problem-{n}"}],
            "goal": [{"reference": f"#{ident}"} for ident in goals],
            "status": ACTIVITY_STATUS[plan.status],
            "scheduledString": intervention.get("frequency"),
            "performer": [{"display": intervention["responsible_name"]}]
            if intervention.get("responsible_name")
            else [],
        }
    }


def plan_resource(plan: TreatmentPlan) -> list[dict]:
    contained, addresses, goals, activities = [], [], [], []
    for n, problem in enumerate(plan.body.get("problems", []), start=1):
        contained.append(problem_condition(plan, n, problem))
        addresses.append({"reference": f"#problem-{n}"})
        problem_goals = []
        for m, item in enumerate(problem.get("goals", []), start=1):
            contained.append(goal(plan, n, m, problem, item))
            problem_goals.append(f"goal-{n}-{m}")
        goals += [{"reference": f"#{ident}"} for ident in problem_goals]
        activities += [activity(plan, n, problem_goals, i) for i in problem.get("interventions", [])]
    notes = []
    if plan.change_reason:
        notes.append({"text": f"Amends version {plan.version - 1}: {plan.change_reason}"})
    if plan.patient_signed_at:
        notes.append(
            {
                "time": instant(plan.patient_signed_at),
                "text": f"Acknowledged by the patient ({plan.patient_signed_name}), witnessed by "
                f"{plan.patient_witnessed_by}.",
            }
        )
    return [
        prune(
            {
                "resourceType": "CarePlan",
                "id": f"plan-{plan.pk}",
                "meta": meta(plan.updated_at, part2=True),
                "contained": contained,
                "replaces": [reference("CarePlan", f"plan-{plan.replaces_id}")] if plan.replaces_id else [],
                "status": PLAN_STATUS[plan.status],
                "intent": "plan",
                "title": f"Treatment plan, version {plan.version}",
                "description": f"Started from the program's template “{plan.template_name}”."
                if plan.template_name
                else None,
                "subject": reference("Patient", plan.patient_id),
                "extension": episode_extension(plan.episode_id),
                "period": {
                    "start": instant(plan.clinician_signed_at) if plan.clinician_signed_at else None,
                    "end": instant(plan.superseded_at) if plan.superseded_at else None,
                },
                "created": instant(plan.created_at),
                "author": {"display": str(plan.clinician_signed_by or plan.created_by)},
                "contributor": [reference("Patient", plan.patient_id)] if plan.patient_signed_at else [],
                "addresses": addresses,
                "goal": goals,
                "activity": activities,
                "note": notes,
            }
        )
    ]


def diagnosis_resources(plan: TreatmentPlan) -> list[dict]:
    """The diagnoses of the plan in force as Conditions of their own (searchable by ICD-10-CM code): one per
    problem that cites one, recorded when the plan was signed. A superseding plan's own take their place."""
    out = []
    for n, problem in enumerate(plan.body.get("problems", []), start=1):
        if problem.get("diagnosis") not in DIAGNOSES:
            continue
        condition = problem_condition(plan, n, problem)
        out.append(
            prune(
                condition
                | {
                    "id": f"plan-{plan.pk}-problem-{n}",
                    "meta": meta(plan.updated_at, part2=True),
                    "extension": episode_extension(plan.episode_id),
                    "recordedDate": instant(cast(datetime, plan.clinician_signed_at)),  # a signed plan (the queryset)
                    "recorder": {"display": str(plan.clinician_signed_by)},
                    "note": [{"text": f"Problem {n} of the treatment plan in force (version {plan.version})"}],
                }
            )
        )
    return out


def by_diagnosis_key(resource_id: str) -> Q | None:
    match = DIAGNOSIS_ID.fullmatch(resource_id)
    return Q(pk=int(match.group("pk"))) if match else None


def diagnosis_code(system: str | None, code: str) -> Q | None:
    """Plans in force that may cite it (the exact problem is matched on the emitted resource)."""
    return Q(pk__isnull=False) if system in (None, ICD10CM) and code in DIAGNOSES else None


register(
    ResourceKind(
        key="treatment-plan",
        resource_type="CarePlan",
        queryset=lambda: TreatmentPlan.objects.select_related(
            "program", "created_by", "clinician_signed_by", "patient_witnessed_by"
        ),
        to_resources=plan_resource,
        program_field="program",
        patient_field="patient",
        updated_field="updated_at",
        parse_id=by_pk("plan-"),
        date_field="clinician_signed_at",  # CarePlan date searches period: its start is the clinician's signature
    )
)
register(
    ResourceKind(
        key="plan-diagnosis",
        resource_type="Condition",
        queryset=lambda: TreatmentPlan.objects.filter(status=TreatmentPlan.Status.SIGNED).select_related(
            "clinician_signed_by"
        ),
        to_resources=diagnosis_resources,
        program_field="program",
        patient_field="patient",
        updated_field="updated_at",
        parse_id=by_diagnosis_key,
        date_field="clinician_signed_at",
        code_q=diagnosis_code,
    )
)
