"""Search parameters, keyset paging and read by id, over the registered resource kinds.

Paging is by keyset, never OFFSET: a page resumes at (kind, row key, resources of that row already sent), which
travels in the `_cursor` of the next link, signed (opaque, tamper-evident) and bound to the query it continues.
A Bundle carries no total: counting a large set exactly would cost a scan on every page.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core import signing
from django.db.models import Q
from django.utils import timezone

from waypoint.web.query import LARGEST_UTC_OFFSET

from . import codesystems
from .access import Reader
from .questionnaires import all_questionnaires
from .registry import ResourceKind, kinds_for, resource_types

DEFAULT_COUNT = 50
MAX_COUNT = 500
MAX_LIST_VALUES = 50  # values of one _id or code parameter
CURSOR_SALT = "waypoint.fhir.cursor"


class SearchError(ValueError):
    """A request the server cannot honour: answered 400 with this message in an OperationOutcome."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.code = code


class NotAcceptableFormat(SearchError):
    """A format the server does not serve: answered 406."""

    def __init__(self, message: str):
        super().__init__(message, "not-supported")


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # FHIR search parameter type: token, reference, date
    documentation: str


ID = Param("_id", "token", "Logical id; several ids separated by commas.")
LAST_UPDATED = Param(
    "_lastUpdated", "date", "meta.lastUpdated, with prefixes eq (default), ge, gt, le, lt; repeat for a range."
)
PATIENT = Param(
    "patient",
    "reference",
    "The patient: an id, Patient/id or this server's absolute URL of the patient; several separated by commas.",
)
CODE = Param("code", "token", "system|code, or code alone; several separated by commas.")
STATUS = Param("status", "token", "The resource's status code; several separated by commas.")
TYPE = Param("type", "token", "A code of the resource's type: system|code, or code alone; several separated by commas.")


def date_param(name: str, what: str) -> Param:
    return Param(
        name,
        "date",
        f"{what}, with prefixes eq (default), ge, gt, le, lt; repeat for a range. A date "
        "without a time is a day in the program's time zone.",
    )


# The search parameters of each resource type, beyond _count, _cursor and _format (result and paging controls).
PARAMS: dict[str, tuple[Param, ...]] = {
    "Patient": (ID, LAST_UPDATED),
    "Encounter": (ID, LAST_UPDATED, PATIENT, date_param("date", "Start of the level-of-care stay or contact")),
    "EpisodeOfCare": (
        ID,
        LAST_UPDATED,
        PATIENT,
        STATUS,
        TYPE,
        date_param("date", "Start of the episode's period (the admission)"),
    ),
    "Observation": (
        ID,
        LAST_UPDATED,
        PATIENT,
        CODE,
        date_param("date", "When the assessment was taken, the urine specimen collected or the stock counted"),
    ),
    "QuestionnaireResponse": (ID, LAST_UPDATED, PATIENT, date_param("authored", "When the assessment was taken")),
    "Condition": (ID, LAST_UPDATED, PATIENT, CODE, date_param("recorded-date", "When the screen was taken")),
    "Consent": (ID, LAST_UPDATED, PATIENT, date_param("date", "The date the consent was signed")),
    "Provenance": (ID, LAST_UPDATED, PATIENT),
    "CarePlan": (
        ID,
        LAST_UPDATED,
        PATIENT,
        date_param("date", "The start of the plan's period (the clinician's signature); drafts have none"),
    ),
    "ServiceRequest": (ID, LAST_UPDATED, PATIENT, date_param("authored", "When the referral was written")),
    "MedicationRequest": (ID, LAST_UPDATED, PATIENT, date_param("authoredon", "When the order was written")),
    "MedicationAdministration": (
        ID,
        LAST_UPDATED,
        PATIENT,
        date_param("effective-time", "When the dose was due or given"),
    ),
    "MedicationDispense": (ID, LAST_UPDATED, PATIENT, date_param("whenhandedover", "When the bottle was handed over")),
    "AllergyIntolerance": (ID, LAST_UPDATED, PATIENT, date_param("date", "When the allergy entry was recorded")),
    "SupplyDelivery": (ID, LAST_UPDATED),  # the program's stock movements: no patient
    "Questionnaire": (ID, Param("url", "uri", "The Questionnaire's canonical URL.")),
    "CodeSystem": (ID, Param("url", "uri", "The CodeSystem's canonical URL (url|version accepted).")),
}
# Definitions, not records: served from declarations (waypoint.fhir.questionnaires, waypoint.fhir.codesystems).
DEFINITION_TYPES = ("CodeSystem", "Questionnaire")
CONTROLS = ("_count", "_cursor", "_format")
FORMATS = {"json", "application/json", "application/fhir+json"}
DATE_PREFIXES = {"eq", "ge", "gt", "le", "lt"}
DATE = re.compile(
    r"(?P<y>\d{4})(-(?P<m>\d{2})(-(?P<d>\d{2})(T(?P<H>\d{2}):(?P<M>\d{2})(:(?P<S>\d{2})(?P<F>\.\d{1,6})?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2}))?)?)?"
)


