"""Every change after discharge: one function each, atomic, with its audit event and timeline line.

The continuing-care plan is recorded by the discharge itself (`record_plan_at_discharge`, registered in
waypoint.patients.transition_checks.DISCHARGE_PARTS), so that no episode closes without one. Rule violations raise
ValidationError keyed by the offending field.
"""

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from waypoint.accounts.models import User
from waypoint.accounts.roles import CONSENT_MANAGE, EPISODE_MANAGE, OUTCOMES_READ
from waypoint.audit import trail as audit
from waypoint.audit.models import AuditEvent
from waypoint.patients.access import require
from waypoint.patients.models import Episode, Patient
from waypoint.patients.recording import write_timeline
from waypoint.placement.levels import levels_of
from waypoint.privacy import services as privacy
from waypoint.privacy.models import Disclosure, Purpose

from . import settings as aftercare_settings
from .models import COMMUNITY, ContinuingCarePlan, FollowUp, FollowUpContact, ReEngagementTask, SentinelEvent

TEXT_FIELDS = (
    "next_provider",
    "appointment_place",
    "no_appointment_reason",
    "moud_continued_by",
    "moud_bridge",
    "no_moud_reason",
    "triggers",
    "coping_steps",
    "people_to_call",
    "offered",
)
PLAN_FIELDS = (
    "next_level",
    "provider_in_program",
    "appointment_at",
    "moud_next_due",
    "moud_supplied_through",
    *TEXT_FIELDS,
)
SHORT = {"next_provider": 200, "appointment_place": 200, "moud_continued_by": 200}
LONG = 4000
DENIED = AuditEvent.Outcome.DENIED
MISSING_PLAN = (
    "Record the continuing-care plan with the discharge: the next level of care and provider, the appointment "
    "(or why there is none), who continues the medication, and the patient's relapse-prevention plan."
)


def next_level_choices(edition: int) -> list[tuple[str, str]]:
    from .models import COMMUNITY_LABEL

    return [(lvl.code, lvl.label) for lvl in levels_of(edition)] + [(COMMUNITY, COMMUNITY_LABEL)]


def _as_datetime(value: Any, field: str, errors: dict[str, str], tz: tzinfo) -> datetime | None:
    if value in (None, ""):
        return None
    found: datetime | None
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, str):
        found = parse_datetime(value)
        if found is None:
            errors[field] = "Give a date and time, e.g. 2026-03-02T14:30."
            return None
    else:
        errors[field] = "Give a date and time, e.g. 2026-03-02T14:30."
        return None
    return timezone.make_aware(found, tz) if timezone.is_naive(found) else found


