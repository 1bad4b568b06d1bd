"""State TEDS reporting (Treatment Episode Data Set): the admission and discharge records of a month, from what
Waypoint already holds, written through a per-state crosswalk and checked before they leave.

What TEDS asks for (../shared/reference/opioid-treatment-programs.md, "State reporting"): demographics; substances
(primary, secondary, tertiary) with route, frequency and age of first use; referral source; prior treatment
episodes; service setting at admission and discharge; date and reason of discharge. States publish their own
crosswalks and file formats: none is in the reference, so the repository carries only a SAMPLE crosswalk
(`teds/sample.json`), which shows the format of a crosswalk and is not any state's format. A state's crosswalk is
a file `teds/<state>.json` of the same shape, written from the state's own documents.

Where each value comes from (`SOURCES`):
- demographics: the patient (birth date, sex at birth, state and postal code of the address);
- substances: the substance use history in force (its newest version). Waypoint does not record which substance
  the patient names as primary, so the substances are ranked by how often they are used (several times a day
  first, "not currently using" last), ties in the order the history lists them; a substance used by several
  routes is reported with the first of them in the crosswalk's `route_precedence`;
- referral source: the referral the patient was admitted from (none linked: missing);
- prior episodes: the patient's earlier episodes in this program (treatment elsewhere is free text in the
  history and is not counted);
- service setting: the level of care of the episode's first stay (admission) and last stay (discharge);
- discharge: the episode's discharge time (a date in the program's time zone) and reason.

A record in the month is an episode admitted (admission record) or discharged (discharge record) between the
month's first midnight and the next month's, in the program's time zone. A record missing a field the crosswalk
requires is not exported: it is on the work list with a link to where that field is entered.
"""

import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from waypoint.accounts.models import Program
from waypoint.accounts.roles import STATE_REPORTS
from waypoint.audit import trail as audit
from waypoint.patients.access import require
from waypoint.patients.models import Episode, Patient
from waypoint.placement.levels import LEVELS
from waypoint.placements.models import Referral
from waypoint.screening.models import FREQUENCIES, ROUTES, SUBSTANCE_LABELS, History
from waypoint.web.downloads import csv_writer

CROSSWALK_DIR = Path(__file__).resolve().parent / "teds"
CROSSWALK_NAME = re.compile(r"^[a-z0-9_-]{2,20}$")
RECORD_KINDS = ("admission", "discharge")
DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%m/%d/%Y", "%m%d%Y")
# Most often used first; "unknown" before "not currently using" (a past substance is the least current).
FREQUENCY_RANK = {code: rank for rank, code in enumerate(("daily_multiple", "daily", "weekly", "less_than_weekly"))}
FREQUENCY_RANK |= {"unknown": 4, "past_use": 5}
SLOTS = (1, 2, 3)
SLOT_WORDS = {1: "primary", 2: "secondary", 3: "tertiary"}


# --- what Waypoint can report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What one record is made from (read in bulk by `build`)."""

    kind: str
    episode: Episode
    patient: Patient
    program: Program
    history: History | None
    referral: Referral | None
    prior_episodes: int

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.program.tz).date()

    def use(self, slot: int):
        uses = list(self.history.uses.all()) if self.history is not None else []
        ranked = sorted(enumerate(uses), key=lambda pair: (FREQUENCY_RANK.get(pair[1].frequency, 4), pair[0]))
        return ranked[slot - 1][1] if len(ranked) >= slot else None


@dataclass(frozen=True)
class Source:
    """One item of Waypoint data a crosswalk field may name: its words, its type ('code' with its values, 'date',
    'number', 'text'), how it is read, where it is entered, and the record kinds that carry it."""

    key: str
    label: str
    type: str
    read: Callable[[Facts, list[str]], Any]
    values: tuple[str, ...] = ()
    entered_at: Callable[[Facts], str] | None = None
    entered_where: str = ""
    kinds: tuple[str, ...] = RECORD_KINDS


def _history_url(facts: Facts) -> str:
    return reverse("screening:history", args=[facts.patient.pk])


def _demographics_url(facts: Facts) -> str:
    return reverse("patients:edit", args=[facts.patient.pk])


def _referral_url(facts: Facts) -> str:
    return reverse("placements:referral-new")


def _route(use, precedence: list[str]) -> str | None:
    if use is None or not use.routes:
        return None
    return next((route for route in precedence if route in use.routes), None)


