"""The generators of the areas built so far: patients and care, withdrawal scores, screening, placement.

Each follows the shape of the rows its area's services write (same columns, same vocabularies), so pages,
API and reports read seeded rows exactly as they read real ones. Timeline lines are seeded for the events
of care (registered, admitted, transferred, discharged, placement); the per-score timeline lines that
`record_assessment` writes are not, to keep the seed to the rows the benchmarks read.
"""

from __future__ import annotations

import json
from datetime import timedelta

from waypoint.placement import rules
from waypoint.placement.levels import level as level_of
from waypoint.scales import get_instrument
from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS

from . import synth
from .registry import Generator, register

PATIENT_COLUMNS = (
    "id",
    "program_id",
    "mrn",
    "given_name",
    "family_name",
    "preferred_name",
    "birth_date",
    "sex_at_birth",
    "gender_identity",
    "pronouns",
    "preferred_language",
    "phone",
    "address_line",
    "city",
    "state",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "allergies",
    "alerts",
    "care_team_id",
    "created_at",
    "updated_at",
    "version",
)


def patient_rows(ctx, p):
    phone = f"555-01{p.number % 100:02d}"  # 555-0100..0199: numbers reserved for fiction
    yield (
        p.id,
        ctx.program.pk,
        p.mrn,
        p.given,
        p.family,
        "",
        p.birth_date,
        p.sex,
        "",
        "",
        "English",
        phone,
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "No known allergies",
        "",
        ctx.team_id,
        p.created,
        p.created,
        1,
    )


def episode_rows(ctx, p):
    for e in p.episodes:
        yield (
            e.id,
            ctx.program.pk,
            p.id,
            e.admitted,
            e.discharged,
            e.discharge_reason,
            "",
            ctx.intake,
            ctx.intake if e.discharged else None,
        )


def stay_rows(ctx, p):
    for e in p.episodes:
        for i, s in enumerate(e.stays):
            reason = "" if i == 0 else "Step-down as planned"
            yield (
                s.id,
                ctx.program.pk,
                p.id,
                e.id,
                s.level,
                ctx.edition,
                s.start,
                s.end,
                reason,
                ctx.nurse(p),
                "",
            )  # latest_recommendation: the seed records no placement before a move


def timeline_rows(ctx, p):
    def line(at, kind, summary, episode=None):
        return (ctx.program.pk, p.id, episode, at, kind, summary, ctx.intake, at)

    yield line(p.created, "registered", "Registered")
    for e in p.episodes:
        first = e.stays[0]
        yield line(e.admitted, "admitted", f"Admitted to {ctx.label(first.level)}", e.id)
        for before, after in zip(e.stays, e.stays[1:], strict=False):
            yield line(
                after.start,
                "transferred",
                f"Moved from {ctx.label(before.level)} to {ctx.label(after.level)}: Step-down as planned",
                e.id,
            )
        if e.discharged:
            reason = {"completed": "Completed treatment", "left_against_advice": "Left against advice"}
            yield line(e.discharged, "discharged", f"Discharged: {reason.get(e.discharge_reason, 'Other')}", e.id)


def referral_rows(ctx, p):
    sources = ("self", "family", "hospital", "court", "other_provider")
    for e in p.episodes:
        yield (
            ctx.program.pk,
            f"{p.given} {p.family}",
            "555-0100",
            ctx.rng.choice(sources),
            "",
            e.referral_at,
            ctx.rng.choice(("routine", "routine", "urgent")),
            e.stays[0].level,
            "[]",
            "",
            "admitted",
            e.admitted,
            "",
            p.id,
            e.id,
            ctx.intake,
            e.referral_at,
        )


SCREEN_KEYS = HEROIN_COMPLICATIONS.keys
COMMON = {"skin_abscess", "constipation", "dental_problems", "depression", "anxiety", "sleep_problems"}


def screen_rows(ctx, p):
    for e in p.episodes:
        answers = {}
        for key in SCREEN_KEYS:
            chance = 0.25 if key in COMMON else 0.04
            roll = ctx.rng.random()
            status = "present" if roll < chance else ("not_assessed" if roll > 0.97 else "absent")
            answers[key] = {"status": status, "since": None, "note": ""}
        at = e.admitted + timedelta(hours=2)
        yield (
            ctx.program.pk,
            p.id,
            e.id,
            HEROIN_COMPLICATIONS.code,
            HEROIN_COMPLICATIONS.version,
            at,
            json.dumps(answers),
            ctx.nurse(p),
            at,
        )


