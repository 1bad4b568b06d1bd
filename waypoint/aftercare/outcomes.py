"""After-discharge figures for the outcomes dashboard (appended to waypoint.outcomes.figures.FIGURES in ready()).

Aggregates only. Each figure states its definition; the hand-computed test is
waypoint/aftercare/tests/test_aftercare_outcomes.py.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from waypoint.outcomes.figures import Figure, Period, Result, rate
from waypoint.patients.models import Episode, LevelOfCareStay

from .models import FollowUp, FollowUpContact
from .survival import kaplan_meier, survival_at


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
    return (
        [
            Figure(
                f"follow_up_{n}",
                f"Follow-up within {n} days",
                "rate",
                COHORT.format(n=n) + REACHED.format(n=n) + " Read it beside the lost-to-follow-up share.",
                follow_up_within(n),
            )
            for n in (7, 30)
        ]
        + [
            Figure(
                "lost_to_follow_up",
                "Lost to follow-up",
                "rate",
                "Of the same discharges (withdrawal management or 24-hour care, discharged in the period) with a "
                "follow-up schedule, the share with at least one follow-up marked lost (not reached after the "
                "program's number of attempts). A good follow-up rate built on few contacts shows here.",
                lost_to_follow_up,
            )
        ]
        + after_discharge_figures()
    )


# --- after discharge: MOUD retention, return to use, overdoses, readmission, survival curves --------------------
#
# Each discharge in the period with a continuing-care plan is one case. What is known of it after discharge comes
# from the follow-up contacts that reached someone, and, for readmission, from this program's own admissions. Days
# are whole local days after the discharge day (program time zone). A rate counts only the cases whose outcome is
# known; the others are "not known", and those of them with a follow-up marked lost are shown beside the rate.


@dataclass
class Case:
    episode: Episode
    day0: date
    contacts: list[FollowUpContact]  # reached, in time order
    lost: bool
    readmitted_here: int | None  # first day of a new admission here to withdrawal management or 24-hour care
    moud_planned: bool

    def day(self, at: datetime) -> int:
        return (timezone.localtime(at, self.episode.program.tz).date() - self.day0).days

    @property
    def death_day(self) -> int | None:
        return next((self.day(c.at) for c in self.contacts if c.died), None)

    @property
    def use_day(self) -> int | None:
        """The first day of use reported: the day given, or, without one, the day of the contact; an overdose
        is a use on the contact's day."""
        days = [
            (c.used_on - self.day0).days if c.used_on else self.day(c.at)
            for c in self.contacts
            if c.used_since == "yes"
        ] + [self.day(c.at) for c in self.contacts if c.overdose in ("non_fatal", "fatal")]
        return min(days) if days else None

    @property
    def readmit_day(self) -> int | None:
        days = [self.day(c.at) for c in self.contacts if c.readmitted == "yes"]
        if self.readmitted_here is not None:
            days.append(self.readmitted_here)
        return min(days) if days else None

    def last_answer(self, name: str, values: tuple[str, ...]) -> int | None:
        days = [self.day(c.at) for c in self.contacts if getattr(c, name) in values]
        return max(days) if days else None


def cases(period: Period) -> list[Case]:
    episodes = list(
        Episode.objects.filter(
            program=period.program,
            discharged_at__gte=period.start_at,
            discharged_at__lt=period.end_at,
            continuing_care_plan__isnull=False,
        ).select_related("continuing_care_plan", "program")
    )
    plans = [e.continuing_care_plan for e in episodes]
    reached: dict[int, list[FollowUpContact]] = {p.pk: [] for p in plans}
    for contact in FollowUpContact.objects.filter(follow_up__plan__in=plans, reached=True).select_related("follow_up"):
        reached[contact.follow_up.plan_id].append(contact)
    lost = set(FollowUp.objects.filter(plan__in=plans, status=FollowUp.Status.LOST).values_list("plan_id", flat=True))
    later = list(
        Episode.objects.filter(
            program=period.program, patient_id__in={e.patient_id for e in episodes}, admitted_at__gte=period.start_at
        )
    )
    first_stay: dict[int, LevelOfCareStay] = {}
    for stay in LevelOfCareStay.objects.filter(episode__in=later).order_by("-started_at", "-id"):
        first_stay[stay.episode_id] = stay
    found = []
    for episode in episodes:
        plan = episode.continuing_care_plan
        day0 = timezone.localtime(_discharged(episode), period.tz).date()
        readmissions = [
            (timezone.localtime(e.admitted_at, period.tz).date() - day0).days
            for e in later
            if e.patient_id == episode.patient_id
            and e.admitted_at > _discharged(episode)
            and e.pk in first_stay
            and _high_intensity(first_stay[e.pk].level)
        ]
        found.append(
            Case(
                episode=episode,
                day0=day0,
                contacts=sorted(reached[plan.pk], key=lambda c: (c.at, c.pk)),
                lost=plan.pk in lost,
                readmitted_here=min(readmissions) if readmissions else None,
                moud_planned=bool(plan.moud_continued_by),
            )
        )
    return found


