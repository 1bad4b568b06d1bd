"""The program director's outcome figures. Each figure states its definition (shown on the dashboard and in the
CSV) and computes from the program's records in a period: whole local days from `start` to `end` inclusive, in
the program's time zone. Aggregates only: no figure carries a name.

FIGURES is a registry: another area appends its own Figure (e.g. the treatment area's attendance rate by
modality) from its AppConfig.ready(), and the dashboard, the CSV export and the API show it with the rest.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from waypoint.accounts.models import Program
from waypoint.drug_screens.models import DrugScreen
from waypoint.drug_screens.services import with_findings
from waypoint.patients.models import Episode, LevelOfCareStay
from waypoint.screening.models import NaloxoneKit

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Period:
    program: Program
    start: date  # first local day
    end: date  # last local day, inclusive
    now: datetime

    @property
    def tz(self):
        return self.program.tz

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(0), tzinfo=self.tz)

    @property
    def end_at(self) -> datetime:
        """The local midnight after the last day (exclusive bound)."""
        return datetime.combine(self.end + DAY, time(0), tzinfo=self.tz)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


@dataclass
class Result:
    value: float | None  # a count, or a share from 0 to 1 (None: nothing to count)
    numerator: int | None = None
    denominator: int | None = None
    series: list[tuple[date, float]] = field(default_factory=list)  # over time
    breakdown: list[tuple[str, int, int]] = field(default_factory=list)  # (label, numerator, denominator)
    # After discharge: every case whose outcome was sought (`cohort`), of which `lost` were lost to follow-up;
    # the rate's denominator holds only the cases whose outcome is known (cohort - denominator are not known).
    cohort: int | None = None
    lost: int | None = None
    # A survival curve: (day, at risk, events, censored, estimated share without the event) per day
    steps: list[tuple[int, int, int, int, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    kind: str  # "count" or "rate"
    definition: str
    compute: Callable[[Period], Result]
    chart: str = ""  # "bars" (series as weekly bars), "line" (a daily line), "survival" (steps), "" (rates chart)


def rate(numerator: int, denominator: int, **extra) -> Result:
    return Result(numerator / denominator if denominator else None, numerator, denominator, **extra)


def _in_period(period: Period, at: datetime | None) -> bool:
    return at is not None and period.start_at <= at < period.end_at


# --- admissions and census ----------------------------------------------------------------------------------


def admissions(period: Period) -> Result:
    times = list(
        Episode.objects.filter(
            program=period.program, admitted_at__gte=period.start_at, admitted_at__lt=period.end_at
        ).values_list("admitted_at", flat=True)
    )
    weeks: dict[date, int] = {}
    day = period.start - timedelta(days=period.start.weekday())
    while day <= period.end:
        weeks[day] = 0
        day += timedelta(days=7)
    for at in times:
        local = at.astimezone(period.tz).date()
        weeks[local - timedelta(days=local.weekday())] += 1
    return Result(len(times), series=sorted(weeks.items()))


def census(period: Period) -> Result:
    episodes = list(
        Episode.objects.filter(program=period.program, admitted_at__lt=period.end_at)
        .exclude(discharged_at__lt=period.start_at)
        .values_list("admitted_at", "discharged_at")
    )
    series: list[tuple[date, float]] = []
    for day in period.days():
        at = datetime.combine(day + DAY, time(0), tzinfo=period.tz)
        if at > period.now:
            at = period.now
            series.append((day, sum(1 for a, d in episodes if a <= at and (d is None or d > at))))
            break
        series.append((day, sum(1 for a, d in episodes if a <= at and (d is None or d > at))))
    return Result(series[-1][1] if series else None, series=series)


# --- retention -----------------------------------------------------------------------------------------------


def retention(days: int) -> Callable[[Period], Result]:
    def compute(period: Period) -> Result:
        cohort = [
            (a, d)
            for a, d in Episode.objects.filter(
                program=period.program, admitted_at__gte=period.start_at, admitted_at__lt=period.end_at
            ).values_list("admitted_at", "discharged_at")
            if a + timedelta(days=days) <= period.now
        ]
        kept = sum(1 for a, d in cohort if d is None or d >= a + timedelta(days=days))
        return rate(kept, len(cohort))

    return compute


# --- level-of-care exits: withdrawal management completion, step-down ---------------------------------------


def _exits(period: Period, leaving: Callable, staying: Callable):
    """Stays at a `leaving` level that ended in the period and were not followed by another `staying` level:
    yields (stay, next stay or None, episode)."""
    stays = list(
        LevelOfCareStay.objects.filter(
            program=period.program, ended_at__gte=period.start_at, ended_at__lt=period.end_at
        ).select_related("episode")
    )
    stays = [s for s in stays if leaving(s.level)]
    following: dict[tuple[int, datetime | None], LevelOfCareStay] = {
        (s.episode_id, s.started_at): s
        for s in LevelOfCareStay.objects.filter(episode_id__in={s.episode_id for s in stays})
    }
    for stay in stays:
        nxt = following.get((stay.episode_id, stay.ended_at))
        if nxt is not None and nxt.pk == stay.pk:
            nxt = None
        if nxt is not None and staying(nxt.level):
            continue
        yield stay, nxt, stay.episode


def wm_completion(period: Period) -> Result:
    done = total = 0
    for _stay, nxt, episode in _exits(
        period, lambda lvl: lvl.is_withdrawal_management, lambda lvl: lvl.is_withdrawal_management
    ):
        total += 1
        if nxt is not None or episode.discharge_reason == Episode.DischargeReason.COMPLETED:
            done += 1
    return rate(done, total)


def _twenty_four_hour(lvl) -> bool:
    return lvl.has_beds and not lvl.is_withdrawal_management


def step_down(period: Period) -> Result:
    down = total = 0
    for _stay, nxt, _episode in _exits(period, _twenty_four_hour, lambda lvl: lvl.has_beds):
        total += 1
        if nxt is not None:  # not followed by a level with beds, so an outpatient level
            down += 1
    return rate(down, total)


# --- naloxone at discharge, unexpected positive screens -----------------------------------------------------


def naloxone_at_discharge(period: Period) -> Result:
    discharged = set(
        Episode.objects.filter(
            program=period.program, discharged_at__gte=period.start_at, discharged_at__lt=period.end_at
        ).values_list("pk", flat=True)
    )
    with_kit = set(NaloxoneKit.objects.filter(episode_id__in=discharged).values_list("episode_id", flat=True))
    return rate(len(with_kit), len(discharged))


def unexpected_positives(period: Period) -> Result:
    screens = list(
        DrugScreen.objects.in_force().filter(
            program=period.program, collected_at__gte=period.start_at, collected_at__lt=period.end_at
        )
    )
    read = [r for r in with_findings(screens) if r.tested]
    return rate(sum(1 for r in read if r.unexpected), len(read))


FIGURES: list[Figure] = [
    Figure(
        "admissions",
        "Admissions",
        "count",
        "Episodes of care admitted in the period (admission time in the period), shown by week (weeks begin "
        "on Monday, program time zone).",
        admissions,
        chart="bars",
    ),
    Figure(
        "census",
        "Census",
        "count",
        "Patients in care (an episode admitted and not yet discharged) at the end of each day of the period "
        "(the local midnight that ends it; today: now). The figure is the last day's.",
        census,
        chart="line",
    ),
    Figure(
        "retention_30",
        "Retention at 30 days",
        "rate",
        "Of the episodes admitted in the period whose 30th day has come (admission + 30 days is not after now), "
        "the share not discharged before admission + 30 days, whatever their level of care by then. Episodes "
        "admitted too recently are left out.",
        retention(30),
    ),
    Figure(
        "retention_90",
        "Retention at 90 days",
        "rate",
        "As retention at 30 days, with 90 days: of the episodes admitted in the period whose 90th day has come, "
        "the share not discharged before admission + 90 days.",
        retention(90),
    ),
    Figure(
        "wm_completion",
        "Withdrawal management completion",
        "rate",
        "Of the withdrawal-management stays (the -WM levels) that ended in the period and were not followed by "
        "another withdrawal-management level, the share that ended by a move to another level of care in the "
        "same episode or by a discharge with reason 'completed treatment'. A discharge for any other reason "
        "(left against advice, transferred, administrative, other) is not a completion.",
        wm_completion,
    ),
    Figure(
        "naloxone_at_discharge",
        "Discharges with naloxone",
        "rate",
        "Of the episodes discharged in the period, the share with at least one naloxone kit dispensed in that "
        "episode (screening's naloxone record). A recorded refusal does not count as a kit.",
        naloxone_at_discharge,
    ),
    Figure(
        "step_down",
        "Step-down rate",
        "rate",
        "Of the stays at residential or inpatient levels (24-hour care, not withdrawal management) that ended in "
        "the period and were not followed by another level with beds, the share that ended by a move to an "
        "outpatient level in the same episode (the others ended by discharge).",
        step_down,
    ),
    Figure(
        "unexpected_positives",
        "Unexpected-positive screens",
        "rate",
        "Of the urine drug screens collected in the period with at least one analyte tested, the share with at "
        "least one unexpected positive result (a positive is expected only for an analyte whose MOUD order was "
        "active at collection, as the drug-screen page's table of expected results shows). Screens marked entered in "
        "error are left out.",
        unexpected_positives,
    ),
]


def compute_all(period: Period) -> list[tuple[Figure, Result]]:
    return [(figure, figure.compute(period)) for figure in FIGURES]
