"""The withdrawal board: who in withdrawal management needs a nurse now.

A fixed number of queries whatever the number of patients and however long their histories: the stays on
the board with each patient's last two current COWS and whether CIWA-Ar is on (one query, two index probes per
patient), the program's settings (one), one query per registered note source, one per dose source while the program
shortens the interval after a dose (`Rules.after_doses`), and the CIWA-Ar column's while someone has CIWA-Ar on.

Order: most urgent first by URGENCY_RULE (severity, alerts and lateness together, shown on the page in those words).

Doses: medication records live in another area (MOUD administrations). That area registers a function in
DOSE_SOURCES: `(patient_ids) -> {patient_id: [Dose, ...]}` returning each patient's recent doses, newest
first, in one query. The board then shortens the interval after a dose (program settings
withdrawal.post_dose_interval_hours / withdrawal.post_dose_window_hours) and the flowsheet chart marks them.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import NamedTuple, cast

from django.db.models import Exists, F, Func, JSONField, OuterRef, Subquery, TextField
from django.db.models.functions import Cast, JSONObject
from django.utils import timezone

from waypoint.patients.models import LevelOfCareStay
from waypoint.placement.levels import levels_of
from waypoint.scales import INSTRUMENTS
from waypoint.web.ids import AmongIds

from . import settings as protocol
from .models import Assessment, CiwaArMonitoring


@dataclass(frozen=True)
class Dose:
    at: datetime
    label: str  # e.g. "buprenorphine 4 mg SL"


DOSE_SOURCES: list = []


@dataclass(frozen=True)
class Note:
    """A line another area adds to a patient's row (e.g. a comfort-medication follow-up due), with a link."""

    code: str  # the row's alert class, e.g. "follow-up-overdue"
    text: str
    url: str = ""
    link: str = ""


# Other areas register `(patient_ids, now) -> {patient_id: [Note, ...]}`, one query each.
NOTE_SOURCES: list = []


def recent_doses(patient_ids) -> dict[int, list[Dose]]:
    found: dict[int, list[Dose]] = {}
    for source in DOSE_SOURCES:
        for patient_id, doses in source(patient_ids).items():
            found.setdefault(patient_id, []).extend(doses)
    for doses in found.values():
        doses.sort(key=lambda dose: dose.at, reverse=True)
    return found


def due_at(
    *,
    stay_started: datetime,
    last_cows: datetime | None,
    last_dose: datetime | None,
    now: datetime,
    interval: timedelta,
    post_dose_interval: timedelta | None,
    post_dose_window: timedelta | None,
) -> datetime:
    """When the next COWS is due.

    No COWS yet in this stay: the baseline ("time zero") is due at the start of the stay. Otherwise the
    program's interval after the last COWS; but within the post-dose window after the latest dose, the
    shorter post-dose interval counts from the later of that dose and the last COWS.
    """
    if last_cows is None or last_cows < stay_started:
        return stay_started
    due = last_cows + interval
    if last_dose is not None and post_dose_interval and post_dose_window and now < last_dose + post_dose_window:
        due = min(due, max(last_dose, last_cows) + post_dose_interval)
    return due


@dataclass
class Alert:
    code: str  # severe, rise, overdue, induction
    text: str


@dataclass
class BoardRow:
    stay: "LevelOfCareStay | BoardStay"
    latest: "Score | None"
    previous: "Score | None"
    next_due: datetime
    overdue: bool
    alerts: list[Alert] = field(default_factory=list)
    meets_induction: str = ""  # the setting that produced the flag, shown with it
    lateness: int = 0  # 0 not overdue; 1, 2, 3: how late (LATENESS)
    urgency: int = 0  # severity + alerts + lateness points (URGENCY_RULE)
    notes: list[Note] = field(default_factory=list)  # from NOTE_SOURCES
    latest_ciwa: "Assessment | None" = None  # the chart header's CIWA-Ar line (alcohol co-use), when one is recorded
    ciwa: "CiwaStatus | None" = None  # the CIWA-Ar column: only while a nurse or prescriber has turned CIWA-Ar on

    @property
    def patient(self):
        return self.stay.patient

    @property
    def change(self) -> int | None:
        if self.latest is None or self.previous is None:
            return None
        return self.latest.total - self.previous.total


