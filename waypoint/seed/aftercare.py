"""Post-discharge histories (waypoint.aftercare): for every discharged episode, the continuing-care plan the
discharge recorded, its follow-ups on the program's days, the contact attempts (reached or not; lost to follow-up
after the program's number of unanswered attempts), what a reached contact learned (attended the next appointment,
still on MOUD, a return to use, now and then a non-fatal overdose, a readmission when the history has one) and
the re-engagement task a return to use opens. No deaths are seeded (a synthetic history goes on after discharge).

Ids of plans, follow-ups and contacts are taken ahead from the tables' sequences (as the core generators' are), so
that follow-ups and contacts can name them; the history of each episode is drawn once, by the plans' generator,
and handed to the later generators through the context.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from waypoint.aftercare import settings as aftercare_settings
from waypoint.aftercare.models import COMMUNITY
from waypoint.aftercare.services import due_day

from .load import Sink
from .registry import Generator, register

PROVIDERS = ("Harbor outpatient clinic", "Riverside Primary Care", "Eastside recovery community center")
MOUD_BY = ("Harbor OTP clinic", "Riverside Primary Care (buprenorphine prescriber)")
TRIGGERS = ("Payday, seeing old friends", "Being alone at night", "Pain in my back", "Arguments at home")
COPING = ("Call my sponsor, go to a meeting", "Walk the dog, call my sister", "Go to the recovery center")
PEOPLE = ("My sister", "My sponsor", "My mother", "My partner")


@dataclass
class History:
    plan: tuple
    follow_ups: list[tuple] = field(default_factory=list)
    contacts: list[tuple] = field(default_factory=list)
    tasks: list[tuple] = field(default_factory=list)


def _state(ctx) -> dict:
    state = ctx.__dict__.setdefault("_aftercare", {"sink": Sink(), "histories": {}})
    return state


def _ids(ctx, model: str, count: int) -> list[int]:
    """Fresh ids, taken from the table's sequence 500 at a time (one query per 500 rows, not one per row)."""
    state = _state(ctx)
    pool = state.setdefault("pools", {}).setdefault(model, [])
    if len(pool) < count:
        pool.extend(state["sink"].allocate_ids(model, max(count, 500)))
    taken = pool[:count]
    del pool[:count]
    return taken


def _noon(day: date, tz) -> datetime:
    return datetime.combine(day, time(11), tzinfo=tz)


def _history(ctx, p, episode, n, following) -> History:
    # A generator of its own per episode, drawn from what the seed's generator drew for the patient: the core
    # generators' stream is left as it was, and the same seed gives the same post-discharge histories.
    rng = random.Random(f"waypoint-seed-aftercare:{p.mrn}:{p.created.isoformat()}:{n}")
    tz, program = ctx.program.tz, ctx.program
    discharged: datetime = episode.discharged
    day0 = discharged.astimezone(tz).date()
    against_advice = episode.discharge_reason == "left_against_advice"
    last = episode.stays[-1].level
    moud = last == "OTP" or rng.random() < 0.45
    (plan_id,) = _ids(ctx, "aftercare.ContinuingCarePlan", 1)
    nurse = ctx.nurse(p)
    if against_advice:
        next_level = provider = ""
        offered = "Offered to stay, a bed in residential care, and an outpatient appointment; declined all."
    else:
        next_level = "1" if last != "1" else COMMUNITY
        provider = rng.choice(PROVIDERS)
        offered = ""
    has_appointment = not against_advice and rng.random() < 0.7
    plan = (
        plan_id,
        program.pk,
        p.id,
        episode.id,
        next_level,
        ctx.edition,
        provider,
        False,
        _noon(day0 + timedelta(days=rng.randint(2, 6)), tz) if has_appointment else None,
        provider if has_appointment else "",
        "" if has_appointment or against_advice else "The clinic books intake by phone; the patient calls.",
        rng.choice(MOUD_BY) if moud and not against_advice else "",
        day0 + timedelta(days=1) if moud and not against_advice else None,
        None,
        "",
        "" if moud and not against_advice else "Not on medication for opioid use disorder; declined.",
        "" if against_advice else rng.choice(TRIGGERS),
        "" if against_advice else rng.choice(COPING),
        "" if against_advice else rng.choice(PEOPLE),
        offered,
        aftercare_settings.CRISIS_CONTACTS.get(program),
        nurse,
        discharged,
        None,
    )
    history = History(plan)
    days = sorted(aftercare_settings.FOLLOW_UP_DAYS.get(program))
    allowed = aftercare_settings.ATTEMPTS_BEFORE_LOST.get(program)
    today = ctx.now.astimezone(tz).date()
    used_on: date | None = None
    follow_up_ids = _ids(ctx, "aftercare.FollowUp", len(days))
    for follow_up_id, d in zip(follow_up_ids, days, strict=True):
        due = due_day(discharged, d, tz)
        status, reason = "due", ""
        attempts: list[tuple[datetime, bool]] = []
        if due <= today:
            reach_chance = 0.35 if against_advice else 0.7
            for attempt in range(allowed):
                at = _noon(due + timedelta(days=attempt), tz) + timedelta(minutes=rng.randint(0, 300))
                if at > ctx.now:
                    break
                reached = rng.random() < reach_chance
                attempts.append((at, reached))
                if reached:
                    status = "done"
                    break
            else:
                status, reason = "lost", f"Not reached after {allowed} attempts"
        history.follow_ups.append((follow_up_id, program.pk, p.id, plan_id, d, due, status, reason))
        contact_ids = _ids(ctx, "aftercare.FollowUpContact", len(attempts))
        for contact_id, (at, reached) in zip(contact_ids, attempts, strict=True):
            if not reached:
                history.contacts.append(
                    _contact(contact_id, program.pk, p.id, follow_up_id, at, nurse, note="No answer")
                )
                continue
            if used_on is None and rng.random() < (0.45 if against_advice else 0.25):
                used_on = day0 + timedelta(days=rng.randint(1, max(1, (at.astimezone(tz).date() - day0).days)))
            used = used_on is not None and used_on <= at.astimezone(tz).date()
            overdose = "non_fatal" if used and rng.random() < 0.08 else "none"
            readmitted = "yes" if following is not None and following <= at else "no"
            history.contacts.append(
                _contact(
                    contact_id,
                    program.pk,
                    p.id,
                    follow_up_id,
                    at,
                    nurse,
                    reached=True,
                    attended_next="" if against_advice else ("yes" if rng.random() < 0.7 else "no"),
                    moud_continued=("yes" if rng.random() < 0.7 else "no") if plan[11] else "",
                    used_since="yes" if used else "no",
                    substance=rng.choice(("fentanyl", "heroin")) if used else "",
                    used_on=used_on if used else None,
                    overdose=overdose,
                    naloxone_used="yes" if overdose == "non_fatal" else "",
                    naloxone_by="a friend" if overdose == "non_fatal" else "",
                    readmitted=readmitted,
                    wants_to_come_back=("yes" if rng.random() < 0.5 else "unknown") if used else "",
                )
            )
            if used or overdose == "non_fatal":
                done = at + timedelta(days=2) < ctx.now and (today - at.astimezone(tz).date()).days > 14
                history.tasks.append(
                    (
                        program.pk,
                        p.id,
                        contact_id,
                        "Overdose reported" if overdose == "non_fatal" else "Return to use reported",
                        at,
                        "done" if done else "open",
                        "Called; invited back and offered a waitlist place first" if done else "",
                        at + timedelta(days=2) if done else None,
                        nurse if done else None,
                    )
                )
    return history