def _as_date(value: Any, field: str, errors: dict[str, str]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    found = parse_date(value) if isinstance(value, str) else None
    if found is None:
        errors[field] = "Give a date, e.g. 2026-03-02."
    return found


def clean_plan(episode: Episode, details: Any) -> dict[str, Any]:
    """The plan's fields, checked against the rules of a discharge with this reason; ValidationError names every
    field at fault. Against advice, what was offered is required and the rest is recorded as far as agreed."""
    if details is None:
        raise ValidationError({"continuing_care_plan": MISSING_PLAN})
    if not isinstance(details, dict):
        raise ValidationError({"continuing_care_plan": "Give the plan's fields as an object."})
    unknown = sorted(set(details) - set(PLAN_FIELDS))
    if unknown:
        raise ValidationError({"continuing_care_plan": f"Unknown fields: {', '.join(unknown)}."})
    program = episode.program
    errors: dict[str, str] = {}
    plan: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = details.get(name) or ""
        if not isinstance(value, str):
            errors[name] = "Give text."
            continue
        if len(value) > SHORT.get(name, LONG):
            errors[name] = f"At most {SHORT.get(name, LONG)} characters."
        plan[name] = value.strip()
    in_program = details.get("provider_in_program", False)
    if not isinstance(in_program, bool):
        errors["provider_in_program"] = "Give true or false."
    plan["provider_in_program"] = bool(in_program)
    next_level = details.get("next_level") or ""
    if next_level and next_level not in dict(next_level_choices(program.asam_edition)):
        errors["next_level"] = "Choose a level of care of the program's ASAM edition, or recovery support."
    plan["next_level"] = next_level
    plan["appointment_at"] = _as_datetime(details.get("appointment_at"), "appointment_at", errors, program.tz)
    plan["moud_next_due"] = _as_date(details.get("moud_next_due"), "moud_next_due", errors)
    plan["moud_supplied_through"] = _as_date(details.get("moud_supplied_through"), "moud_supplied_through", errors)

    against_advice = episode.discharge_reason == Episode.DischargeReason.AGAINST_ADVICE
    if against_advice:
        if not plan.get("offered"):
            errors["offered"] = "Leaving against advice: record what was offered (and the patient's answer)."
    else:
        if not next_level and "next_level" not in errors:
            errors["next_level"] = "Choose the next level of care."
        if not plan.get("next_provider"):
            errors["next_provider"] = "Name the next provider (in this program or outside)."
        if plan["appointment_at"] is None and not plan.get("no_appointment_reason") and "appointment_at" not in errors:
            errors["appointment_at"] = "Give the appointment's date and time, or the reason there is none."
        if not plan.get("moud_continued_by") and not plan.get("no_moud_reason"):
            errors["moud_continued_by"] = "Name who continues the medication, or give the reason there is none."
        for name, words in (
            ("triggers", "the patient's triggers"),
            ("coping_steps", "the patient's coping steps"),
            ("people_to_call", "the people the patient will call"),
        ):
            if not plan.get(name):
                errors[name] = f"Write {words}, in their words."
    if plan["appointment_at"] is not None:
        if not plan.get("appointment_place"):
            errors["appointment_place"] = "Give the appointment's place."
        if episode.discharged_at and plan["appointment_at"] < episode.discharged_at:
            errors["appointment_at"] = "The appointment is before the discharge."
    if plan.get("moud_continued_by") and plan["moud_next_due"] is None and "moud_next_due" not in errors:
        errors["moud_next_due"] = "Give the day the next dose or prescription is due."
    discharge_day = timezone.localtime(episode.discharged_at, program.tz).date() if episode.discharged_at else None
    if plan["moud_next_due"] is not None and discharge_day is not None:
        if plan["moud_next_due"] < discharge_day:
            errors["moud_next_due"] = "The next dose or prescription is due before the discharge."
        last_covered = plan["moud_supplied_through"] or discharge_day
        if plan["moud_next_due"] > last_covered + timedelta(days=1) and not plan.get("moud_bridge"):
            errors["moud_bridge"] = (
                f"The medication lasts through {last_covered:%Y-%m-%d} but the next dose or prescription is due "
                f"on {plan['moud_next_due']:%Y-%m-%d}: record the bridge for the days between."
            )
    if errors:
        raise ValidationError(errors)
    return plan


def due_day(discharged_at: datetime, days_after: int, tz: tzinfo) -> date:
    """The day a follow-up is due: the discharge's calendar day in the program's time zone plus the days."""
    return timezone.localtime(discharged_at, tz).date() + timedelta(days=days_after)


def record_plan_at_discharge(acting_user: User, episode: Episode, details: dict[str, Any]) -> ContinuingCarePlan:
    """Part of every discharge (patients.services.discharge calls it in its transaction): the plan, its
    follow-up schedule from the program's setting, and their audit event."""
    plan_fields = clean_plan(episode, details)
    program = episode.program
    assert episode.discharged_at is not None  # the discharge sets it before its parts are recorded
    plan = ContinuingCarePlan.objects.create(
        program=program,
        patient=episode.patient,
        episode=episode,
        asam_edition=program.asam_edition,
        crisis_contacts=aftercare_settings.CRISIS_CONTACTS.get(program),
        recorded_by=acting_user,
        **plan_fields,
    )
    days = sorted(aftercare_settings.FOLLOW_UP_DAYS.get(program))
    FollowUp.objects.bulk_create(
        FollowUp(
            program=program,
            patient=episode.patient,
            plan=plan,
            days_after=d,
            due_on=due_day(episode.discharged_at, d, program.tz),
        )
        for d in days
    )
    write_timeline(
        episode.patient,
        "continuing_care_plan",
        f"Continuing-care plan: {plan.next_level_label}"
        + (f" with {plan.next_provider}" if plan.next_provider else "")
        + f"; follow-up on days {', '.join(str(d) for d in days)}",
        at=episode.discharged_at,
        by=acting_user,
        episode=episode,
    )
    audit.record(
        acting_user,
        "aftercare.plan.record",
        patient=episode.patient,
        obj=plan,
        detail={"follow_up_days": days, "against_advice": bool(plan.offered and not plan.next_level)},
    )
    return plan


# --- follow-up contacts -----------------------------------------------------------------------------------------

ANSWER_FIELDS = ("attended_next", "moud_continued", "used_since", "naloxone_used", "readmitted", "wants_to_come_back")


@transaction.atomic
def record_contact(
    acting_user: User, follow_up: FollowUp, *, at: datetime, method: str, reached: bool, **found: Any
) -> FollowUpContact:
    """One attempt to reach the patient. Reached: what was learned, and the follow-up is done; a return to use
    or an overdose opens a re-engagement task. Not reached: the attempt counts; after the program's number of
    attempts the follow-up is lost to follow-up (it stays on the record). A death closes every open follow-up of
    the discharge."""
    require(acting_user, follow_up.program_id, EPISODE_MANAGE)
    follow_up = FollowUp.objects.select_for_update().select_related("plan", "patient").get(pk=follow_up.pk)
    errors: dict[str, str] = {}
    if follow_up.status != FollowUp.Status.DUE:
        raise ValidationError({"follow_up": f"This follow-up is already {follow_up.get_status_display().lower()}."})
    if method not in FollowUpContact.Method.values:
        errors["method"] = "Choose how the patient was contacted."
    if not isinstance(reached, bool):
        errors["reached"] = "Say whether the patient was reached."
    if at > timezone.now() + timedelta(minutes=5):
        errors["at"] = "This time is in the future."
    elif at < (follow_up.plan.episode.discharged_at or at):
        errors["at"] = "The contact is before the discharge."
    for name in ANSWER_FIELDS:
        value = found.get(name) or ""
        if value and value not in FollowUpContact.Answer.values:
            errors[name] = "Choose yes, no or not known."
    overdose = found.get("overdose") or ""
    if overdose and overdose not in FollowUpContact.Overdose.values:
        errors["overdose"] = "Choose no overdose, non-fatal or fatal."
    died = found.get("died", False)
    if not isinstance(died, bool):
        errors["died"] = "Give true or false."
    if overdose == "fatal":
        found["died"] = died = True
    learned = {k: v for k, v in found.items() if v not in (None, "", False)}
    if not reached and learned.keys() - {"note"}:
        errors["reached"] = "Nothing was learned from an attempt that did not reach anyone: record only a note."
    if reached and not found.get("used_since") and not died:
        errors["used_since"] = "Record whether the patient used since discharge (or 'not known')."
    if found.get("used_since") != "yes" and (found.get("substance") or found.get("used_on")):
        errors["used_since"] = "A substance or day of use is given: record the use as 'yes'."
    if overdose in ("", "none") and (found.get("naloxone_used") or found.get("naloxone_by")):
        errors["naloxone_used"] = "Naloxone use is recorded only with an overdose."
    used_on = found.get("used_on")
    if used_on and used_on < timezone.localtime(follow_up.plan.episode.discharged_at, follow_up.program.tz).date():
        errors["used_on"] = "This day is before the discharge."
    if errors:
        raise ValidationError(errors)
    contact = FollowUpContact.objects.create(
        program_id=follow_up.program_id,
        patient=follow_up.patient,
        follow_up=follow_up,
        at=at,
        method=method,
        reached=reached,
        recorded_by=acting_user,
        **{k: v for k, v in found.items() if v is not None},
    )
    detail: dict[str, Any] = {"reached": reached, "days_after": follow_up.days_after}
    if reached:
        follow_up.status = FollowUp.Status.DONE
        summary = f"Day-{follow_up.days_after} follow-up: reached by {contact.get_method_display().lower()}"
        if contact.used_since == "yes":
            summary += " · return to use reported"
        if contact.overdose in ("non_fatal", "fatal"):
            summary += f" · {contact.get_overdose_display().lower()}"
        if contact.died:
            if contact.overdose != "fatal":
                summary += " · death reported"
            closed = FollowUp.objects.filter(plan=follow_up.plan, status=FollowUp.Status.DUE).exclude(pk=follow_up.pk)
            detail["closed_follow_ups"] = closed.update(
                status=FollowUp.Status.CLOSED, closed_reason="Death reported; sentinel event for the director"
            )
            event = SentinelEvent.objects.create(
                program_id=follow_up.program_id,
                patient=follow_up.patient,
                plan=follow_up.plan,
                contact=contact,
                what="Death from an overdose" if contact.overdose == "fatal" else "Death reported",
                reported_at=at,
            )
            detail["sentinel_event"] = event.pk
            summary += " · follow-up closed; sentinel event for the director"
        elif contact.used_since == "yes" or contact.overdose == "non_fatal":
            reason = "Overdose reported" if contact.overdose == "non_fatal" else "Return to use reported"
            task = ReEngagementTask.objects.create(
                program_id=follow_up.program_id, patient=follow_up.patient, contact=contact, reason=reason, opened_at=at
            )
            detail["re_engagement_task"] = task.pk
            summary += " · re-engagement task opened"
    else:
        attempts = follow_up.contacts.filter(reached=False).count()
        allowed = aftercare_settings.ATTEMPTS_BEFORE_LOST.get(follow_up.program)
        summary = f"Day-{follow_up.days_after} follow-up: not reached (attempt {attempts} of {allowed})"
        detail["attempts"] = attempts
        if attempts >= allowed:
            follow_up.status = FollowUp.Status.LOST
            follow_up.closed_reason = (
                f"Not reached after {attempts} attempts ({aftercare_settings.ATTEMPTS_BEFORE_LOST.describe(allowed)})"
            )
            summary += " · lost to follow-up"
            detail["lost"] = True
    follow_up.save(update_fields=["status", "closed_reason"])
    write_timeline(follow_up.patient, "follow_up", summary[:300], at=at, by=acting_user, episode=follow_up.plan.episode)
    audit.record(acting_user, "aftercare.contact.record", patient=follow_up.patient, obj=contact, detail=detail)
    return contact


@transaction.atomic
def close_task(acting_user: User, task: ReEngagementTask, *, outcome: str) -> ReEngagementTask:
    require(acting_user, task.program_id, EPISODE_MANAGE)
    task = ReEngagementTask.objects.select_for_update().select_related("patient").get(pk=task.pk)
    if task.status != ReEngagementTask.Status.OPEN:
        raise ValidationError({"task": "This task is already done."})
    if not outcome.strip():
        raise ValidationError({"outcome": "Say what was done (called, invited back, put on the waitlist first)."})
    task.status, task.outcome, task.done_at, task.done_by = (
        ReEngagementTask.Status.DONE,
        outcome.strip(),
        timezone.now(),
        acting_user,
    )
    task.save(update_fields=["status", "outcome", "done_at", "done_by"])
    write_timeline(
        task.patient, "re_engagement", f"Re-engagement: {outcome.strip()}"[:300], at=task.done_at, by=acting_user
    )
    audit.record(acting_user, "aftercare.task.close", patient=task.patient, obj=task)
    return task


# --- the hand-off to the next provider: a Part 2 disclosure --------------------------------------------------------

HAND_OFF_INFORMATION = ["episodes"]  # the consent's kind of information that holds the continuing-care plan


def hand_off_refusal(plan: ContinuingCarePlan) -> str | None:
    """Why the plan cannot be sent to its next provider (None: an active consent covers it)."""
    if plan.hand_off_id:
        return "The plan was already sent to the next provider."
    if plan.provider_in_program:
        return "The next provider is this program: the plan is already in the patient's record here."
    if not plan.next_provider:
        return "The plan names no next provider."
    try:
        privacy.covering_consent(plan.patient, plan.next_provider, Purpose.TREATMENT, set(HAND_OFF_INFORMATION))
    except ValidationError as error:
        return (
            f"The packet goes only to the patient: no consent lets this program send the plan to "
            f"{plan.next_provider} for treatment. {error.message_dict['consent'][0]}"
        )
    return None


def hand_off(acting_user: User, plan: ContinuingCarePlan) -> Disclosure:
    """Send the plan to the receiving provider: a disclosure for treatment under a consent that names that
    provider, logged in the accounting of disclosures with the Part 2 notice. Refused (and audited) without one."""
    require(acting_user, plan.program_id, CONSENT_MANAGE)
    why = hand_off_refusal(plan)
    if why is not None:
        audit.record(
            acting_user, "aftercare.plan.hand_off", patient=plan.patient, obj=plan, outcome=DENIED, detail={"why": why}
        )
        raise ValidationError({"hand_off": why})
    with transaction.atomic():
        plan = ContinuingCarePlan.objects.select_for_update().select_related("patient").get(pk=plan.pk)
        if plan.hand_off_id:
            raise ValidationError({"hand_off": "The plan was already sent to the next provider."})
        disclosure = privacy.disclose(
            acting_user=acting_user,
            patient=plan.patient,
            recipient=plan.next_provider,
            purpose=Purpose.TREATMENT,
            information=HAND_OFF_INFORMATION,
        )
        plan.hand_off = disclosure
        plan.save(update_fields=["hand_off"])
        write_timeline(
            plan.patient,
            "hand_off",
            f"Continuing-care plan sent to {plan.next_provider} under the consent of {disclosure.consent.signed_on}",
            at=disclosure.disclosed_at,
            by=acting_user,
            episode=plan.episode,
        )
        audit.record(
            acting_user, "aftercare.plan.hand_off", patient=plan.patient, obj=plan, detail={"disclosure": disclosure.pk}
        )
    return disclosure


@transaction.atomic
def review_sentinel_event(acting_user: User, event: SentinelEvent, *, review: str) -> SentinelEvent:
    """The director records the review of a death reported after discharge."""
    require(acting_user, event.program_id, OUTCOMES_READ)
    event = SentinelEvent.objects.select_for_update().select_related("patient").get(pk=event.pk)
    if event.reviewed_at is not None:
        raise ValidationError({"review": "This sentinel event is already reviewed."})
    if not review.strip():
        raise ValidationError({"review": "Write the review's finding (what was learned, what changes)."})
    event.review, event.reviewed_at, event.reviewed_by = review.strip(), timezone.now(), acting_user
    event.save(update_fields=["review", "reviewed_at", "reviewed_by"])
    audit.record(acting_user, "aftercare.sentinel.review", patient=event.patient, obj=event)
    return event


def work_list(patients: QuerySet[Patient], today: date) -> dict[str, list[FollowUp]]:
    """Follow-ups of these patients: due today, overdue (due before today, not yet reached or closed), and done
    or closed in the last 30 days."""
    scope = FollowUp.objects.filter(patient__in=patients).select_related("patient", "plan")
    due = scope.filter(status=FollowUp.Status.DUE)
    return {
        "today": list(due.filter(due_on=today)),
        "overdue": list(due.filter(due_on__lt=today)),
        "done": list(
            scope.exclude(status=FollowUp.Status.DUE).filter(due_on__gte=today - timedelta(days=30)).order_by("-due_on")
        ),
    }


def contact_time(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(12), tzinfo=tz)