def board_levels(program) -> list[str]:
    chosen = protocol.BOARD_LEVELS.get(program)
    if chosen:
        return chosen
    return [level.code for level in levels_of(program.asam_edition) if level.is_withdrawal_management]


STAY_FIELDS = (
    "id",
    "patient_id",
    "level_code",
    "started_at",
    "patient__mrn",
    "patient__given_name",
    "patient__preferred_name",
    "patient__family_name",
)
_BAND_LABELS = {(code, band.code): band.label for code, instrument in INSTRUMENTS.items() for band in instrument.bands}


# Score, BoardPatient and BoardStay are named tuples: immutable records built some 1,500 times per board, which a named
# tuple builds in about half the time of a frozen dataclass (that sets each field through object.__setattr__).


class Score(NamedTuple):
    """What the board and the chart header show of one COWS (read as text by the stays query: no model instance)."""

    id: int
    patient_id: int
    instrument: str
    taken_at: datetime
    total: int
    severity: str

    @property
    def severity_label(self) -> str:
        return _BAND_LABELS.get((self.instrument, self.severity), "")


class BoardPatient(NamedTuple):
    pk: int
    mrn: str
    given_name: str
    preferred_name: str
    family_name: str

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.given_name} {self.family_name}"


class BoardStay(NamedTuple):
    id: int
    patient_id: int
    level_code: str
    started_at: datetime
    patient: BoardPatient


def _newest_cows(patient):
    """A patient's COWS in force, newest first, correlated to `patient` (an OuterRef).

    `ORDER BY taken_at DESC, id DESC LIMIT 2` walks the index `assessment_series` (patient, instrument, status,
    taken_at, id) backwards and stops after two rows: one short walk per patient, whatever the length of the
    patient's history (a window over all their scores would grow).
    """
    return Assessment.objects.in_force().filter(patient_id=patient, instrument="cows").order_by("-taken_at", "-id")


class _Packed(Func):
    """Columns as one text, each written as the database writes it as text and joined by "|": a COWS on the board is
    "id|total|severity|taken at". The time is ISO 8601 with its offset on PostgreSQL (psycopg already requires the
    connection's DateStyle to be ISO) and in UTC without an offset on SQLite: `json_time` reads both.

    One text per score rather than a JSON object: building 1,000 JSON objects doubled the stays query's time in
    PostgreSQL, and decoding them was the board's largest Python cost; a column per field would be a subquery (an
    index walk per patient) for each field."""

    template = "(%(expressions)s)"
    arg_joiner = " || '|' || "  # a constant: the values themselves are columns, never text from outside
    output_field = TextField()

    def __init__(self, *columns):
        super().__init__(*(Cast(column, TextField()) for column in columns))


class _FirstTwo(Subquery):
    """The rows of a correlated, ordered and sliced queryset of one text column named `packed`, joined by ";" in one
    subquery: both of a patient's newest COWS from one walk of the index instead of one walk each (about a third
    less of the stays query's time in PostgreSQL). An aggregate need not keep the order of its rows: `_scores` orders
    them again. The SQL around the queryset's own is constant."""

    template = "(SELECT STRING_AGG(newest.packed, ';') FROM (%(subquery)s) newest)"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        template = "(SELECT GROUP_CONCAT(newest.packed, ';') FROM (%(subquery)s) newest)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def with_newest_two_cows(stays):
    """The stays, each with its patient's two newest COWS in force read in the same query (`cows_newest`: one text,
    read by `_scores`, or None), so the board is one round trip for stays and scores."""
    newest = _newest_cows(OuterRef("patient_id")).values(packed=_Packed("id", "total", "severity", "taken_at"))
    return stays.annotate(cows_newest=_FirstTwo(newest[:2]))