def _stay_level(facts: Facts, last: bool) -> str | None:
    stays = sorted(facts.episode.stays.all(), key=lambda stay: (stay.started_at, stay.pk))
    if not stays:
        return None
    stay = stays[-1] if last else stays[0]
    return f"{stay.asam_edition}:{stay.level_code}"


def _substance_sources(slot: int) -> list[Source]:
    words = SLOT_WORDS[slot]
    where = "the substance use history"
    return [
        Source(
            f"substance_{slot}",
            f"{words.capitalize()} substance",
            "code",
            lambda f, _: u.substance if (u := f.use(slot)) else None,
            tuple(SUBSTANCE_LABELS),
            _history_url,
            where,
        ),
        Source(
            f"route_{slot}",
            f"Route of the {words} substance",
            "code",
            lambda f, precedence: _route(f.use(slot), precedence),
            tuple(code for code, _ in ROUTES),
            _history_url,
            where,
        ),
        Source(
            f"frequency_{slot}",
            f"How often the {words} substance is used",
            "code",
            lambda f, _: u.frequency if (u := f.use(slot)) else None,
            tuple(code for code, _ in FREQUENCIES),
            _history_url,
            where,
        ),
        Source(
            f"age_first_use_{slot}",
            f"Age at first use of the {words} substance",
            "number",
            lambda f, _: u.age_first_use if (u := f.use(slot)) else None,
            (),
            _history_url,
            where,
        ),
    ]


_SOURCES = [
    Source("record_type", "Record type", "code", lambda f, _: f.kind, RECORD_KINDS),
    Source("program", "Program", "text", lambda f, _: f.program.slug),
    Source("client_id", "MRN", "text", lambda f, _: f.patient.mrn),
    Source("episode_id", "Episode", "number", lambda f, _: f.episode.pk),
    Source("admission_date", "Admission date", "date", lambda f, _: f.local_date(f.episode.admitted_at)),
    Source("birth_date", "Birth date", "date", lambda f, _: f.patient.birth_date),
    Source(
        "sex_at_birth",
        "Sex at birth",
        "code",
        lambda f, _: f.patient.sex_at_birth or None,
        tuple(Patient.SexAtBirth.values),
        _demographics_url,
        "the patient's details",
    ),
    Source(
        "state_of_residence",
        "State of residence",
        "text",
        lambda f, _: f.patient.state.strip().upper() or None,
        (),
        _demographics_url,
        "the patient's details",
    ),
    Source(
        "postal_code",
        "Postal code",
        "text",
        lambda f, _: f.patient.postal_code.strip() or None,
        (),
        _demographics_url,
        "the patient's details",
    ),
    *_substance_sources(1),
    *_substance_sources(2),
    *_substance_sources(3),
    Source(
        "referral_source",
        "Referral source",
        "code",
        lambda f, _: f.referral.source if f.referral is not None else None,
        tuple(Referral.Source.values),
        _referral_url,
        "a referral on the waitlist",
    ),
    Source("prior_episodes", "Earlier episodes in this program", "number", lambda f, _: f.prior_episodes),
    Source(
        "setting_at_admission",
        "Level of care at admission",
        "code",
        lambda f, _: _stay_level(f, last=False),
        tuple(f"{edition}:{code}" for edition, code in LEVELS),
    ),
    Source(
        "setting_at_discharge",
        "Level of care at discharge",
        "code",
        lambda f, _: _stay_level(f, last=True),
        tuple(f"{edition}:{code}" for edition, code in LEVELS),
        kinds=("discharge",),
    ),
    Source(
        "discharge_date",
        "Discharge date",
        "date",
        lambda f, _: f.local_date(f.episode.discharged_at) if f.episode.discharged_at else None,
        kinds=("discharge",),
    ),
    Source(
        "discharge_reason",
        "Discharge reason",
        "code",
        lambda f, _: f.episode.discharge_reason or None,
        tuple(Episode.DischargeReason.values),
        kinds=("discharge",),
    ),
]
SOURCES: dict[str, Source] = {source.key: source for source in _SOURCES}


# --- the crosswalk --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    source: Source
    required: bool
    codes: dict[str, str] | None
    absent: str