def supported_types() -> list[str]:
    return sorted(set(resource_types()) | set(DEFINITION_TYPES))


@dataclass
class DateBound:
    prefix: str
    start: datetime
    end: datetime  # exclusive

    def q(self, lookup: str, as_date: bool) -> Q:
        start: date
        end: date
        start, end = (self.start, self.end)
        if as_date:  # a DateField: whole days in the program's time zone
            start = timezone.localtime(self.start).date()
            local_end = timezone.localtime(self.end)
            end = local_end.date() if local_end.time() == datetime.min.time() else local_end.date() + timedelta(1)
        return {
            "eq": Q(**{f"{lookup}__gte": start, f"{lookup}__lt": end}),
            "ge": Q(**{f"{lookup}__gte": start}),
            "gt": Q(**{f"{lookup}__gte": end}),
            "le": Q(**{f"{lookup}__lt": end}),
            "lt": Q(**{f"{lookup}__lt": start}),
        }[self.prefix]


@dataclass
class Query:
    resource_type: str
    ids: list[str] = field(default_factory=list)
    patients: list[int] = field(default_factory=list)
    codes: list[tuple[str | None, str]] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    types: list[tuple[str | None, str]] = field(default_factory=list)
    dates: list[DateBound] = field(default_factory=list)
    updated: list[DateBound] = field(default_factory=list)
    url: str | None = None
    count: int = DEFAULT_COUNT
    cursor: str | None = None
    fingerprint: str = ""
    ignored: list[str] = field(default_factory=list)  # unknown parameters left out (Prefer: handling=lenient)
    clamped: bool = False  # _count was above MAX_COUNT


def parse_date(name: str, raw: str, tz) -> DateBound:
    prefix, value = ("eq", raw)
    if raw[:2].isalpha():
        prefix, value = raw[:2], raw[2:]
        if prefix not in DATE_PREFIXES:
            raise SearchError(
                f"Parameter {name}: the prefix {prefix!r} is not supported; use one of "
                f"{', '.join(sorted(DATE_PREFIXES))}.",
                "not-supported",
            )
    match = DATE.fullmatch(value)
    if not match:
        raise SearchError(
            f"Parameter {name}: {value!r} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD, or a "
            "date and time with a time zone such as 2026-01-31T08:00:00Z)."
        )
    parts = match.groupdict()
    if parts["H"] is not None and parts["tz"] is None:
        raise SearchError(f"Parameter {name}: a time must carry a time zone (Z or +hh:mm).")
    try:
        if parts["H"] is not None:
            start = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if abs(start.utcoffset() or timedelta(0)) > LARGEST_UTC_OFFSET:  # FHIR's own limit: -14:00 to +14:00
                raise SearchError(f"Parameter {name}: the time zone must be between -14:00 and +14:00.")
            if parts["F"] is not None:  # a fraction: the instant itself, to the microsecond
                return DateBound(prefix, start, start + timedelta(microseconds=1))
            step = timedelta(seconds=1) if parts["S"] is not None else timedelta(minutes=1)
            return DateBound(prefix, start, start + step)
        year, month, day_ = int(parts["y"]), int(parts["m"] or 1), int(parts["d"] or 1)
        first = date(year, month, day_)
    except ValueError:
        raise SearchError(f"Parameter {name}: {value!r} is not a valid date.") from None
    if parts["d"] is not None:
        after = first + timedelta(days=1)
    elif parts["m"] is not None:
        after = date(year + (month == 12), month % 12 + 1, 1)
    else:
        after = date(year + 1, 1, 1)
    return DateBound(
        prefix, datetime.combine(first, datetime.min.time(), tz), datetime.combine(after, datetime.min.time(), tz)
    )


def parse_patient(raw: str, base: str = "") -> list[int]:
    """Patient ids from `12`, `Patient/12`, this server's `<base>Patient/12`, or several separated by commas."""
    out = []
    for value in listed("patient", raw):
        if base and value.startswith(base):
            value = value.removeprefix(base)
        match = re.fullmatch(r"(?:Patient/)?([1-9][0-9]{0,17})", value)
        if not match:
            raise SearchError(
                f"Parameter patient: {value!r} is not a patient of this server (e.g. 12, Patient/12 or "
                f"{base or '<base>/'}Patient/12)."
            )
        out.append(int(match.group(1)))
    return out