def json_time(value: str | None) -> datetime | None:
    """A time read inside a JSON object (JSONObject) or as text: PostgreSQL writes it with its offset, SQLite in UTC
    without."""
    if value is None:
        return None
    found = datetime.fromisoformat(value)
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _scores(patient_id: int, newest: str | None) -> list[Score]:
    """The newest two read by `with_newest_two_cows` (each as `_Packed` writes it), newest first (none, one or two):
    ordered here as the query picks them (latest time, then highest id), since the aggregate that joined them need
    not keep that order."""
    if newest is None:
        return []
    scores = []
    for found in newest.split(";"):
        pk, total, severity, taken = found.split("|")
        taken_at = datetime.fromisoformat(taken)  # json_time, inline: 1,000 times per board
        scores.append(
            Score(
                int(pk),
                patient_id,
                "cows",
                taken_at if taken_at.tzinfo else taken_at.replace(tzinfo=UTC),
                int(total),
                severity,
            )
        )
    if len(scores) == 2 and (scores[0].taken_at, scores[0].id) < (scores[1].taken_at, scores[1].id):
        scores.reverse()
    return scores


@dataclass(frozen=True, slots=True)
class CiwaStatus:
    """The board's CIWA-Ar column for a patient the nurses assess with CIWA-Ar: latest total, its band as stored
    when it was recorded (label and source; empty: no bands set by the program), when the next one is due."""

    since: datetime
    reason: str
    total: int | None
    taken_at: datetime | None
    band_label: str
    band_source: str
    next_due: datetime
    overdue: bool

    @property
    def band_text(self) -> str:
        if self.total is None:
            return ""
        return f"{self.band_label} (program bands: {self.band_source})" if self.band_label else protocol.NO_BANDS


def ciwa_statuses(patient_ids, now: datetime, interval: timedelta) -> dict[int, CiwaStatus]:
    """Each patient's CIWA-Ar column, for those with CIWA-Ar turned on (one query, whatever their number): the
    baseline is due when it was turned on, then `interval` after the latest CIWA-Ar in force (never before it was
    turned on)."""
    found: dict[int, CiwaStatus] = {}
    ids = list(patient_ids)
    if not ids:
        return found  # before building the query: nobody with CIWA-Ar on is the usual board
    newest = (
        Assessment.objects.in_force()
        .filter(patient_id=OuterRef("patient_id"), instrument="ciwa-ar")
        # id last, as the board's COWS: a backward walk of the index assessment_series
        .order_by("-taken_at", "-id")
        .values(found=JSONObject(total="total", taken_at="taken_at", label="band_label", source="band_source"))
    )
    rows = (
        CiwaArMonitoring.objects.filter(AmongIds(F("patient_id"), ids), stopped_at__isnull=True)
        .annotate(latest=Subquery(newest[:1], output_field=JSONField()))
        .values_list("patient_id", "started_at", "reason", "latest")
    )
    for patient_id, since, reason, latest in rows:
        latest = latest or {}
        total, taken_at = latest.get("total"), json_time(latest.get("taken_at"))
        # a CIWA-Ar taken shortly before it was turned on (the form keeps whole minutes) counts for one interval
        next_due = since if taken_at is None else max(since, taken_at + interval)
        found[patient_id] = CiwaStatus(
            since,
            reason,
            total,
            taken_at,
            latest.get("label") or "",
            latest.get("source") or "",
            next_due,
            now > next_due,
        )
    return found


