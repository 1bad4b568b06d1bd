"""The CapabilityStatement, generated from the registry and the search parameters: it says exactly what is served."""

from __future__ import annotations

from django.utils import timezone

from .codes import FHIR_VERSION, instant
from .registry import kinds_for
from .search import CONTROLS, MAX_COUNT, PARAMS, supported_types

STARTED = timezone.now()


def _documentation(resource_type: str) -> str:
    kinds = kinds_for(resource_type)
    if not kinds:
        return "One per clinical instrument, generated from its declaration; definitions, not patient data."
    parts = [
        f"{k.key}{' (42 CFR Part 2: security-labelled, consent-gated for external systems)' if k.part2 else ''}"
        for k in kinds
    ]
    return "Kinds of record: " + "; ".join(parts) + "."


def capability_statement(base_url: str) -> dict:
    resources = []
    for resource_type in supported_types():
        resources.append(
            {
                "type": resource_type,
                "documentation": _documentation(resource_type),
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "versioning": "no-version",
                "readHistory": False,
                "searchParam": [
                    {"name": p.name, "type": p.type, "documentation": p.documentation} for p in PARAMS[resource_type]
                ],
            }
        )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": instant(STARTED),
        "publisher": "Waypoint",
        "kind": "instance",
        "software": {"name": "Waypoint"},
        "implementation": {"description": "Waypoint FHIR R4 facade (read and search)", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read and search only (no create, update, delete, history). "
                    f"Paging by keyset: _count (1-{MAX_COUNT}, default 50) and the opaque _cursor of the Bundle's "
                    "next link; no Bundle.total. Controls accepted on "
                    f"every search: {', '.join(CONTROLS)}. Unknown parameters are refused (400, OperationOutcome). "
                    "Resources holding substance use disorder information carry meta.security v3-Confidentiality R and "
                    "v3-ActCode 42CFRPart2; an external system receives them only under an active consent covering it, "
                    "and every release to it is recorded as a disclosure with the 42 CFR 2.32 notice."
                ),
                "security": {
                    "cors": False,
                    "description": "Authorization: Bearer <Waypoint API token>. Staff see the "
                    "patients their role and care team allow; registered external systems see consented "
                    "records only.",
                },
                "resource": resources,
            }
        ],
    }
