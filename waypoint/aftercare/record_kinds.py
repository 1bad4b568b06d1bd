"""The after-discharge area's kinds of clinical record (see waypoint/records/registry.py)."""

from waypoint.records.registry import RecordKind, not_a_record, register

from .models import ContinuingCarePlan, FollowUpContact

SECTION = "waypoint.aftercare.sections.aftercare_body"


def plans_of(patient, user):
    return ContinuingCarePlan.objects.filter(patient=patient).select_related("episode").order_by("recorded_at", "pk")


def plan_row(plan: ContinuingCarePlan) -> dict:
    return {
        "discharged_at": plan.episode.discharged_at,
        "next_level": plan.next_level_label,
        "next_provider": plan.next_provider,
        "appointment": (
            f"{plan.appointment_at:%Y-%m-%d %H:%M}, {plan.appointment_place}"
            if plan.appointment_at
            else plan.no_appointment_reason
        ),
        "medication": (
            f"{plan.moud_continued_by}, next due {plan.moud_next_due:%Y-%m-%d}"
            + (f"; bridge: {plan.moud_bridge}" if plan.moud_bridge else "")
            if plan.moud_continued_by and plan.moud_next_due
            else plan.no_moud_reason
        ),
        "relapse_prevention": "; ".join(
            f"{label}: {text}"
            for label, text in (
                ("Triggers", plan.triggers),
                ("Coping steps", plan.coping_steps),
                ("People to call", plan.people_to_call),
            )
            if text
        ),
        "offered": plan.offered,
    }


def contacts_of(patient, user):
    return FollowUpContact.objects.filter(patient=patient).select_related("follow_up").order_by("at", "pk")


def contact_row(contact: FollowUpContact) -> dict:
    return {
        "at": contact.at,
        "follow_up": f"Day {contact.follow_up.days_after}",
        "method": contact.get_method_display(),
        "reached": "Yes" if contact.reached else "No",
        "used_since": contact.get_used_since_display(),
        "overdose": contact.get_overdose_display(),
        "note": contact.note,
    }


register(
    RecordKind(
        key="continuing_care_plans",
        title="Continuing-care plans",
        model="aftercare.ContinuingCarePlan",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="episodes",
        rows=plans_of,
        columns=(
            ("discharged_at", "Discharged"),
            ("next_level", "Next level of care"),
            ("next_provider", "Next provider"),
            ("appointment", "Appointment"),
            ("medication", "Medication continuity"),
            ("relapse_prevention", "Relapse-prevention plan"),
            ("offered", "Offered (left against advice)"),
        ),
        render=plan_row,
        fhir_kinds=("continuing-care-plan", "aftercare-referral"),
        chart_section=SECTION,
        seed="aftercare.plans",
        position=3,
    )
)
register(
    RecordKind(
        key="follow_up_contacts",
        title="Follow-up contacts after discharge",
        model="aftercare.FollowUpContact",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="all_sud_records",  # use and overdoses: not an admission or discharge
        rows=contacts_of,
        columns=(
            ("at", "When"),
            ("follow_up", "Follow-up"),
            ("method", "How"),
            ("reached", "Reached"),
            ("used_since", "Used since discharge"),
            ("overdose", "Overdose"),
            ("note", "Note"),
        ),
        render=contact_row,
        fhir_kinds=("follow-up-contact", "follow-up-findings"),
        chart_section=SECTION,
        seed="aftercare.contacts",
        position=4,
    )
)
not_a_record(
    "aftercare.FollowUp",
    "the schedule of follow-ups of a continuing-care plan (day and status); its contacts are the records",
)
not_a_record(
    "aftercare.ReEngagementTask",
    "a work item a follow-up contact opens; the contact it comes from holds the clinical facts",
)
not_a_record(
    "aftercare.SentinelEvent",
    "the director's review of a death reported at a follow-up contact; the contact holds the clinical facts",
)