@dataclass(frozen=True)
class Rules:
    """The program's protocol settings the board applies, read once per board rather than once per row."""

    interval: timedelta
    post_dose_interval: timedelta | None
    post_dose_window: timedelta | None
    rise: int | None
    threshold: int | None
    ciwa_interval: timedelta  # the program's CIWA-Ar interval, else its COWS interval
    tz: tzinfo  # the time zone the alerts give times in: the active one when the rules are read (the program's)

    @property
    def after_doses(self) -> bool:
        """Whether doses count at all: only while the program shortens the interval after a dose (both settings set,
        `due_at`); otherwise the board does not ask the dose sources."""
        return bool(self.post_dose_interval and self.post_dose_window)

    @classmethod
    def of(cls, program) -> "Rules":
        return cls(
            # the setting is a whole number of hours from 1 to 24: never None
            interval=cast(timedelta, hours(protocol.ASSESSMENT_INTERVAL_HOURS, program)),
            post_dose_interval=hours(protocol.POST_DOSE_INTERVAL_HOURS, program),
            post_dose_window=hours(protocol.POST_DOSE_WINDOW_HOURS, program),
            rise=protocol.RISE_ALERT_POINTS.get(program),
            threshold=protocol.INDUCTION_THRESHOLD_COWS.get(program),
            ciwa_interval=cast(
                timedelta,
                hours(protocol.CIWA_AR_INTERVAL_HOURS, program) or hours(protocol.ASSESSMENT_INTERVAL_HOURS, program),
            ),
            tz=timezone.get_current_timezone(),
        )


def alerts_for(
    program,
    latest: Score | None,
    previous: Score | None,
    overdue: bool,
    next_due: datetime,
    rules: Rules | None = None,
) -> tuple[list[Alert], str]:
    rules = rules or Rules.of(program)
    alerts = []
    if overdue:
        alerts.append(Alert("overdue", f"COWS overdue since {next_due.astimezone(rules.tz):%H:%M}"))
    if latest is not None and latest.severity == "severe":
        alerts.append(Alert("severe", f"Severe withdrawal (COWS {latest.total})"))
    rise = rules.rise
    if rise and latest is not None and previous is not None and latest.total - previous.total >= rise:
        alerts.append(
            Alert(
                "rise", f"COWS up {latest.total - previous.total} points ({protocol.RISE_ALERT_POINTS.describe(rise)})"
            )
        )
    threshold = rules.threshold
    induction = ""
    if threshold is not None and latest is not None and latest.total >= threshold:
        induction = f"Meets program induction threshold ({protocol.INDUCTION_THRESHOLD_COWS.describe(threshold)})"
    return alerts, induction


# "Most urgent first": the rule, in the words the board page shows (docs/architecture.md says the same).
SEVERITY_POINTS = {"severe": 4, "moderately_severe": 3, "moderate": 2, "mild": 1}
LATENESS = (
    (1, "overdue by less than a quarter of the program's COWS interval"),
    (2, "overdue by up to one whole interval"),
    (3, "overdue by more than one whole interval (an assessment missed)"),
)
URGENCY_RULE = (
    "Most urgent first. Each patient gets points: the latest COWS band (severe 4, moderately severe 3, "
    "moderate 2, mild 1, below 5 or none yet 0); 1 for a rise alert; 1 for meeting the program's induction "
    "threshold (a prescriber is needed); and how late the next COWS is: "
    + "; ".join(f"{text} {points}" for points, text in LATENESS)
    + ". Most points first; on equal points the later COWS first, then the higher score."
)


def lateness(next_due: datetime, now: datetime, interval: timedelta | None) -> int:
    """How late the next COWS is, graded against the program's interval (0: not overdue)."""
    if now <= next_due:
        return 0
    late = now - next_due
    if interval is None or late < interval / 4:
        return 1
    return 2 if late <= interval else 3


def urgency(latest: "Score | None", alerts: list[Alert], meets_induction: str, late: int) -> int:
    points = SEVERITY_POINTS.get(latest.severity, 0) if latest is not None else 0
    points += sum(1 for alert in alerts if alert.code == "rise")
    points += 1 if meets_induction else 0
    return points + late


def hours(setting, program) -> timedelta | None:
    value = setting.get(program)
    return timedelta(hours=value) if value else None


