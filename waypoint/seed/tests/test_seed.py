"""`waypoint seed`: realistic, deterministic, re-scorable synthetic histories, loaded in bulk, audited once."""

import io
import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from waypoint.accounts.models import User
from waypoint.audit import trail as audit
from waypoint.patients.access import visible_patients
from waypoint.patients.models import Episode, LevelOfCareStay, Patient
from waypoint.privacy.models import AuditEvent
from waypoint.scales import get_instrument, score
from waypoint.seed import registry, run, synth
from waypoint.seed.areas import register_core
from waypoint.withdrawal import board
from waypoint.withdrawal.models import Assessment
from waypoint.withdrawal.vitals import VITALS

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def seed(slug="synth", patients=12, days=200, **kw):
    kw.setdefault("now", NOW)
    return run.seed(slug, patients=patients, days=days, progress=False, **kw)


@pytest.mark.django_db
def test_every_seeded_score_rescores_to_its_stored_total_severity_and_derived_items():
    seed()
    rows = list(Assessment.objects.all())
    assert len(rows) > 500
    for row in rows:
        instrument = get_instrument(row.instrument)
        responses = {k: v for k, v in row.responses.items() if k not in row.derived}
        vitals = {"pulse_bpm": row.pulse_bpm} if row.pulse_bpm is not None else {}
        result = score(instrument, responses, vitals)
        assert (result.total, result.severity.code if result.severity else "", list(result.derived)) == (
            row.total,
            row.severity,
            row.derived,
        ), row.pk
        assert set(row.responses) == set(instrument.keys)  # jsonb keeps its own key order


@pytest.mark.django_db
def test_vitals_stay_within_the_plausibility_limits_and_rise_with_withdrawal():
    seed()
    cows = list(Assessment.objects.filter(instrument="cows"))
    for row in cows:
        for vital in VITALS:
            value = getattr(row, vital.key)
            assert value is not None and vital.low <= Decimal(str(value)) <= vital.high, (vital.key, value)
    mild = [a.pulse_bpm for a in cows if a.total <= 4]
    severe = [a.pulse_bpm for a in cows if a.total >= 13]
    assert statistics.mean(severe) > statistics.mean(mild) + 10


@pytest.mark.django_db
def test_cows_rise_then_ease_over_a_withdrawal_management_stay():
    seed(patients=30)
    by_hour = {"early": [], "peak": [], "late": []}
    for stay in LevelOfCareStay.objects.filter(level_code="3.7-WM"):
        for a in Assessment.objects.in_force().filter(
            patient=stay.patient, instrument="cows", taken_at__gte=stay.started_at, taken_at__lt=stay.ended_at or NOW
        ):
            hours = (a.taken_at - stay.started_at).total_seconds() / 3600
            bucket = "early" if hours < 8 else "peak" if 30 <= hours < 60 else "late" if hours >= 110 else None
            if bucket:
                by_hour[bucket].append(a.total)
    early, peak, late = (statistics.mean(by_hour[b]) for b in ("early", "peak", "late"))
    assert early < peak and late < peak, (early, peak, late)


def test_the_withdrawal_curve_rises_to_its_peak_and_eases_after_it():
    values = [synth.withdrawal_curve(h, 20, 48) for h in range(0, 200, 4)]
    top = values.index(max(values))
    assert values[0] == 0 and round(max(values)) == 20 and 8 <= top <= 16
    assert all(a <= b for a, b in zip(values[:top], values[1 : top + 1], strict=True))
    assert all(a >= b for a, b in zip(values[top:-1], values[top + 1 :], strict=True))


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_histories():
    def fingerprint(slug):
        return [
            (a.patient.mrn, a.instrument, a.taken_at, a.responses, a.total, a.pulse_bpm)
            for a in Assessment.objects.filter(program__slug=slug)
            .select_related("patient")
            .order_by("patient__mrn", "taken_at", "instrument")
        ]

    seed("first", seed=5)
    seed("second", seed=5)
    seed("third", seed=6)
    assert fingerprint("first") == fingerprint("second")
    assert fingerprint("first") != fingerprint("third")


@pytest.mark.django_db
def test_exactly_the_chosen_patients_are_on_the_withdrawal_board():
    seed(patients=20, in_withdrawal=7, now=None)
    nurse = User.objects.get(username="seed-nurse-1@synth")
    program = nurse.memberships.get().program
    rows = board.build(program, visible_patients(nurse, program))
    assert len(rows) == 7
    assert all(row.latest is not None for row in rows)
    assert Episode.objects.filter(discharged_at__isnull=True).count() >= 7
    assert not Patient.objects.exclude(mrn__startswith="SYN").exists()


@pytest.mark.django_db
def test_a_seed_run_is_one_audit_event_and_the_chain_still_verifies():
    result = seed()
    events = list(AuditEvent.objects.filter(action="seed.run"))
    assert len(events) == 1 and AuditEvent.objects.count() == 1
    assert events[0].detail["rows"]["assessments"] == result.rows["assessments"] == Assessment.objects.count()
    assert events[0].detail["synthetic"] is True
    assert audit.verify().intact


