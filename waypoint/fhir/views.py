"""The FHIR R4 read/search API at /fhir/ (application/fhir+json). Views only authenticate, parse, ask the Reader
and render; every error is an OperationOutcome with a message that says what to change."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date, parse_http_date_safe
from rest_framework import exceptions
from rest_framework.permissions import AllowAny

from waypoint.records.replica import reads_from_replica
from waypoint.web.middleware import current_program

from . import http
from .access import notice_for, reader_for
from .capability import capability_statement
from .codes import PART2_SECURITY, instant
from .http import fhir_response, outcome
from .search import MAX_COUNT, parse, read, search, supported_types
from .versions import stamp, version_of


class FhirView(http.FhirView):
    schema = None  # not part of the /api/v1/ OpenAPI document: the CapabilityStatement describes it
    read_only_message = "This server offers read and search only (GET)."

    def base_url(self) -> str:
        return self.request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("metadata")

    def reader(self):
        return reader_for(self.request.user, current_program(self.request))

    @staticmethod
    def known_type(resource_type: str) -> None:
        if resource_type not in supported_types():
            raise exceptions.NotFound(
                f"The resource type {resource_type!r} is not served here; served: "
                f"{', '.join(supported_types())} (see /fhir/metadata)."
            )


class MetadataView(FhirView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        return fhir_response(capability_statement(self.base_url()))


class BaseView(FhirView):
    """The service base (`/fhir`, `/fhir/`): no system-wide search, batch or transaction is served; every method
    answers an OperationOutcome saying where to go instead."""

    authentication_classes = []
    permission_classes = [AllowAny]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get(self, request):
        return fhir_response(
            outcome(
                "Searching across every type is not served here: search one type, e.g. /fhir/Observation; "
                "/fhir/metadata lists the types and their parameters.",
                "not-supported",
            ),
            400,
        )

    def post(self, request):
        return fhir_response(
            outcome(
                "Batch and transaction Bundles are not accepted: this server offers read and search only (GET).",
                "not-supported",
            ),
            405,
            {"Allow": "GET, HEAD, OPTIONS"},
        )

    put = patch = delete = post


class UnknownView(BaseView):
    """Any other path under /fhir/: 404 as an OperationOutcome (never Django's HTML page), whatever the method."""

    def get(self, request, rest=""):
        return fhir_response(
            outcome(
                f"/fhir/{rest} is not a FHIR endpoint of this server: /fhir/metadata lists what is served.",
                "not-found",
            ),
            404,
        )

    post = put = patch = delete = get


def release(reader, released) -> None:
    with transaction.atomic():
        for kind, patient_ids in released.values():
            reader.record_release(kind, patient_ids)


class SearchView(FhirView):
    def scope_needed(self, **kwargs):
        return (kwargs["resource_type"], "s")

    @reads_from_replica  # a search may lag the primary by the replica's replay lag (docs/operations.md)
    def get(self, request, resource_type):
        self.known_type(resource_type)
        reader = self.reader()
        prefer = {part.strip().lower() for part in request.headers.get("Prefer", "").split(";")}
        query = parse(
            resource_type,
            request.query_params,
            reader.program.tz,
            lenient="handling=lenient" in prefer,
            base=self.base_url(),
        )
        page = search(reader, query)
        stamp(reader.program.pk, [resource for kind, resource in page.resources if kind is not None])
        release(reader, page.released)
        base = self.base_url()
        links = [{"relation": "self", "url": request.build_absolute_uri()}]
        if page.next_cursor:
            params = request.GET.copy()
            params["_cursor"] = page.next_cursor
            links.append({"relation": "next", "url": f"{base}{resource_type}?{params.urlencode()}"})
        entries = [
            {
                "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for _, resource in page.resources
        ]
        notes = []
        if query.ignored:
            notes.append(
                f"Parameters not supported here were ignored (Prefer: handling=lenient): {', '.join(query.ignored)}."
            )
        if query.clamped:
            notes.append(f"_count is at most {MAX_COUNT}: pages of {query.count} resources are returned.")
        if notes:
            entries.append({"resource": outcome(notes, "informational", "warning"), "search": {"mode": "outcome"}})
        part2 = any(kind is not None and kind.part2 for kind, _ in page.resources)
        if part2 and reader.external:
            entries.append(
                {
                    "resource": outcome(notice_for(reader.program), "informational", "information"),
                    "search": {"mode": "outcome"},
                }
            )
        bundle = {
            "resourceType": "Bundle",
            "meta": {"lastUpdated": instant(timezone.now())}
            | ({"security": [dict(s) for s in PART2_SECURITY]} if part2 else {}),
            "type": "searchset",
            "link": links,
        }
        if entries:
            bundle["entry"] = entries
        return fhir_response(bundle)


def validators(resource: dict) -> dict:
    """ETag (the version, weak: the JSON is not byte-stable) and Last-Modified (meta.lastUpdated) of a resource."""
    headers = {}
    meta = resource.get("meta", {})
    if "versionId" in meta:
        headers["ETag"] = f'W/"{meta["versionId"]}"'
    if "lastUpdated" in meta:
        headers["Last-Modified"] = http_date(datetime.fromisoformat(meta["lastUpdated"]).timestamp())
    return headers


def not_modified(request, resource: dict, headers: dict) -> bool:
    """If-None-Match (compared weakly; `*` matches), else If-Modified-Since (to the second, as HTTP dates are)."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        etag = headers.get("ETag", "").removeprefix("W/")
        return "*" in tags or (bool(etag) and etag in tags)
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    updated = resource.get("meta", {}).get("lastUpdated")
    return since is not None and updated is not None and int(datetime.fromisoformat(updated).timestamp()) <= since


class ReadView(FhirView):
    def scope_needed(self, **kwargs):
        return (kwargs["resource_type"], "r")

    def get(self, request, resource_type, resource_id, version=None):
        self.known_type(resource_type)
        reader = self.reader()
        found = read(reader, resource_type, resource_id)
        if found is None:
            raise exceptions.NotFound(f"{resource_type}/{resource_id} is not known, or not yours to receive.")
        kind, resource, patient_id = found
        if kind is not None:
            stamp(reader.program.pk, [resource])
        if version is not None:  # vread: a version kept of a resource this client may receive now
            resource = version_of(resource_type, resource_id, version) if kind is not None else None
            if resource is None:
                raise exceptions.NotFound(
                    f"{resource_type}/{resource_id} has no version {version!r} here; the current one is "
                    f"{found[1].get('meta', {}).get('versionId', 'not versioned')}."
                )
        headers = validators(resource)
        if request.method in ("GET", "HEAD") and not_modified(request, resource, headers):
            response = HttpResponse(status=304)  # nothing sent, so nothing released
            for name, value in headers.items():
                response[name] = value
            return response
        if kind is not None:
            release(reader, {kind.key: (kind, {patient_id} if patient_id else set())})
            if kind.part2 and reader.external:
                headers["X-Part2-Notice"] = " ".join(notice_for(reader.program).split())  # one header line
        return fhir_response(resource, headers=headers)
