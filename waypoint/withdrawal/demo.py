"""Demo withdrawal histories: plausible COWS trajectories every few hours, with patient self-reports."""

import math
import random
from datetime import timedelta

from django.utils import timezone

from waypoint.accounts import program_settings
from waypoint.patients.models import LevelOfCareStay
from waypoint.scales import get_instrument

from . import board, services
from .models import Assessment


def responses_near(code: str, target: int, rng: random.Random) -> dict[str, int]:
    """Allowed scores for every item, adding up to about `target` (never more)."""
    instrument = get_instrument(code)
    scores = {item.key: item.min_score for item in instrument.items}
    for _ in range(200):
        total = sum(scores.values())
        item = rng.choice(instrument.items)
        higher = [s for s in item.scores if s > scores[item.key]]
        if total >= target or not higher:
            if total >= target:
                break
            continue
        if total - scores[item.key] + higher[0] <= target:
            scores[item.key] = higher[0]
    return scores


def trajectory(hours_since_last_use: float) -> int:
    """A rough withdrawal curve: rising to a peak around 36-72 hours, easing over the following days."""
    peak = 26 * math.exp(-(((hours_since_last_use - 54) / 40) ** 2))
    return max(0, round(peak))


def build(program, nurse, rng: random.Random, interval_hours: int = 4) -> int:
    """Record histories for every patient now in a withdrawal-management level; returns how many scores."""
    program_settings.change(program, "withdrawal.induction_threshold_cows", 8, acting_user=nurse)
    program_settings.change(program, "withdrawal.rise_alert_points", 5, acting_user=nurse)
    now = timezone.now()
    count = 0
    stays = LevelOfCareStay.objects.filter(
        program=program, ended_at__isnull=True, level_code__in=board.board_levels(program)
    ).select_related("patient")
    for stay in stays:
        if Assessment.objects.filter(patient=stay.patient).exists():
            continue
        last_use_before = rng.uniform(6, 30)  # hours before admission
        at = max(stay.started_at, now - timedelta(days=5)) + timedelta(minutes=30)
        stop = now - timedelta(hours=rng.uniform(0.5, interval_hours * 1.6))  # some end up overdue
        while at < stop:
            hours = (at - stay.started_at).total_seconds() / 3600 + last_use_before
            target = max(0, trajectory(hours) + rng.randint(-3, 3))
            responses = responses_near("cows", target, rng)
            del responses["resting_pulse"]  # derived from the measured pulse
            services.record_assessment(
                acting_user=nurse,
                patient=stay.patient,
                instrument="cows",
                responses=responses,
                vitals={"pulse_bpm": 72 + target * 2 + rng.randint(-4, 4)},
                taken_at=at,
                note="",
            )
            count += 1
            if rng.random() < 0.4:
                services.record_assessment(
                    acting_user=nurse,
                    patient=stay.patient,
                    instrument="sows-handelsman",
                    responses=responses_near("sows-handelsman", target + 8, rng),
                    taken_at=at + timedelta(minutes=10),
                    source=Assessment.Source.KIOSK,
                )
                services.record_assessment(
                    acting_user=nurse,
                    patient=stay.patient,
                    instrument="craving-nrs",
                    responses={"craving": min(10, target // 3 + rng.randint(0, 3))},
                    taken_at=at + timedelta(minutes=12),
                    source=Assessment.Source.KIOSK,
                )
                count += 2
            at += timedelta(hours=interval_hours, minutes=rng.randint(-20, 20))
    return count