def row_for(program, stay, cows: list[Score], doses: list[Dose], now: datetime, rules: Rules | None = None) -> BoardRow:
    rules = rules or Rules.of(program)
    latest = cows[0] if cows else None
    previous = cows[1] if len(cows) > 1 else None
    next_due = due_at(
        stay_started=stay.started_at,
        last_cows=latest.taken_at if latest else None,
        last_dose=doses[0].at if doses else None,
        now=now,
        interval=rules.interval,
        post_dose_interval=rules.post_dose_interval,
        post_dose_window=rules.post_dose_window,
    )
    overdue = now > next_due
    alerts, induction = alerts_for(program, latest, previous, overdue, next_due, rules)
    late = lateness(next_due, now, rules.interval)
    return BoardRow(
        stay, latest, previous, next_due, overdue, alerts, induction, late, urgency(latest, alerts, induction, late)
    )


def build(program, visible_patients, now: datetime | None = None) -> list[BoardRow]:
    now = now or timezone.now()
    found = with_newest_two_cows(
        LevelOfCareStay.objects.filter(
            program=program, ended_at__isnull=True, level_code__in=board_levels(program), patient__in=visible_patients
        ).order_by("started_at", "id")
    ).annotate(
        # whether CIWA-Ar is on (a probe of the index of open instructions): the CIWA-Ar column's query then asks
        # only for those patients, and is not sent at all while nobody on the board has CIWA-Ar on
        ciwa_on=Exists(CiwaArMonitoring.objects.filter(patient_id=OuterRef("patient_id"), stopped_at__isnull=True))
    )
    stays, cows, with_ciwa = [], {}, []
    read = found.values_list(*STAY_FIELDS, "cows_newest", "ciwa_on")
    for pk, patient_id, level_code, started_at, mrn, given, preferred, family, newest, ciwa_on in read:
        stays.append(
            BoardStay(pk, patient_id, level_code, started_at, BoardPatient(patient_id, mrn, given, preferred, family))
        )
        cows[patient_id] = _scores(patient_id, newest)
        if ciwa_on:
            with_ciwa.append(patient_id)
    ids = [stay.patient_id for stay in stays]
    rules = Rules.of(program)
    doses = recent_doses(ids) if rules.after_doses else {}
    rows = [
        row_for(program, stay, cows.get(stay.patient_id, []), doses.get(stay.patient_id, []), now, rules)
        for stay in stays
    ]
    by_patient = {row.stay.patient_id: row for row in rows}
    for patient_id, ciwa in ciwa_statuses(with_ciwa, now, rules.ciwa_interval).items():
        by_patient[patient_id].ciwa = ciwa
    for source in NOTE_SOURCES:
        for patient_id, notes in source(ids, now).items():
            by_patient[patient_id].notes.extend(notes)
    rows.sort(key=most_urgent_first)
    return rows


def most_urgent_first(row: BoardRow) -> tuple:
    """URGENCY_RULE as a sort key: most points, then the longest overdue (earliest due), then the highest score."""
    return (-row.urgency, row.next_due, -(row.latest.total if row.latest else 0))


def for_patient(program, patient, now: datetime | None = None) -> BoardRow | None:
    """The board's view of one patient (for the chart header), or None when not in withdrawal management."""
    stay = (
        with_newest_two_cows(
            LevelOfCareStay.objects.filter(patient=patient, ended_at__isnull=True, level_code__in=board_levels(program))
        )
        .select_related("patient")
        .first()
    )
    if stay is None:
        return None
    now = now or timezone.now()
    rules = Rules.of(program)
    row = row_for(
        program,
        stay,
        _scores(patient.pk, stay.cows_newest),
        recent_doses([patient.pk]).get(patient.pk, []) if rules.after_doses else [],
        now,
        rules,
    )
    row.ciwa = ciwa_statuses([patient.pk], now, rules.ciwa_interval).get(patient.pk)
    return row