def placement_rows(ctx, p):
    for e in p.episodes:
        for s in e.stays:
            ratings = [min(4, max(0, round(ctx.rng.gauss(mu, 0.9)))) for mu in (2.2, 1, 1.5, 2, 2.5, 2)]
            found = rules.recommend(ctx.placement_table, ratings)
            recommended = found.level or s.level
            reason = "" if recommended == s.level else "clinical_judgement"
            at = s.start - timedelta(hours=1)
            yield (
                ctx.program.pk,
                p.id,
                e.id,
                ctx.edition,
                json.dumps(ratings),
                json.dumps([""] * 6),
                ctx.placement_table.get("name", ""),
                ctx.placement_table.get("version", 1),
                recommended,
                found.withdrawal or "",
                json.dumps(list(found.fired)),
                s.level,
                reason,
                "",
                ctx.counselor,
                at,
                at,
            )


def naloxone_rows(ctx, p):
    for e in p.episodes:
        if e.discharged is None and e.stays[-1].end is None and len(e.stays) == 1:
            continue  # still in the first level of care: no transition yet
        at = e.stays[0].end or e.admitted
        yield (
            ctx.program.pk,
            p.id,
            e.id,
            at - timedelta(hours=3),
            "nasal_4mg",
            "4 mg per spray",
            2,
            "patient",
            "",
            ctx.nurse(p),
            at - timedelta(hours=3),
        )


def education_rows(ctx, p):
    for e in p.episodes:
        if e.discharged is None and e.stays[-1].end is None and len(e.stays) == 1:
            continue
        at = (e.stays[0].end or e.admitted) - timedelta(hours=4)
        nurse = ctx.nurse(p)
        yield (ctx.program.pk, p.id, e.id, at, nurse, "", nurse, at)


ASSESSMENT_COLUMNS = (
    "program_id",
    "patient_id",
    "episode_id",
    "instrument",
    "instrument_version",
    "taken_at",
    "responses",
    "total",
    "severity",
    "derived",
    "pulse_bpm",
    "systolic_mmhg",
    "diastolic_mmhg",
    "respiratory_rate",
    "temperature_c",
    "spo2_percent",
    "note",
    "reporter",
    "source",
    "late_entry_reason",
    "recorded_by_id",
    "recorded_at",
    "record_status",
    "version",
    "replaces_id",
    "change_reason",
    "status_changed_by_id",
    "status_changed_at",
)
IN_ERROR_RATE = 0.002  # share of COWS rows later marked entered-in-error


def _self_report(ctx, p, episode, code, target, at):
    answer = ctx.pools.pick(code, target)
    instrument = get_instrument(code)
    return (
        ctx.program.pk,
        p.id,
        episode,
        code,
        instrument.version,
        at,
        answer.json,
        answer.total,
        ctx.severity[code][answer.total],
        "[]",
        None,
        None,
        None,
        None,
        None,
        None,
        "",
        "patient",
        "kiosk",
        "",
        ctx.nurse(p),
        at + timedelta(minutes=1),
        "final",
        1,
        None,
        "",
        None,
        None,
    )


def _cows(ctx, p, episode, target, at):
    rng = ctx.rng
    responses, total, v = synth.cows_row(target, ctx.pools, rng)
    nurse = ctx.nurse(p)
    status, reason, changed_by, changed_at = "final", "", None, None
    if rng.random() < IN_ERROR_RATE:
        status, reason, changed_by, changed_at = (
            "entered_in_error",
            "Charted on the wrong patient",
            nurse,
            at + timedelta(hours=1),
        )
    return (
        ctx.program.pk,
        p.id,
        episode,
        "cows",
        "2003",
        at,
        responses,
        total,
        ctx.severity["cows"][total],
        '["resting_pulse"]',
        v["pulse_bpm"],
        v["systolic_mmhg"],
        v["diastolic_mmhg"],
        v["respiratory_rate"],
        v["temperature_c"],
        v["spo2_percent"],
        "",
        "clinician",
        "staff",
        "",
        nurse,
        at + timedelta(minutes=rng.randint(2, 25)),
        status,
        1,
        None,
        reason,
        changed_by,
        changed_at,
    )


