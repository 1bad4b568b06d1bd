"""What a disclosure holds: for each kind of record the disclosed kinds of information cover (the records
registry, waypoint/records/), the patient's rows, rendered once for print and for the API.

"All SUD records" covers every kind but SUD counseling notes; counseling notes are held only when the disclosure
names them, and then only those the disclosing user may read (privacy.services.disclose has checked that the
consent names them too). The FHIR facade releases the same rows for the same kinds (waypoint/fhir/access.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from waypoint.records import discovery
from waypoint.records.registry import RecordKind

from .models import covered_information


@dataclass
class Section:
    kind: RecordKind
    rows: list  # the patient's rows of this kind, in the order they are printed

    def rendered(self) -> list[tuple[int, dict]]:
        return [(row.pk, self.kind.render(row)) for row in self.rows]


def disclosed_sections(patient, information, user) -> list[Section]:
    """One section per kind of record the named kinds of information cover, even when the patient has no rows."""
    return [
        Section(kind, list(kind.rows(patient, user)))
        for kind in discovery.for_information(covered_information(information))
    ]


def api_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def printed_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def api_record(sections: list[Section]) -> dict:
    """{kind key: [{"id": row id, column: value, ...}, ...]} for the API's disclosed record."""
    return {
        section.kind.key: [
            {"id": pk} | {k: api_value(v) for k, v in values.items()} for pk, values in section.rendered()
        ]
        for section in sections
    }


def printed_record(sections: list[Section]) -> list[dict]:
    """Headings and cells for the printed record, one table per kind."""
    printed = []
    for section in sections:
        keys = [key for key, _ in section.kind.columns]
        printed.append(
            {
                "key": section.kind.key,
                "title": section.kind.title,
                "headings": [heading for _, heading in section.kind.columns],
                "rows": [(pk, [printed_value(values[key]) for key in keys]) for pk, values in section.rendered()],
            }
        )
    return printed
