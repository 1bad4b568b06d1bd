"""The FHIR R4 read/search API at /fhir/ (application/fhir+json). Views only authenticate, parse, ask the Reader
and render; every error is an OperationOutcome with a message that says what to change."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.permissions import AllowAny

from waypoint.web.middleware import current_program

from . import http
from .access import notice_for, reader_for
from .capability import capability_statement
from .codes import PART2_SECURITY, instant
from .http import fhir_response, outcome
from .search import parse, read, search, supported_types


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
        entries = [
            {
                "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for _, resource in page.resources
        ]
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