def _contact(pk, program, patient, follow_up, at, nurse, *, reached=False, note="", **found) -> tuple:
    return (
        pk,
        program,
        patient,
        follow_up,
        at,
        "phone",
        reached,
        found.get("attended_next", ""),
        found.get("moud_continued", ""),
        found.get("used_since", ""),
        found.get("substance", ""),
        found.get("used_on"),
        found.get("overdose", ""),
        found.get("naloxone_used", ""),
        found.get("naloxone_by", ""),
        found.get("readmitted", ""),
        False,
        "",
        found.get("wants_to_come_back", ""),
        note,
        nurse,
        at,
    )


def _histories(ctx, p) -> list[History]:
    found = []
    episodes = p.episodes
    for n, episode in enumerate(episodes):
        if episode.discharged is None or episode.discharged > ctx.now:
            continue
        following = episodes[n + 1].admitted if n + 1 < len(episodes) else None
        found.append(_history(ctx, p, episode, n, following))
    return found


def plan_rows(ctx, p):
    histories = _histories(ctx, p)
    _state(ctx)["histories"][p.id] = histories
    for history in histories:
        yield history.plan


def follow_up_rows(ctx, p):
    for history in _state(ctx)["histories"].get(p.id, []):
        yield from history.follow_ups


def contact_rows(ctx, p):
    for history in _state(ctx)["histories"].get(p.id, []):
        yield from history.contacts


def task_rows(ctx, p):
    for history in _state(ctx)["histories"].pop(p.id, []):
        yield from history.tasks


PLAN_COLUMNS = (
    "id",
    "program_id",
    "patient_id",
    "episode_id",
    "next_level",
    "asam_edition",
    "next_provider",
    "provider_in_program",
    "appointment_at",
    "appointment_place",
    "no_appointment_reason",
    "moud_continued_by",
    "moud_next_due",
    "moud_supplied_through",
    "moud_bridge",
    "no_moud_reason",
    "triggers",
    "coping_steps",
    "people_to_call",
    "offered",
    "crisis_contacts",
    "recorded_by_id",
    "recorded_at",
    "hand_off_id",
)
CONTACT_COLUMNS = (
    "id",
    "program_id",
    "patient_id",
    "follow_up_id",
    "at",
    "method",
    "reached",
    "attended_next",
    "moud_continued",
    "used_since",
    "substance",
    "used_on",
    "overdose",
    "naloxone_used",
    "naloxone_by",
    "readmitted",
    "died",
    "concerns",
    "wants_to_come_back",
    "note",
    "recorded_by_id",
    "recorded_at",
)


def register_aftercare() -> None:
    register(Generator("aftercare.plans", "aftercare.ContinuingCarePlan", PLAN_COLUMNS, plan_rows))
    register(
        Generator(
            "aftercare.follow_ups",
            "aftercare.FollowUp",
            ("id", "program_id", "patient_id", "plan_id", "days_after", "due_on", "status", "closed_reason"),
            follow_up_rows,
        )
    )
    register(Generator("aftercare.contacts", "aftercare.FollowUpContact", CONTACT_COLUMNS, contact_rows))
    register(
        Generator(
            "aftercare.tasks",
            "aftercare.ReEngagementTask",
            (
                "program_id",
                "patient_id",
                "contact_id",
                "reason",
                "opened_at",
                "status",
                "outcome",
                "done_at",
                "done_by_id",
            ),
            task_rows,
        )
    )
