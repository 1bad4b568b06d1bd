"""FHIR answers for the bulk endpoints: application/fhir+json, and an OperationOutcome for every error
(400 bad parameter, 401, 403, 404, 405). The facade may share or replace this plumbing."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer

from waypoint.web.api import ApiView

FHIR_JSON = "application/fhir+json"
ISSUE_CODE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
              406: "not-supported", 415: "not-supported", 429: "throttled", 500: "exception"}


class FhirJsonRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"


class AnyAccept(BaseContentNegotiation):
    """The bulk endpoints answer FHIR JSON whatever the Accept header says (the specification lets a server
    process a kick-off without it); file downloads are streamed without a renderer."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def outcome(status: int, messages: dict[str, str] | list[str], severity: str = "error") -> dict:
    items = messages.items() if isinstance(messages, dict) else ((None, m) for m in messages)
    issues = []
    for field, message in items:
        issue = {"severity": severity, "code": ISSUE_CODE.get(status, "processing"), "diagnostics": message}
        if field and field != "non_field_errors":
            issue["expression"] = [field]
        issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues}


def fhir_response(body: dict, status: int = 200, **headers) -> JsonResponse:
    response = JsonResponse(body, status=status, content_type=FHIR_JSON)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def error_response(status: int, messages, **headers) -> JsonResponse:
    return fhir_response(outcome(status, messages), status, **headers)


def messages_of(exc) -> dict[str, str] | list[str]:
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return {field: " ".join(m for e in errors for m in e.messages) for field, errors in exc.error_dict.items()}
        return list(exc.messages)
    detail = getattr(exc, "detail", None) or str(exc)
    if isinstance(detail, dict):
        return {field: " ".join(map(str, value)) if isinstance(value, list) else str(value)
                for field, value in detail.items()}
    return [str(detail)]


class FhirView(ApiView):
    checks_own_query_parameters = True  # the kick-off names unsupported parameters in an OperationOutcome
    renderer_classes = [FhirJsonRenderer]
    content_negotiation_class = AnyAccept

    def handle_exception(self, exc):
        if isinstance(exc, Http404):
            return error_response(404, ["Not found."])
        if isinstance(exc, DjangoValidationError):
            return error_response(400, messages_of(exc))
        if isinstance(exc, PermissionDenied):
            return error_response(403, [str(exc) or "Your role does not allow this."])
        if isinstance(exc, exceptions.APIException):
            headers = {}
            if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
                exc.status_code = 401
                headers["WWW_Authenticate"] = "Bearer"
            return error_response(exc.status_code, messages_of(exc), **headers)
        raise exc