def _over(case: Case, days: int, period: Period) -> bool:
    return _discharged(case.episode) + timedelta(days=days) <= period.now


def _known_rate(cohort: list[Case], status: Callable[[Case], bool | None]) -> Result:
    found = [(case, status(case)) for case in cohort]
    known = [s for _, s in found if s is not None]
    result = rate(sum(1 for s in known if s), len(known))
    result.cohort = len(cohort)
    result.lost = sum(1 for case, s in found if s is None and case.lost)
    return result


def moud_retained(case: Case, days: int) -> bool | None:
    answered = [c for c in case.contacts if c.moud_continued in ("yes", "no")]
    at_or_after = [c for c in answered if case.day(c.at) >= days]
    if at_or_after:
        return at_or_after[0].moud_continued == "yes"
    death = case.death_day
    if death is not None and death <= days:
        return False
    if any(c.moud_continued == "no" for c in answered):
        return False
    return None


def used_by(case: Case, days: int) -> bool | None:
    use = case.use_day
    if use is not None and use <= days:
        return True
    known_until = case.last_answer("used_since", ("yes", "no"))
    if use is not None or (known_until is not None and known_until >= days):
        return False
    return None


def readmitted_within(case: Case, days: int) -> bool | None:
    readmit = case.readmit_day
    if readmit is not None and readmit <= days:
        return True
    known_until = case.last_answer("readmitted", ("yes", "no"))
    death = case.death_day
    if (
        readmit is not None
        or (known_until is not None and known_until >= days)
        or (death is not None and death <= days)
    ):
        return False
    return None


def moud_retention(days: int) -> Callable[[Period], Result]:
    def compute(period: Period) -> Result:
        return _known_rate(
            [c for c in cases(period) if c.moud_planned and _over(c, days, period)], lambda c: moud_retained(c, days)
        )

    return compute


def return_to_use(days: int) -> Callable[[Period], Result]:
    def compute(period: Period) -> Result:
        return _known_rate([c for c in cases(period) if _over(c, days, period)], lambda c: used_by(c, days))

    return compute


def readmission(days: int) -> Callable[[Period], Result]:
    def compute(period: Period) -> Result:
        return _known_rate([c for c in cases(period) if _over(c, days, period)], lambda c: readmitted_within(c, days))

    return compute


def overdoses(kind: str) -> Callable[[Period], Result]:
    def compute(period: Period) -> Result:
        return _known_rate(
            cases(period),
            lambda c: any(x.overdose == kind for x in c.contacts) if c.contacts else None,
        )

    return compute


def deaths(period: Period) -> Result:
    found = [c for c in cases(period) if c.death_day is not None]
    return Result(len(found))


def time_to(event: Callable[[Case], int | None], known: Callable[[Case], int | None]) -> Callable[[Period], Result]:
    """A Kaplan-Meier curve: each discharge is an event on its day, or censored at the last contact that answered
    (never reached: at the discharge day, 0)."""

    def compute(period: Period) -> Result:
        found = cases(period)
        points = []
        for case in found:
            day = event(case)
            points.append((day, True) if day is not None else (known(case) or 0, False))
        steps = kaplan_meier(points)
        result = Result(
            survival_at(steps, 90) if steps else None,
            sum(1 for _, e in points if e),
            len(points),
            steps=[(s.day, s.at_risk, s.events, s.censored, s.survival) for s in steps],
        )
        result.cohort = len(found)
        result.lost = sum(1 for c in found if c.lost)
        return result

    return compute


