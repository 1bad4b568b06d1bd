"""After discharge (waypoint.aftercare): the continuing-care plan as a CarePlan, the referral to the next provider as
a ServiceRequest, each follow-up contact attempt as an Encounter and what a reached contact learned as an
Observation.

No code system in ../shared/reference or in FHIR R4's own bindings names an "aftercare" CarePlan category (the
R4 example binding is LOINC-based care plan kinds, none verified here), so the category is text only:
"Aftercare (continuing care after discharge)". The next level of care is the program's ASAM level, coded in the
same own CodeSystem as the levels of care of an episode; the contact's questions and answers are text. Encounter
class is v3 ActCode (already used for episodes): a phone call, text message or video call is VR (virtual), an
in-person contact AMB (ambulatory).
"""

from __future__ import annotations

from typing import Any

from waypoint.aftercare.models import ContinuingCarePlan, FollowUp, FollowUpContact

from ..codes import ACT_CODE, coding, day, episode_extension, episode_of_care, instant, meta, prune, reference
from ..registry import ResourceKind, by_pk, register

CATEGORY = "Aftercare (continuing care after discharge)"
VIRTUAL = {FollowUpContact.Method.PHONE, FollowUpContact.Method.TEXT, FollowUpContact.Method.VIDEO}


def _episode(plan: ContinuingCarePlan) -> list[dict]:
    """The episode the plan closes (an EpisodeOfCare), as the workflow-episodeOfCare extension."""
    return episode_extension(plan.episode_id)


def _referral_id(plan: ContinuingCarePlan) -> str:
    return f"aftercare-referral-{plan.pk}"


def has_referral(plan: ContinuingCarePlan) -> bool:
    return bool(plan.next_provider)


def plan_resources(plan: ContinuingCarePlan) -> list[dict]:
    follow_ups = list(plan.follow_ups.all())
    open_ = any(f.status == FollowUp.Status.DUE for f in follow_ups)
    words = [
        (label, text)
        for label, text in (
            ("Triggers", plan.triggers),
            ("Coping steps", plan.coping_steps),
            ("People to call", plan.people_to_call),
        )
        if text
    ]
    activities = []
    if has_referral(plan):
        activities.append({"reference": reference("ServiceRequest", _referral_id(plan))})
    if plan.moud_continued_by:
        activities.append(
            {
                "detail": {
                    "kind": "MedicationRequest",
                    "description": f"Medication for opioid use disorder continued by {plan.moud_continued_by}"
                    + (f"; bridge: {plan.moud_bridge}" if plan.moud_bridge else ""),
                    "status": "scheduled",
                    "scheduledString": f"Next dose or prescription due {day(plan.moud_next_due)}"
                    if plan.moud_next_due
                    else None,
                    "performer": [{"display": plan.moud_continued_by}],
                }
            }
        )
    for follow_up in follow_ups:
        activities.append(
            {
                "detail": {
                    "description": f"Follow-up contact {follow_up.days_after} days after discharge",
                    "status": {
                        FollowUp.Status.DUE: "scheduled",
                        FollowUp.Status.DONE: "completed",
                        FollowUp.Status.LOST: "stopped",
                        FollowUp.Status.CLOSED: "cancelled",
                    }[FollowUp.Status(follow_up.status)],
                    "statusReason": {"text": follow_up.closed_reason} if follow_up.closed_reason else None,
                    "scheduledString": f"Due {day(follow_up.due_on)}",
                }
            }
        )
    notes = [{"text": f"Relapse-prevention plan, in the patient's words. {label}: {text}"} for label, text in words]
    if plan.offered:
        notes.append({"text": f"Left against advice; offered: {plan.offered}"})
    if plan.no_moud_reason:
        notes.append({"text": f"No medication continuity: {plan.no_moud_reason}"})
    notes.append({"text": f"Crisis contacts given: {plan.crisis_contacts}"})
    return [
        prune(
            {
                "resourceType": "CarePlan",
                "id": f"aftercare-plan-{plan.pk}",
                "meta": meta(plan.recorded_at, part2=True),
                "status": "active" if open_ else "completed",
                "intent": "plan",
                "category": [{"text": CATEGORY}],
                "title": "Continuing-care plan at discharge",
                "description": f"Next level of care: {plan.next_level_label}"
                + (f", with {plan.next_provider}" if plan.next_provider else ""),
                "extension": _episode(plan),
                "subject": reference("Patient", plan.patient_id),
                "period": {"start": instant(plan.episode.discharged_at) if plan.episode.discharged_at else None},
                "created": instant(plan.recorded_at),
                "author": {"display": str(plan.recorded_by)},
                "activity": activities,
                "note": notes,
            }
        )
    ]


def referral_resources(plan: ContinuingCarePlan) -> list[dict]:
    attended = any(c.reached and c.attended_next == "yes" for f in plan.follow_ups.all() for c in f.contacts.all())
    return [
        prune(
            {
                "resourceType": "ServiceRequest",
                "id": _referral_id(plan),
                "meta": meta(plan.recorded_at, part2=True),
                "basedOn": [reference("CarePlan", f"aftercare-plan-{plan.pk}")],
                "status": "completed" if attended else "active",
                "intent": "order",
                "category": [{"text": "Referral to the next level of care"}],
                "code": {"text": plan.next_level_label},
                "extension": _episode(plan),
                "subject": reference("Patient", plan.patient_id),
                "occurrenceDateTime": instant(plan.appointment_at) if plan.appointment_at else None,
                "authoredOn": instant(plan.recorded_at),
                "requester": {"display": str(plan.recorded_by)},
                "performer": [{"display": plan.next_provider}],
                "locationCode": [{"text": plan.appointment_place}] if plan.appointment_place else [],
                "note": [{"text": f"No appointment: {plan.no_appointment_reason}"}]
                if plan.no_appointment_reason and not plan.appointment_at
                else [],
            }
        )
    ]


