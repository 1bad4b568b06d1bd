"""The CapabilityStatement, generated from the registry and the search parameters: it says exactly what is served."""

from __future__ import annotations

from django.utils import timezone

from .codes import FHIR_VERSION, instant
from .registry import kinds_for
from .search import CONTROLS, MAX_COUNT, PARAMS, supported_types

STARTED = timezone.now()


def _documentation(resource_type: str) -> str:
    kinds = kinds_for(resource_type)
    if resource_type == "CodeSystem":
        return (
            "The project's own CodeSystems at their canonical URLs (every project system an emitted coding names; "
            "content complete); definitions, not patient data."
        )
    if not kinds:
        return "One per clinical instrument, generated from its declaration; definitions, not patient data."
    return "Kinds of record: " + "; ".join(f"{k.key}{_label(k)}" for k in kinds) + "."


def _label(kind) -> str:
    if kind.program_level:
        return " (the program's own, no patient: staff only, in the system-level $export, not in a Patient export)"
    return " (42 CFR Part 2: security-labelled, consent-gated for external systems)" if kind.part2 else ""


BULK_DATA = "http://hl7.org/fhir/uv/bulkdata"
# Group is served by waypoint.bulk (the programs and levels of care to export); its search parameters there.
GROUP_PARAMS = (
    ("_id", "token", "Logical id; several ids separated by commas."),
    ("name", "string", "The start of the group's name, any case."),
)


def _versioned(resource_type: str) -> bool:
    """Resources built from records are versioned (waypoint.fhir.versions); definitions and Groups are not."""
    return bool(kinds_for(resource_type))


def _profiles(resource_type: str) -> list[str]:
    """The profiles the type's kinds declare in meta.profile (each checked by the conformance tests' validator)."""
    return sorted({profile for kind in kinds_for(resource_type) for profile in kind.profiles})


def _resource(resource_type: str) -> dict:
    versioned = _versioned(resource_type)
    interactions = ["read", "vread", "search-type"] if versioned else ["read", "search-type"]
    entry = {
        "type": resource_type,
        "documentation": _documentation(resource_type),
        "interaction": [{"code": code} for code in interactions],
        "versioning": "versioned" if versioned else "no-version",
        "readHistory": versioned,
        "conditionalRead": "full-support" if versioned else "not-supported",
        "searchParam": [
            {"name": p.name, "type": p.type, "documentation": p.documentation} for p in PARAMS[resource_type]
        ],
    }
    if profiles := _profiles(resource_type):
        entry["supportedProfile"] = profiles
    if resource_type == "Patient":
        entry["operation"] = [{"name": "export", "definition": f"{BULK_DATA}/OperationDefinition/patient-export"}]
    return entry


def _group() -> dict:
    return {
        "type": "Group",
        "documentation": "The program, and each level of care it offers, as Groups to export ($export); "
        "quantity counts the members this client may receive. Not versioned.",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "versioning": "no-version",
        "readHistory": False,
        "conditionalRead": "not-supported",
        "searchParam": [{"name": name, "type": kind, "documentation": doc} for name, kind, doc in GROUP_PARAMS],
        "operation": [{"name": "export", "definition": f"{BULK_DATA}/OperationDefinition/group-export"}],
    }


SMART_SERVICE = "http://terminology.hl7.org/CodeSystem/restful-security-service"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


def _security(base_url: str) -> dict:
    """SMART on FHIR: the service coding and the token endpoint (the oauth-uris extension), as smart-configuration
    publishes them; the token endpoint is at the server's root (/auth/token), the FHIR base at /fhir/."""
    root = base_url.removesuffix("/").removesuffix("/fhir")
    return {
        "extension": [{"url": OAUTH_URIS, "extension": [{"url": "token", "valueUri": f"{root}/auth/token"}]}],
        "cors": False,
        "service": [
            {
                "coding": [{"system": SMART_SERVICE, "code": "SMART-on-FHIR", "display": "SMART-on-FHIR"}],
                "text": "SMART Backend Services (client_credentials with a private_key_jwt assertion, RS384 or ES384)",
            }
        ],
        "description": "Authorization: Bearer <token>: a Waypoint API token, or an access token from the SMART "
        "Backend Services token endpoint (/.well-known/smart-configuration), limited to its system scopes "
        "(system/[type].rs; v1 .read). Staff see the patients their role and care team allow; registered external "
        "systems see consented records only.",
    }


def capability_statement(base_url: str) -> dict:
    resources = [_resource(resource_type) for resource_type in supported_types()]
    resources.append(_group())
    resources.sort(key=lambda r: r["type"])
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": instant(STARTED),
        "publisher": "Waypoint",
        "kind": "instance",
        "instantiates": [f"{BULK_DATA}/CapabilityStatement/bulk-data"],
        "software": {"name": "Waypoint"},
        "implementation": {
            "description": "Waypoint FHIR R4 facade (read, search, vread, Bulk Data export)",
            "url": base_url,
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read, vread and search (no create, update, delete, history listing). Resources built from "
                    "records are versioned: meta.versionId moves on every change of content, a read carries ETag "
                    "and Last-Modified and answers If-None-Match / If-Modified-Since with 304, and "
                    "[type]/[id]/_history/[vid] answers each version served. "
                    f"Paging by keyset: _count (1-{MAX_COUNT}, default 50) and the opaque _cursor of the Bundle's "
                    "next link; no Bundle.total. Controls accepted on "
                    f"every search but Group's: {', '.join(CONTROLS)}. Unknown parameters are refused (400, "
                    "OperationOutcome). "
                    "Resources holding substance use disorder information carry meta.security v3-Confidentiality R and "
                    "v3-ActCode 42CFRPart2; an external system receives them only under an active consent covering it, "
                    "and every release to it is recorded as a disclosure with the 42 CFR 2.32 notice (a read: the "
                    "X-Part2-Notice header; a search: an OperationOutcome entry; a bulk export: a manifest extension "
                    "and an OperationOutcome file)."
                ),
                "security": _security(base_url),
                "resource": resources,
                "operation": [{"name": "export", "definition": f"{BULK_DATA}/OperationDefinition/export"}],
            }
        ],
    }