def assessment_rows(ctx, p):
    """COWS every few hours through withdrawal management (rising then easing), self-reports beside them;
    a daily craving rating in residential care and a weekly one in outpatient care."""
    rng, now = ctx.rng, ctx.now
    interval = timedelta(hours=ctx.interval_hours)
    for e in p.episodes:
        for s in e.stays:
            end = s.end or now - timedelta(hours=rng.uniform(0.3, ctx.interval_hours * 1.5))
            if s.level in ctx.wm_levels:
                peak, peak_hours = rng.uniform(9, 30), rng.uniform(30, 72)
                last_use = rng.uniform(6, 30) if s is not e.stays[0] or e is not p.episodes[0] else p.last_use_hours
                at = s.start + timedelta(minutes=rng.randint(10, 45))
                while at < end:
                    hours = (at - s.start).total_seconds() / 3600 + last_use
                    target = max(0, round(synth.withdrawal_curve(hours, peak, peak_hours) + rng.gauss(0, 2)))
                    yield _cows(ctx, p, e.id, target, at)
                    if rng.random() < 0.5:
                        yield _self_report(
                            ctx,
                            p,
                            e.id,
                            "sows-handelsman",
                            round(target * 1.5 + rng.gauss(4, 4)),
                            at + timedelta(minutes=8),
                        )
                    if rng.random() < 0.6:
                        yield _self_report(
                            ctx,
                            p,
                            e.id,
                            "craving-nrs",
                            min(10, target // 3 + rng.randint(0, 3)),
                            at + timedelta(minutes=10),
                        )
                    at += interval + timedelta(minutes=rng.randint(-20, 20))
            else:
                residential = ctx.has_beds(s.level)
                step = timedelta(days=1 if residential else 7)
                at = s.start + timedelta(hours=rng.uniform(6, 30))
                craving = rng.randint(3, 7)
                while at < end:
                    craving = max(0, min(10, craving + rng.choice((-1, -1, 0, 0, 0, 1))))
                    yield _self_report(ctx, p, e.id, "craving-nrs", craving, at)
                    at += step + timedelta(hours=rng.uniform(-3, 3))


def register_core() -> None:
    register(Generator("patients", "patients.Patient", PATIENT_COLUMNS, patient_rows))
    register(
        Generator(
            "episodes",
            "patients.Episode",
            (
                "id",
                "program_id",
                "patient_id",
                "admitted_at",
                "discharged_at",
                "discharge_reason",
                "discharge_note",
                "admitted_by_id",
                "discharged_by_id",
            ),
            episode_rows,
        )
    )
    register(
        Generator(
            "stays",
            "patients.LevelOfCareStay",
            (
                "id",
                "program_id",
                "patient_id",
                "episode_id",
                "level_code",
                "asam_edition",
                "started_at",
                "ended_at",
                "reason",
                "recorded_by_id",
                "latest_recommendation",
            ),
            stay_rows,
        )
    )
    register(
        Generator(
            "timeline",
            "patients.TimelineEntry",
            (
                "program_id",
                "patient_id",
                "episode_id",
                "occurred_at",
                "kind",
                "summary",
                "recorded_by_id",
                "recorded_at",
            ),
            timeline_rows,
        )
    )
    register(
        Generator(
            "referrals",
            "placements.Referral",
            (
                "program_id",
                "name",
                "contact",
                "source",
                "source_detail",
                "received_at",
                "urgency",
                "requested_level",
                "priority_flags",
                "note",
                "status",
                "outcome_at",
                "outcome_reason",
                "patient_id",
                "episode_id",
                "created_by_id",
                "created_at",
            ),
            referral_rows,
        )
    )
    register(
        Generator(
            "placements",
            "placements.PlacementAssessment",
            (
                "program_id",
                "patient_id",
                "episode_id",
                "edition",
                "ratings",
                "notes",
                "table_name",
                "table_version",
                "recommended_level",
                "recommended_withdrawal",
                "rules_fired",
                "decided_level",
                "reason",
                "reason_text",
                "decided_by_id",
                "at",
                "recorded_at",
            ),
            placement_rows,
        )
    )
    register(
        Generator(
            "screens",
            "screening.Screen",
            (
                "program_id",
                "patient_id",
                "episode_id",
                "screen_code",
                "screen_version",
                "taken_at",
                "answers",
                "recorded_by_id",
                "recorded_at",
            ),
            screen_rows,
        )
    )
    register(
        Generator(
            "naloxone",
            "screening.NaloxoneKit",
            (
                "program_id",
                "patient_id",
                "episode_id",
                "dispensed_at",
                "formulation",
                "strength",
                "quantity",
                "recipient",
                "recipient_name",
                "recorded_by_id",
                "recorded_at",
            ),
            naloxone_rows,
        )
    )
    register(
        Generator(
            "education",
            "screening.Education",
            (
                "program_id",
                "patient_id",
                "episode_id",
                "given_at",
                "given_by_id",
                "note",
                "recorded_by_id",
                "recorded_at",
            ),
            education_rows,
        )
    )
    register(Generator("assessments", "withdrawal.Assessment", ASSESSMENT_COLUMNS, assessment_rows))
    from .aftercare import register_aftercare  # after discharge: plans, follow-ups, contacts, re-engagement

    register_aftercare()


def level_label(edition: int, code: str) -> str:
    return level_of(edition, code).label
