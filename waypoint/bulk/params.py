"""The kick-off request of FHIR Bulk Data Access (2.0): headers and query parameters, checked before any job
exists. Every problem is a ValidationError keyed by the parameter (an OperationOutcome issue each)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError

from waypoint.fhir import registry
from waypoint.web.query import LARGEST_UTC_OFFSET

OUTPUT_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}
SUPPORTED = {"_outputFormat", "_since", "_type"}
# Defined by the specification but not supported here: refused unless the client prefers lenient handling.
NOT_SUPPORTED = {
    "_until",
    "_elements",
    "patient",
    "includeAssociatedData",
    "_typeFilter",
    "organizeOutputBy",
    "allowPartialManifests",
}
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class ExportRequest:
    types: list[str]
    since: datetime | None
    output_format: str


def preferences(header: str) -> set[str]:
    return {part.strip().replace(" ", "").lower() for part in header.split(",") if part.strip()}


def parse_instant(value: str) -> datetime:
    if not INSTANT.match(value):
        raise ValueError
    instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if abs(instant.utcoffset() or timedelta(0)) > LARGEST_UTC_OFFSET:  # FHIR's limit: -14:00 to +14:00
        raise ValueError
    return instant


# What records reference and a receiver needs to read them: the instruments' Questionnaires, the project's
# CodeSystems and the program's Groups. Definitions, not records: exported whole by a system export (no patient
# compartment, no Part 2 label, no release), and not with `_since` (they carry no lastUpdated to compare).
DEFINITION_TYPES = ("CodeSystem", "Group", "Questionnaire")


def exportable_types(level: str) -> list[str]:
    """Resource types this level exports: every type of the registry and the definitions for a system export,
    those in the patient compartment (kinds tied to a patient) for Patient and Group exports."""
    if level == "system":
        return sorted({*registry.resource_types(), *DEFINITION_TYPES})
    return sorted({kind.resource_type for kind in registry.KINDS.values() if kind.patient_field is not None})


def parse(query, prefer: str, level: str) -> ExportRequest:
    prefs = preferences(prefer)
    lenient = "handling=lenient" in prefs
    errors: dict[str, str] = {}
    if "respond-async" not in prefs:
        errors["Prefer"] = "The Prefer header must include respond-async: exports run in the background."
    for name in sorted(set(query) - SUPPORTED):
        if not lenient:
            known = "is not supported by this server" if name in NOT_SUPPORTED else "is not a parameter of $export"
            errors[name] = f"{name} {known} (send Prefer: handling=lenient to have it ignored)."
    for name in SUPPORTED & set(query):
        if len(query.getlist(name)) > 1:
            errors[name] = f"{name} may be given once."

    output_format = query.get("_outputFormat", "application/fhir+ndjson")
    if output_format not in OUTPUT_FORMATS:
        errors["_outputFormat"] = (
            "_outputFormat must be application/fhir+ndjson, application/ndjson or ndjson; no other format is supported."
        )

    since = None
    if "_since" in query:
        try:
            since = parse_instant(query["_since"])
        except ValueError:
            errors["_since"] = "_since must be a FHIR instant with a time zone, e.g. 2026-01-31T08:00:00Z."

    available = exportable_types(level)
    types = available
    if "_type" in query:
        asked = [part.strip() for part in query["_type"].split(",")]
        unknown = sorted({name for name in asked if name not in available})
        if "" in asked:
            errors["_type"] = "_type is a comma-separated list of resource types, without empty entries."
        elif unknown and not lenient:
            errors["_type"] = (
                f"Not exported at this level: {', '.join(unknown)}. Resource types available: {', '.join(available)}."
            )
        types = [name for name in available if name in set(asked)]
    if errors:
        raise ValidationError(errors)
    return ExportRequest(types=types, since=since, output_format="application/fhir+ndjson")
