"""The FHIR R4 read/search API at /fhir/ (application/fhir+json). Views only authenticate, parse, ask the Reader
and render; every error is an OperationOutcome with a message that says what to change."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer

from waypoint.web.api import ApiView
from waypoint.web.middleware import current_program

from .access import notice_for, reader_for
from .capability import capability_statement
from .codes import PART2_SECURITY, instant
from .search import SearchError, parse, read, search, supported_types

FHIR_JSON = "application/fhir+json"
ACCEPTED = {"application/fhir+json", "application/json", "application/*", "*/*", "application/json+fhir"}


class FhirRenderer(BaseRenderer):
    media_type = FHIR_JSON
    format = "json"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode()


class FirstRenderer(BaseContentNegotiation):
    """The views check Accept themselves, so that a refusal is an OperationOutcome too."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def fhir_response(body: dict, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=status,
                            content_type=f"{FHIR_JSON}; charset=utf-8")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def outcome(message: str, code: str, severity: str = "error") -> dict:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": code, "diagnostics": message}]}


class FhirView(ApiView):
    checks_own_query_parameters = True  # search.parse names unknown parameters in an OperationOutcome
    schema = None  # not part of the /api/v1/ OpenAPI document: the CapabilityStatement describes it
    renderer_classes = [FhirRenderer]
    content_negotiation_class = FirstRenderer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        accept = request.headers.get("Accept", "")
        if accept and not {part.split(";")[0].strip().lower() for part in accept.split(",")} & ACCEPTED:
            raise exceptions.NotAcceptable("Only application/fhir+json (or application/json) is served.")

    def handle_exception(self, exc):
        if isinstance(exc, SearchError):
            return fhir_response(outcome(str(exc), exc.code), 400)
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            message = str(exc.detail) if isinstance(exc, exceptions.AuthenticationFailed) else (
                "Authentication required: send Authorization: Bearer <API token>.")
            return fhir_response(outcome(message, "login"), 401, {"WWW-Authenticate": "Bearer"})
        if isinstance(exc, (exceptions.PermissionDenied, DjangoPermissionDenied)):
            return fhir_response(outcome(str(getattr(exc, "detail", exc)) or "Forbidden.", "forbidden"), 403)
        if isinstance(exc, exceptions.NotFound):
            return fhir_response(outcome(str(exc.detail), "not-found"), 404)
        if isinstance(exc, exceptions.MethodNotAllowed):
            return fhir_response(outcome(f"{exc.detail} This server offers read and search only (GET).",
                                         "not-supported"), 405, {"Allow": "GET, HEAD"})
        if isinstance(exc, exceptions.NotAcceptable):
            return fhir_response(outcome(str(exc.detail), "not-supported"), 406)
        if isinstance(exc, exceptions.Throttled):
            return fhir_response(outcome(str(exc.detail), "throttled"), 429)
        return super().handle_exception(exc)

    def base_url(self) -> str:
        return self.request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("metadata")

    def reader(self):
        return reader_for(self.request.user, current_program(self.request))

    @staticmethod
    def known_type(resource_type: str) -> None:
        if resource_type not in supported_types():
            raise exceptions.NotFound(f"The resource type {resource_type!r} is not served here; served: "
                                      f"{', '.join(supported_types())} (see /fhir/metadata).")


class MetadataView(FhirView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        return fhir_response(capability_statement(self.base_url()))


def release(reader, released) -> None:
    with transaction.atomic():
        for kind, patient_ids in released.values():
            reader.record_release(kind, patient_ids)


class SearchView(FhirView):
    def get(self, request, resource_type):
        self.known_type(resource_type)
        reader = self.reader()
        query = parse(resource_type, request.query_params, reader.program.tz)
        page = search(reader, query)
        release(reader, page.released)
        base = self.base_url()
        links = [{"relation": "self", "url": request.build_absolute_uri()}]
        if page.next_cursor:
            params = request.GET.copy()
            params["_cursor"] = page.next_cursor
            links.append({"relation": "next", "url": f"{base}{resource_type}?{params.urlencode()}"})
        entries = [{"fullUrl": f"{base}{resource['resourceType']}/{resource['id']}", "resource": resource,
                    "search": {"mode": "match"}} for _, resource in page.resources]
        part2 = any(kind is not None and kind.part2 for kind, _ in page.resources)
        if part2 and reader.external:
            entries.append({"resource": outcome(notice_for(reader.program), "informational", "information"),
                            "search": {"mode": "outcome"}})
        bundle = {"resourceType": "Bundle",
                  "meta": {"lastUpdated": instant(timezone.now())} | (
                      {"security": [dict(s) for s in PART2_SECURITY]} if part2 else {}),
                  "type": "searchset", "link": links}
        if entries:
            bundle["entry"] = entries
        return fhir_response(bundle)


class ReadView(FhirView):
    def get(self, request, resource_type, resource_id):
        self.known_type(resource_type)
        reader = self.reader()
        found = read(reader, resource_type, resource_id)
        if found is None:
            raise exceptions.NotFound(f"{resource_type}/{resource_id} is not known, or not yours to receive.")
        kind, resource, patient_id = found
        headers = {}
        if kind is not None:
            release(reader, {kind.key: (kind, {patient_id} if patient_id else set())})
            if kind.part2 and reader.external:
                headers["X-Part2-Notice"] = " ".join(notice_for(reader.program).split())  # one header line
        return fhir_response(resource, headers=headers)