@pytest.mark.django_db
def test_a_second_run_adds_new_patients_to_the_seeded_program():
    seed(patients=5)
    seed(patients=5)
    assert Patient.objects.count() == 10
    assert AuditEvent.objects.filter(action="seed.run").count() == 2


@pytest.mark.django_db
def test_it_refuses_to_add_synthetic_patients_to_a_program_it_did_not_create(program):
    with pytest.raises(run.SeedRefused):
        seed(program.slug)
    assert not Patient.objects.exists()
    seed(program.slug, force=True)
    assert Patient.objects.filter(program=program).count() == 12


@pytest.mark.django_db
def test_the_command_reports_what_it_loaded_and_refuses_bad_arguments(program):
    out = io.StringIO()
    call_command("seed", "--program", "cli", "--patients", "3", "--days", "30", "--no-progress", stdout=out)
    assert "Seeded 3 synthetic patients into cli" in out.getvalue()
    with pytest.raises(CommandError, match="was not created by `waypoint seed`"):
        call_command("seed", "--program", program.slug, "--patients", "3", "--days", "30", "--no-progress")
    with pytest.raises(CommandError, match="UTC offset"):
        call_command("seed", "--program", "cli", "--patients", "3", "--days", "30", "--now", "2026-01-01T00:00")


@pytest.mark.django_db
def test_a_later_area_plugs_in_a_generator_after_the_one_it_depends_on():
    register_core()

    def extra(ctx, patient):
        for episode in patient.episodes:
            yield (
                ctx.program.pk,
                patient.id,
                episode.id,
                episode.admitted + timedelta(hours=5),
                "test.extra",
                "Plugged-in row",
                ctx.intake,
                episode.admitted,
            )

    generator = registry.Generator(
        "test-extra",
        "patients.TimelineEntry",
        ("program_id", "patient_id", "episode_id", "occurred_at", "kind", "summary", "recorded_by_id", "recorded_at"),
        extra,
        after="episodes",
    )
    registry.register(generator)
    try:
        names = [g.name for g in registry.GENERATORS]
        assert names.index("test-extra") == names.index("episodes") + 1
        result = seed(patients=4)
        assert result.rows["test-extra"] == Episode.objects.count() > 0
    finally:
        registry.GENERATORS.remove(generator)


def test_answer_pools_hit_every_reachable_total_exactly():
    import random

    pools = synth.AnswerPools(random.Random(1), skip=("resting_pulse",))
    for code in ("cows", "sows-handelsman", "sows-gossop", "craving-nrs"):
        for total in range(0, pools.max_total(code) + 1, 3):
            assert pools.pick(code, total).total == total


def test_the_progress_bar_reports_every_tenth_when_not_on_a_terminal():
    out = io.StringIO()
    bar = run.Progress(100, "seed", stream=out)
    for done in range(0, 101, 5):
        bar.update(done)
    lines = out.getvalue().splitlines()
    assert 10 <= len(lines) <= 12 and lines[-1].startswith("seed [" + "#" * 30 + "] 100/100")


@pytest.mark.django_db
def test_every_discharge_has_a_plausible_post_discharge_history():
    from waypoint.aftercare.models import ContinuingCarePlan, FollowUp, FollowUpContact, ReEngagementTask
    from waypoint.outcomes import figures

    result = seed(patients=40, days=400)
    discharged = Episode.objects.filter(discharged_at__isnull=False)
    assert ContinuingCarePlan.objects.count() == discharged.count() == result.rows["aftercare.plans"] > 0
    assert set(ContinuingCarePlan.objects.values_list("episode_id", flat=True)) == set(
        discharged.values_list("pk", flat=True)
    )
    for follow_up in FollowUp.objects.select_related("plan__episode"):
        local = follow_up.plan.episode.discharged_at.astimezone(follow_up.program.tz).date()
        assert follow_up.due_on == local + timedelta(days=follow_up.days_after)
    statuses = set(FollowUp.objects.values_list("status", flat=True))
    assert {"done", "lost"} <= statuses
    for lost in FollowUp.objects.filter(status="lost"):
        assert lost.contacts.filter(reached=False).count() == 3 and not lost.contacts.filter(reached=True).exists()
    for done in FollowUp.objects.filter(status="done"):
        assert done.contacts.filter(reached=True).count() == 1
    reached = FollowUpContact.objects.filter(reached=True)
    assert reached.filter(used_since="yes").exists() and reached.filter(used_since="no").exists()
    assert ReEngagementTask.objects.count() == reached.filter(used_since="yes").count()
    for contact in reached.filter(used_since="yes").select_related("follow_up__plan__episode", "program"):
        tz = contact.program.tz
        discharged = contact.follow_up.plan.episode.discharged_at.astimezone(tz).date()
        assert discharged <= contact.used_on <= contact.at.astimezone(tz).date() and contact.substance
    program = ContinuingCarePlan.objects.first().program
    period = figures.Period(program, (NOW - timedelta(days=400)).date(), NOW.date(), NOW)
    shown = {f.key: f.compute(period) for f in figures.FIGURES}
    assert shown["return_to_use_30"].denominator and shown["time_to_use"].steps
    assert shown["lost_to_follow_up"].numerator