def listed(name: str, raw: str) -> list[str]:
    """The comma-separated values of a parameter, at most MAX_LIST_VALUES: each is one more condition to check."""
    values = raw.split(",")
    if len(values) > MAX_LIST_VALUES:
        raise SearchError(
            f"Parameter {name}: at most {MAX_LIST_VALUES} values separated by commas ({len(values)} given)."
        )
    return values


def parse_codes(raw: str, name: str = "code") -> list[tuple[str | None, str]]:
    out = []
    for token in listed(name, raw):
        system, bar, code = token.rpartition("|")
        if not code or (bar and not system):
            raise SearchError(f"Parameter {name}: {token!r} is not a code (system|code, or code).")
        out.append((system if bar else None, code))
    return out


def parse(resource_type: str, params, tz, *, lenient: bool = False, base: str = "") -> Query:
    """Check every parameter against those the type supports: unknown ones are refused, naming them, unless the
    client prefers lenient handling (then they are left out and listed in `Query.ignored`)."""
    allowed = {p.name: p for p in PARAMS[resource_type]}
    unknown = sorted(set(params) - set(allowed) - set(CONTROLS))
    if unknown and lenient:
        params = params.copy()
        for name in unknown:
            params.pop(name)
    elif unknown:
        raise SearchError(
            f"Unknown or unsupported search parameter(s) for {resource_type}: {', '.join(unknown)}. "
            f"Supported: {', '.join(sorted(allowed) + list(CONTROLS))}.",
            "not-supported",
        )
    query = Query(resource_type, ignored=unknown if lenient else [])
    for name in params:
        values = params.getlist(name)
        is_date = name in allowed and allowed[name].type == "date"  # the type's date parameter, or _lastUpdated
        if not is_date and len(values) > 1:
            raise SearchError(f"Parameter {name} is given more than once.")
        if any(v == "" for v in values):
            raise SearchError(f"Parameter {name} has no value.")
        value = values[0]
        if name == "_id":
            query.ids = listed("_id", value)
        elif name == "patient":
            query.patients = parse_patient(value, base)
        elif name == "code":
            query.codes = parse_codes(value)
        elif name == "status":
            query.statuses = listed("status", value)
        elif name == "type":
            query.types = parse_codes(value, "type")
        elif name == "url":
            query.url = value
        elif name == "_lastUpdated":
            query.updated = [parse_date(name, v, tz) for v in values]
        elif is_date:
            query.dates = [parse_date(name, v, tz) for v in values]
        elif name == "_count":
            if not re.fullmatch(r"[0-9]{1,9}", value) or int(value) < 1:
                raise SearchError(f"Parameter _count must be a whole number from 1 (pages hold at most {MAX_COUNT}).")
            query.count = min(int(value), MAX_COUNT)
            query.clamped = int(value) > MAX_COUNT
        elif name == "_cursor":
            query.cursor = value
        elif name == "_format" and value not in FORMATS:
            raise NotAcceptableFormat(f"Parameter _format: only JSON is served ({', '.join(sorted(FORMATS))}).")
    canonical = sorted((k, tuple(params.getlist(k))) for k in params if k not in {"_cursor", "_format"})
    query.fingerprint = hashlib.sha256(repr((resource_type, canonical)).encode()).hexdigest()[:16]
    return query


# Running a search.


@dataclass
class Page:
    resources: Sequence[tuple[ResourceKind | None, dict]]
    next_cursor: str | None
    released: dict[str, tuple[ResourceKind, set[int]]]


def patient_of(kind: ResourceKind, row) -> int | None:
    if kind.patient_field is None:
        return None
    if kind.patient_field == "":
        return row.pk
    *path, last = kind.patient_field.split("__")
    for step in path:
        row = getattr(row, step)
    return getattr(row, f"{last}_id")


def code_matches(resource: dict, codes: list[tuple[str | None, str]], element: str = "code") -> bool:
    value = resource.get(element, {})
    concepts = value if isinstance(value, list) else [value]  # e.g. EpisodeOfCare.type is a list
    codings = [c for concept in concepts for c in concept.get("coding", [])]
    return any(c.get("code") == code and system in (None, c.get("system")) for system, code in codes for c in codings)


def resource_filter(query: Query) -> Callable[[dict], bool]:
    def keep(resource: dict) -> bool:
        if query.ids and resource["id"] not in query.ids:
            return False
        if query.statuses and resource.get("status") not in query.statuses:
            return False
        if query.types and not code_matches(resource, query.types, "type"):
            return False
        return not (query.codes and not code_matches(resource, query.codes))

    return keep


