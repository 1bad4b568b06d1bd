"""After-discharge figures for the outcomes dashboard (appended to waypoint.outcomes.figures.FIGURES in ready()).

Aggregates only. Each figure states its definition; the hand-computed test is
waypoint/aftercare/tests/test_aftercare_outcomes.py.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from waypoint.outcomes.figures import Figure, Period, Result, rate
from waypoint.patients.models import Episode, LevelOfCareStay

from .models import FollowUp, FollowUpContact


def _high_intensity(level) -> bool:
    """Withdrawal management (any -WM level) or 24-hour residential/inpatient care."""
    return level.is_withdrawal_management or level.has_beds


def high_intensity_discharges(period: Period) -> list[Episode]:
    """Episodes discharged in the period whose last level of care was withdrawal management or 24-hour care."""
    episodes = list(
        Episode.objects.filter(
            program=period.program, discharged_at__gte=period.start_at, discharged_at__lt=period.end_at
        ).select_related("continuing_care_plan")
    )
    last: dict[int, LevelOfCareStay] = {}
    for stay in LevelOfCareStay.objects.filter(episode__in=episodes).order_by("started_at", "id"):
        last[stay.episode_id] = stay
    return [e for e in episodes if e.pk in last and _high_intensity(last[e.pk].level)]


def _discharged(episode: Episode) -> datetime:
    assert episode.discharged_at is not None  # the cohorts hold discharged episodes only
    return episode.discharged_at


def _reached(episode: Episode, days: int) -> bool:
    until = _discharged(episode) + timedelta(days=days)
    plan = getattr(episode, "continuing_care_plan", None)
    if plan is None:
        return False
    if plan.provider_in_program:  # the next level here is a new episode (its sessions need one open)
        return Episode.objects.filter(
            patient_id=episode.patient_id, admitted_at__gt=episode.discharged_at, admitted_at__lte=until
        ).exists()
    for contact in FollowUpContact.objects.filter(follow_up__plan=plan, reached=True, attended_next="yes"):
        when = plan.appointment_at or contact.at
        if when <= until:
            return True
    return False


def follow_up_within(days: int) -> Callable[[Period], Result]:
    def compute(period: Period) -> Result:
        cohort = [e for e in high_intensity_discharges(period) if _discharged(e) + timedelta(days=days) <= period.now]
        return rate(sum(1 for e in cohort if _reached(e, days)), len(cohort))

    return compute


def lost_to_follow_up(period: Period) -> Result:
    cohort = [e.pk for e in high_intensity_discharges(period)]
    with_follow_ups = set(
        FollowUp.objects.filter(plan__episode_id__in=cohort).values_list("plan__episode_id", flat=True)
    )
    lost = set(
        FollowUp.objects.filter(plan__episode_id__in=cohort, status=FollowUp.Status.LOST).values_list(
            "plan__episode_id", flat=True
        )
    )
    return rate(len(lost), len(with_follow_ups))


REACHED = (
    "reached a next-level service: where the plan's next provider is this program, a new admission (episode of "
    "care, at any level) after the discharge and within {n} days; where it is "
    "outside, a follow-up contact that reached the patient and recorded the next appointment as attended, the "
    "appointment (or, without one, the contact) within {n} days of the discharge. A discharge with no "
    "continuing-care plan counts as not reached."
)
COHORT = (
    "Of the episodes discharged in the period whose last level of care was withdrawal management or 24-hour "
    "residential or inpatient care, and whose {n} days after discharge are over (more recent discharges are left "
    "out, not counted as missed), the share that "
)


def figures() -> list[Figure]:
    return [
        Figure(
            f"follow_up_{n}",
            f"Follow-up within {n} days of high-intensity care",
            "rate",
            COHORT.format(n=n) + REACHED.format(n=n) + " Read it beside the lost-to-follow-up share.",
            follow_up_within(n),
        )
        for n in (7, 30)
    ] + [
        Figure(
            "lost_to_follow_up",
            "Lost to follow-up after high-intensity care",
            "rate",
            "Of the same discharges (withdrawal management or 24-hour care, discharged in the period) with a "
            "follow-up schedule, the share with at least one follow-up marked lost (not reached after the "
            "program's number of attempts). A good follow-up rate built on few contacts shows here.",
            lost_to_follow_up,
        )
    ]