def contact_resources(contact: FollowUpContact) -> list[dict]:
    follow_up = contact.follow_up
    plan = follow_up.plan
    return [
        prune(
            {
                "resourceType": "Encounter",
                "id": f"follow-up-contact-{contact.pk}",
                "meta": meta(contact.recorded_at, part2=True),
                "status": "finished" if contact.reached else "cancelled",
                "class": coding(ACT_CODE, "VR", "virtual")
                if contact.method in VIRTUAL
                else coding(ACT_CODE, "AMB", "ambulatory"),
                "type": [{"text": f"Follow-up {follow_up.days_after} days after discharge"}],
                "serviceType": {"text": contact.get_method_display()},
                "subject": reference("Patient", contact.patient_id),
                "basedOn": [reference("ServiceRequest", _referral_id(plan))] if has_referral(plan) else [],
                "period": {"start": instant(contact.at), "end": instant(contact.at)},
                "reasonCode": [{"text": "Follow-up after discharge"}]
                + ([] if contact.reached else [{"text": "Attempt: the patient was not reached"}]),
                "episodeOfCare": [episode_of_care(plan.episode_id)],
            }
        )
    ]


FINDINGS = (
    ("attended_next", "Went to the next appointment"),
    ("moud_continued", "Still takes the medication for opioid use disorder"),
    ("used_since", "Used since discharge"),
    ("readmitted", "Admitted anywhere since discharge"),
    ("naloxone_used", "Naloxone given at the overdose"),
    ("wants_to_come_back", "Wants to come back"),
)


def finding_resources(contact: FollowUpContact) -> list[dict]:
    components: list[dict[str, Any]] = [
        {"code": {"text": label}, "valueCodeableConcept": {"text": getattr(contact, f"get_{name}_display")()}}
        for name, label in FINDINGS
        if getattr(contact, name)
    ]
    for label, value in (
        ("Substance used", contact.substance),
        ("First day of use", day(contact.used_on) if contact.used_on else ""),
        ("Overdose since discharge", contact.get_overdose_display() if contact.overdose else ""),
        ("Naloxone given by", contact.naloxone_by),
        ("Death reported", "Yes" if contact.died else ""),
        ("Housing or safety concerns", contact.concerns),
    ):
        if value:
            components.append({"code": {"text": label}, "valueString": value})
    return [
        prune(
            {
                "resourceType": "Observation",
                "id": f"follow-up-findings-{contact.pk}",
                "meta": meta(contact.recorded_at, part2=True),
                "status": "final",
                "code": {"text": "What a follow-up contact after discharge learned"},
                "subject": reference("Patient", contact.patient_id),
                "encounter": reference("Encounter", f"follow-up-contact-{contact.pk}"),
                "effectiveDateTime": instant(contact.at),
                "issued": instant(contact.recorded_at),
                "performer": [{"display": str(contact.recorded_by)}],
                "note": [{"text": contact.note}] if contact.note else [],
                "component": components,
            }
        )
    ]


register(
    ResourceKind(
        key="continuing-care-plan",
        resource_type="CarePlan",
        queryset=lambda: ContinuingCarePlan.objects.select_related("episode", "recorded_by").prefetch_related(
            "follow_ups"
        ),
        to_resources=plan_resources,
        program_field="program",
        patient_field="patient",
        updated_field="recorded_at",
        parse_id=by_pk("aftercare-plan-"),
        date_field=None,  # the period starts at the discharge, a field of the episode: no date search
    )
)
register(
    ResourceKind(
        key="aftercare-referral",
        resource_type="ServiceRequest",
        queryset=lambda: (
            ContinuingCarePlan.objects.exclude(next_provider="")
            .select_related("recorded_by")
            .prefetch_related("follow_ups__contacts")
        ),
        to_resources=referral_resources,
        program_field="program",
        patient_field="patient",
        updated_field="recorded_at",
        parse_id=by_pk("aftercare-referral-"),
        date_field="recorded_at",
    )
)
register(
    ResourceKind(
        key="follow-up-contact",
        resource_type="Encounter",
        queryset=lambda: FollowUpContact.objects.select_related("follow_up__plan"),
        to_resources=contact_resources,
        program_field="program",
        patient_field="patient",
        updated_field="recorded_at",
        parse_id=by_pk("follow-up-contact-"),
        date_field="at",
    )
)
register(
    ResourceKind(
        key="follow-up-findings",
        resource_type="Observation",
        queryset=lambda: FollowUpContact.objects.filter(reached=True).select_related("recorded_by"),
        to_resources=finding_resources,
        program_field="program",
        patient_field="patient",
        updated_field="recorded_at",
        parse_id=by_pk("follow-up-findings-"),
        date_field="at",
    )
)