@dataclass(frozen=True)
class Crosswalk:
    key: str
    title: str
    sample: bool
    notice: str
    date_format: str
    route_precedence: list[str]
    fields: dict[str, list[Field]]  # record kind -> its fields in file order

    @property
    def columns(self) -> list[str]:
        """Every field name, admission fields first: the CSV header."""
        names: list[str] = []
        for kind in RECORD_KINDS:
            names += [f.name for f in self.fields[kind] if f.name not in names]
        return names


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def validate(data: Any, key: str) -> Crosswalk:
    """The crosswalk, or a ValidationError naming every wrong field (`records.admission.SEX.codes`, ...)."""
    errors: dict[str, str] = {}
    if not isinstance(data, dict):
        raise ValidationError({"crosswalk": "A crosswalk is a JSON object."})
    known = {"crosswalk", "title", "sample", "notice", "date_format", "route_precedence", "records", "codes"}
    for name in sorted(set(data) - known):
        errors[name] = "Unknown key."
    if data.get("crosswalk") != key:
        errors["crosswalk"] = f"Expected {key!r}, the file's name."
    if not _text(data.get("title")):
        errors["title"] = "Give the crosswalk's title."
    if not isinstance(data.get("sample"), bool):
        errors["sample"] = "Say whether this is a sample (true) or a state's crosswalk (false)."
    elif data["sample"] and not _text(data.get("notice")):
        errors["notice"] = "A sample says what it is in its notice."
    if data.get("date_format") not in DATE_FORMATS:
        errors["date_format"] = f"Choose one of {', '.join(DATE_FORMATS)}."
    routes = [code for code, _ in ROUTES]
    precedence = data.get("route_precedence")
    if not isinstance(precedence, list) or sorted(precedence) != sorted(routes):
        errors["route_precedence"] = f"List every route once, in the order to report: {', '.join(routes)}."
    codes = data.get("codes")
    if not isinstance(codes, dict) or any(
        not isinstance(table, dict) or not all(_text(v) for v in table.values()) for table in codes.values()
    ):
        errors["codes"] = "Code tables are objects of Waypoint value to the state's code (non-empty text)."
        codes = {}
    records = data.get("records")
    fields: dict[str, list[Field]] = {}
    if not isinstance(records, dict) or sorted(records) != sorted(RECORD_KINDS):
        errors["records"] = f"Give the fields of each record kind: {', '.join(RECORD_KINDS)}."
        records = {}
    for kind, spec in records.items():
        fields[kind] = _fields(kind, spec, codes, errors)
    if errors:
        raise ValidationError(errors)
    return Crosswalk(
        key=key,
        title=data["title"].strip(),
        sample=data["sample"],
        notice=(data.get("notice") or "").strip(),
        date_format=data["date_format"],
        route_precedence=[str(route) for route in precedence or ()],
        fields=fields,
    )


def _fields(kind: str, spec: Any, codes: dict, errors: dict[str, str]) -> list[Field]:
    out: list[Field] = []
    if not isinstance(spec, list) or not spec:
        errors[f"records.{kind}"] = "List the record's fields."
        return out
    seen: set[str] = set()
    for n, item in enumerate(spec):
        raw_name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance(raw_name, str) or not raw_name.strip():
            errors[f"records.{kind}.{n}"] = "Each field is an object with a name."
            continue
        name = raw_name
        where = f"records.{kind}.{name}"
        for extra in sorted(set(item) - {"name", "source", "required", "codes", "absent"}):
            errors[f"{where}.{extra}"] = "Unknown key."
        if name in seen:
            errors[where] = "This field is listed twice."
        seen.add(name)
        source = SOURCES.get(item.get("source", ""))
        if source is None:
            errors[f"{where}.source"] = f"Unknown source; choose one of {', '.join(SOURCES)}."
            continue
        if kind not in source.kinds:
            errors[f"{where}.source"] = f"{source.label} is not part of the {kind} record."
        if not isinstance(item.get("required", False), bool):
            errors[f"{where}.required"] = "true or false."
        absent = item.get("absent", "")
        if not isinstance(absent, str):
            errors[f"{where}.absent"] = "The text written when Waypoint holds nothing for it."
        table = None
        if source.type == "code":
            table = codes.get(item.get("codes", ""))
            if table is None:
                errors[f"{where}.codes"] = "Name the code table (in `codes`) that maps this field's values."
            else:
                missing = [value for value in source.values if value not in table]
                unknown = sorted(set(table) - set(source.values))
                if missing:
                    errors[f"{where}.codes"] = f"No code for {', '.join(missing)}."
                elif unknown:
                    errors[f"{where}.codes"] = f"Not a value Waypoint records: {', '.join(unknown)}."
        elif "codes" in item:
            errors[f"{where}.codes"] = f"{source.label} is a {source.type}, not a coded value."
        written = absent if isinstance(absent, str) else ""
        out.append(Field(name, source, bool(item.get("required", False)), table, written))
    return out