def filtered_rows(reader: Reader, kind: ResourceKind, query: Query):
    """The kind's rows this reader may receive that may match the query; None when none can."""
    rows = reader.rows(kind)
    if query.ids:
        matches = [q for q in (kind.parse_id(i) for i in query.ids) if q is not None]
        if not matches:
            return None
        combined = Q(pk__in=[])
        for q in matches:
            combined |= q
        rows = rows.filter(combined)
    if query.patients:
        if kind.patient_field is None:
            return None
        rows = rows.filter(**{f"{kind.patient_field or 'pk'}__in": query.patients})
    if query.codes:
        if kind.code_q is None:
            return None
        matches = [q for q in (kind.code_q(system, code) for system, code in query.codes) if q is not None]
        if not matches:
            return None
        combined = Q(pk__in=[])
        for q in matches:
            combined |= q
        rows = rows.filter(combined)
    if query.dates:
        if kind.date_field is None:
            return None
        as_date = rows.model._meta.get_field(kind.date_field).get_internal_type() == "DateField"
        for bound in query.dates:
            rows = rows.filter(bound.q(kind.date_field, as_date))
    for bound in query.updated:
        rows = rows.filter(bound.q(kind.updated_field, False))
    return rows


def encode_cursor(query: Query, kind_index: int, pk: int, skip: int) -> str:
    return signing.dumps({"k": kind_index, "p": pk, "s": skip, "q": query.fingerprint}, salt=CURSOR_SALT)


def decode_cursor(query: Query) -> tuple[int, int, int]:
    if query.cursor is None:
        return 0, 0, 0
    try:
        data = signing.loads(query.cursor, salt=CURSOR_SALT)
    except signing.BadSignature:
        raise SearchError("Parameter _cursor is not a cursor this server issued.") from None
    if data.get("q") != query.fingerprint:
        raise SearchError("Parameter _cursor belongs to another search: keep the other parameters of the next link.")
    return int(data["k"]), int(data["p"]), int(data["s"])


def search(reader: Reader, query: Query) -> Page:
    if query.resource_type == "CodeSystem":
        found = codesystems.find(reader.program, ids=query.ids, url=query.url)
        return Page([(None, c) for c in found][: query.count], None, {})
    if query.resource_type == "Questionnaire":
        return Page(
            [
                (None, q)
                for q in all_questionnaires()
                if (not query.ids or q["id"] in query.ids) and (query.url is None or q["url"] == query.url)
            ][: query.count],
            None,
            {},
        )
    kinds = [k for k in kinds_for(query.resource_type) if reader.may_receive(k)]
    kind_index, position, skip = decode_cursor(query)
    keep = resource_filter(query)
    out: list[tuple[ResourceKind, dict]] = []
    released: dict[str, tuple[ResourceKind, set[int]]] = {}
    batch = max(query.count, 20)
    while kind_index < len(kinds):
        kind = kinds[kind_index]
        rows = filtered_rows(reader, kind, query)
        while rows is not None:
            chunk = list(rows.filter(pk__gte=position).order_by("pk")[:batch])
            for row in chunk:
                resources = [r for r in kind.to_resources(row) if keep(r)]
                first = skip if row.pk == position else 0
                for index in range(first, len(resources)):
                    if len(out) == query.count:
                        return Page(out, encode_cursor(query, kind_index, row.pk, index), released)
                    out.append((kind, resources[index]))
                    patient = patient_of(kind, row)
                    released.setdefault(kind.key, (kind, set()))[1].update([] if patient is None else [patient])
                position, skip = row.pk + 1, 0
            if len(chunk) < batch:
                break
        kind_index, position, skip = kind_index + 1, 0, 0
    return Page(out, None, released)


def read(reader: Reader, resource_type: str, resource_id: str):
    """(kind, resource, patient id) of the resource with this id that this reader may receive, or None."""
    if resource_type == "Questionnaire":
        found = next((q for q in all_questionnaires() if q["id"] == resource_id), None)
        return (None, found, None) if found else None
    if resource_type == "CodeSystem":
        systems = codesystems.find(reader.program, ids=[resource_id])
        return (None, systems[0], None) if systems else None
    for kind in kinds_for(resource_type):
        if not reader.may_receive(kind):
            continue
        q = kind.parse_id(resource_id)
        if q is None:
            continue
        for row in reader.rows(kind).filter(q).order_by("pk")[:10]:
            for resource in kind.to_resources(row):
                if resource["id"] == resource_id:
                    return kind, resource, patient_of(kind, row)
    return None