def _last_use_answer(case: Case) -> int | None:
    return case.last_answer("used_since", ("no",))


def _last_readmission_answer(case: Case) -> int | None:
    days = [d for d in (case.last_answer("readmitted", ("no",)), case.death_day) if d is not None]
    return max(days) if days else None


CASES = (
    "Of the episodes discharged in the period with a continuing-care plan (any level, any reason)"
    "{moud}, whose {n} days after discharge are over, "
)
KNOWN = (
    " Cases whose outcome is not known (no contact has answered it) are left out of the rate and counted beside "
    "it, with those lost to follow-up."
)


def after_discharge_figures() -> list[Figure]:
    found: list[Figure] = []
    for n in (30, 90, 180):
        found.append(
            Figure(
                f"moud_retention_{n}",
                f"Still on MOUD at day {n}",
                "rate",
                CASES.format(n=n, moud=" that names who continues the medication")
                + f"the share still taking it at day {n}: the first follow-up contact on or after day {n} that "
                "answered 'still takes the medication'; without one, a 'no' before day "
                f"{n} or a death by day {n} counts as not retained." + KNOWN,
                moud_retention(n),
            )
        )
    for n in (30, 90):
        found.append(
            Figure(
                f"return_to_use_{n}",
                f"Return to use by day {n}",
                "rate",
                "Among those reached: "
                + CASES.format(n=n, moud="").lower()
                + f"the share with a use reported on or before day {n} (the day of use given, or without one the "
                "day of the contact; an overdose is a use). Known not to have used: a contact on or after day "
                f"{n} that answered 'used since discharge'." + KNOWN,
                return_to_use(n),
            )
        )
    found += [
        Figure(
            "overdose_non_fatal",
            "Non-fatal overdoses after discharge",
            "rate",
            "Among those reached: of the episodes discharged in the period with a continuing-care plan and at least "
            "one follow-up contact that reached someone, the share with a non-fatal overdose reported." + KNOWN,
            overdoses("non_fatal"),
        ),
        Figure(
            "overdose_fatal",
            "Overdose deaths after discharge",
            "rate",
            "As the non-fatal overdoses: among those reached, the share with a death from an overdose "
            "reported (each is also a sentinel event)." + KNOWN,
            overdoses("fatal"),
        ),
        Figure(
            "deaths_after_discharge",
            "Deaths after discharge",
            "count",
            "Episodes discharged in the period whose follow-up recorded the patient's death, of any cause: sentinel "
            "events. Each "
            "closes the discharge's follow-up and is listed for the director's review on the after-discharge work "
            "list.",
            deaths,
        ),
    ]
    for n in (30, 90):
        found.append(
            Figure(
                f"readmission_{n}",
                f"Readmission within {n} days",
                "rate",
                CASES.format(n=n, moud="")
                + f"the share readmitted to withdrawal management or 24-hour care on or before day {n}: a new "
                "admission to this program whose first level is one of those, or a follow-up contact reporting an "
                "admission anywhere (on the contact's day). A planned step-down to outpatient care is not a "
                f"readmission. Known not readmitted: a contact on or after day {n} that answered, or a death by day "
                f"{n}." + KNOWN,
                readmission(n),
            )
        )
    found += [
        Figure(
            "time_to_use",
            "Time to return to use",
            "survival",
            "A Kaplan-Meier estimate. Each episode discharged in the period with a continuing-care plan, followed from "
            "the discharge day: a "
            "return to use on its first reported day of use (as above), otherwise censored at the last follow-up "
            "contact that answered 'no use' (never reached: censored on the discharge day). The curve is the "
            "estimated share without a return to use; the figure is its value at day 90, with the number of discharges "
            "that had the event.",
            time_to(lambda c: c.use_day, _last_use_answer),
            chart="survival",
        ),
        Figure(
            "time_to_readmission",
            "Time to readmission",
            "survival",
            "A Kaplan-Meier estimate as time to return to use, with readmission to withdrawal management or "
            "24-hour care (as above) as the "
            "event, censored at the last contact that answered 'not admitted anywhere' or at a reported death. The "
            "figure is the estimated share not readmitted at day 90.",
            time_to(lambda c: c.readmit_day, _last_readmission_answer),
            chart="survival",
        ),
    ]
    return found