def available() -> list[str]:
    """The crosswalks in the repository, by name (the sample first)."""
    names = sorted(path.stem for path in CROSSWALK_DIR.glob("*.json") if CROSSWALK_NAME.match(path.stem))
    return sorted(names, key=lambda name: name != "sample")


def load(key: str) -> Crosswalk:
    """The crosswalk named `key` (a state's code, or 'sample'), validated; unknown: a ValidationError on `state`."""
    key = key.strip().lower()
    if not CROSSWALK_NAME.match(key) or key not in available():
        raise ValidationError({"state": f"No crosswalk for {key!r}; in the repository: {', '.join(available())}."})
    try:
        data = json.loads((CROSSWALK_DIR / f"{key}.json").read_text(encoding="utf-8"))
    except ValueError as error:
        raise ValidationError({"crosswalk": f"Not JSON: {error}"}) from error
    return validate(data, key)


# --- the month's records --------------------------------------------------------------------------------------

PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Period":
        match = PERIOD.match((text or "").strip())
        if not match or not 1 <= int(match[2]) <= 12 or not 1900 <= int(match[1]) <= 9998:
            raise ValidationError({"period": "Give the month as YYYY-MM, e.g. 2026-11."})
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def bounds(self, program: Program) -> tuple[datetime, datetime]:
        """The month's first midnight and the next month's, in the program's time zone."""
        following = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return (
            datetime(self.year, self.month, 1, tzinfo=program.tz),
            datetime(following[0], following[1], 1, tzinfo=program.tz),
        )


@dataclass(frozen=True)
class Missing:
    field: str
    label: str
    url: str
    where: str


@dataclass
class TedsRecord:
    kind: str
    episode: Episode
    patient: Patient
    values: dict[str, str]
    missing: list[Missing] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def at(self) -> datetime:
        moment = self.episode.discharged_at if self.kind == "discharge" else self.episode.admitted_at
        assert moment is not None  # a discharge record is of a discharged episode
        return moment


@dataclass
class Report:
    program: Program
    period: Period
    crosswalk: Crosswalk
    records: list[TedsRecord]

    def of(self, kind: str, *, complete: bool | None = None) -> list[TedsRecord]:
        return [r for r in self.records if r.kind == kind and (complete is None or r.complete == complete)]

    @property
    def exported(self) -> list[TedsRecord]:
        return [r for r in self.records if r.complete]

    @property
    def work_list(self) -> list[TedsRecord]:
        return [r for r in self.records if not r.complete]

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            kind: {"total": len(self.of(kind)), "complete": len(self.of(kind, complete=True))} for kind in RECORD_KINDS
        }

    def as_json(self) -> dict[str, Any]:
        """The export: complete records only, with the crosswalk's names and codes."""
        return {
            "crosswalk": self.crosswalk.key,
            "title": self.crosswalk.title,
            "sample": self.crosswalk.sample,
            "notice": self.crosswalk.notice,
            "program": self.program.slug,
            "period": str(self.period),
            "time_zone": str(self.program.tz),
            "admissions": [r.values for r in self.of("admission", complete=True)],
            "discharges": [r.values for r in self.of("discharge", complete=True)],
            "left_out_incomplete": len(self.work_list),
        }

    def csv_rows(self) -> Iterable[list[str]]:
        columns = self.crosswalk.columns
        yield columns
        for record in self.exported:
            yield [record.values.get(name, "") for name in columns]


def _value(crosswalk: Crosswalk, f: Field, raw: Any) -> str:
    if f.codes is not None:
        return f.codes[str(raw)]
    if isinstance(raw, date):
        return raw.strftime(crosswalk.date_format)
    return str(raw)


def record_of(crosswalk: Crosswalk, facts: Facts) -> TedsRecord:
    values: dict[str, str] = {}
    missing: list[Missing] = []
    for f in crosswalk.fields[facts.kind]:
        raw = f.source.read(facts, crosswalk.route_precedence)
        if raw is None or raw == "":
            if f.required:
                url = f.source.entered_at(facts) if f.source.entered_at else ""
                missing.append(Missing(f.name, f.source.label, url, f.source.entered_where))
            values[f.name] = f.absent
        else:
            values[f.name] = _value(crosswalk, f, raw)
    return TedsRecord(facts.kind, facts.episode, facts.patient, values, missing)


def build(program: Program, period: Period, crosswalk: Crosswalk, patients: QuerySet[Patient]) -> Report:
    """The month's admission and discharge records of these patients of the program (the caller's scope decides
    which patients: a page passes `visible_patients`, the command the whole program under its program scope)."""
    start, end = period.bounds(program)
    episodes = list(
        Episode.objects.filter(program=program, patient__in=patients.filter(program=program))
        .filter(admitted_at__lt=end)
        .exclude(discharged_at__lt=start, admitted_at__lt=start)
        .select_related("patient")
        .prefetch_related("stays")
        .order_by("admitted_at", "pk")
    )
    patient_ids = {e.patient_id for e in episodes}
    histories: dict[int, History] = {}
    for history in History.objects.filter(patient_id__in=patient_ids).prefetch_related("uses").order_by("-version"):
        histories.setdefault(history.patient_id, history)
    referrals = {
        r.episode_id: r
        for r in Referral.objects.filter(program=program, episode_id__in=[e.pk for e in episodes]).order_by("pk")
    }
    admissions = Episode.objects.filter(patient_id__in=patient_ids).values_list("patient_id", "admitted_at")
    earlier: dict[int, list[datetime]] = {}
    for patient_id, admitted_at in admissions:
        earlier.setdefault(patient_id, []).append(admitted_at)
    records = []
    for kind in RECORD_KINDS:
        for episode in episodes:
            at = episode.admitted_at if kind == "admission" else episode.discharged_at
            if at is None or not start <= at < end:
                continue
            facts = Facts(
                kind=kind,
                episode=episode,
                patient=episode.patient,
                program=program,
                history=histories.get(episode.patient_id),
                referral=referrals.get(episode.pk),
                prior_episodes=sum(1 for a in earlier[episode.patient_id] if a < episode.admitted_at),
            )
            records.append(record_of(crosswalk, facts))
    return Report(program, period, crosswalk, records)


# --- who reads and exports them, audited ------------------------------------------------------------------------

FORMATS = ("json", "csv")


def _summary(report: Report) -> dict[str, Any]:
    counts = report.counts()
    return {
        "period": str(report.period),
        "crosswalk": report.crosswalk.key,
        "sample": report.crosswalk.sample,
        "admissions": counts["admission"]["complete"],
        "discharges": counts["discharge"]["complete"],
        "held_back": len(report.work_list),
    }


def check_reader(acting_user: Any, program: Program) -> None:
    """The program director (permission "state reports"); anyone else is refused (403, audited by the caller's
    page as every refusal is)."""
    require(acting_user, program.pk, STATE_REPORTS)


@transaction.atomic
def record_view(acting_user: Any, report: Report) -> None:
    """The page read: one event for the report, one per patient named on the work list."""
    audit.record(acting_user, "teds.read", program=report.program, detail=_summary(report))
    names = sorted({r.patient.pk for r in report.work_list})
    detail = {"period": str(report.period)}
    audit.record_many(acting_user, "teds.work_list.read", patient_ids=names, program=report.program, detail=detail)


@transaction.atomic
def export(acting_user: Any, report: Report, fmt: str) -> str:
    """The complete records as JSON or CSV (the project's spreadsheet-safe writer). Patient data leaving the
    program: one event for the export (what, how many) and one per patient in it, as a bulk release is recorded,
    so the patients of an export are on any breach list drawn from the audit trail. `acting_user` None: the
    command (an operator on the server)."""
    if acting_user is not None:
        check_reader(acting_user, report.program)
    if fmt not in FORMATS:
        raise ValidationError({"format": f"Choose one of {', '.join(FORMATS)}."})
    if fmt == "json":
        content = json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv_writer(buffer)
        for row in report.csv_rows():
            writer.writerow(row)
        content = buffer.getvalue()
    audit.record(acting_user, "teds.export", program=report.program, detail=_summary(report) | {"format": fmt})
    audit.record_many(
        acting_user,
        "teds.export.patient",
        patient_ids=sorted({r.patient.pk for r in report.exported}),
        program=report.program,
        detail={"period": str(report.period), "format": fmt},
    )
    return content
