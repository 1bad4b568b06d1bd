"""How every /fhir/ endpoint answers: application/fhir+json, and an OperationOutcome with a message that says
what to change for every error (400 bad parameter, 401, 403, 404, 405, 406, 429). The read/search facade
(`waypoint.fhir.views`) and the Bulk Data endpoints (`waypoint.bulk.views`) both build on `FhirView`."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer

from waypoint.accounts.models import ApiToken
from waypoint.web.api import ApiView

from .codes import FHIR_VERSION
from .search import NotAcceptableFormat, SearchError
from .smart import allows

FHIR_JSON = "application/fhir+json"
ACCEPTED = {"application/fhir+json", "application/json", "application/*", "*/*", "application/json+fhir"}
ISSUE_CODE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    415: "not-supported",
    429: "throttled",
    500: "exception",
    503: "transient",
}


class FhirRenderer(BaseRenderer):
    media_type = FHIR_JSON
    format = "json"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data, ensure_ascii=False).encode()


class FirstRenderer(BaseContentNegotiation):
    """The views check Accept themselves, so that a refusal is an OperationOutcome too."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def fhir_response(body: dict, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=f"{FHIR_JSON}; charset=utf-8"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def outcome(messages: str | list[str] | dict[str, str], code: str, severity: str = "error") -> dict:
    """An OperationOutcome: one issue per message; a dict's keys name the parameter each message is about."""
    if isinstance(messages, str):
        messages = [messages]
    items = messages.items() if isinstance(messages, dict) else ((None, m) for m in messages)
    issues = []
    for field, message in items:
        issue: dict[str, str | list[str]] = {"severity": severity, "code": code, "diagnostics": message}
        if field and field != "non_field_errors":
            issue["expression"] = [field]
        issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues}


def error_response(
    status: int, messages: str | list[str] | dict[str, str], headers: dict | None = None
) -> HttpResponse:
    return fhir_response(outcome(messages, ISSUE_CODE.get(status, "processing")), status, headers)


def messages_of(exc) -> dict[str, str] | list[str]:
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return {field: " ".join(m for e in errors for m in e.messages) for field, errors in exc.error_dict.items()}
        return list(exc.messages)
    detail = getattr(exc, "detail", None) or str(exc)
    if isinstance(detail, dict):
        return {
            field: " ".join(map(str, value)) if isinstance(value, list) else str(value)
            for field, value in detail.items()
        }
    if isinstance(detail, list):
        return [str(item) for item in detail]
    return [str(detail)]


class FhirView(ApiView):
    checks_own_query_parameters = True  # each view names unknown parameters in an OperationOutcome
    renderer_classes = [FhirRenderer]
    content_negotiation_class = FirstRenderer
    checks_accept = True  # False where the specification lets the server ignore Accept (bulk status, files)
    read_only_message = ""  # added to the 405 message, e.g. "This server offers read and search only (GET)."
    accepts_scoped_tokens = True  # SMART access tokens (waypoint.fhir.smart): checked against `scope_needed`

    def scope_needed(self, **kwargs) -> tuple[str, str] | None:
        """(resource type or "*", permissions) a SMART access token must grant here; None: no patient data is
        served. By default read and search of every type: the Bulk Data endpoints export across types."""
        return ("*", "rs")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        token = request.auth
        if isinstance(token, ApiToken) and token.scope:
            needed = self.scope_needed(**kwargs)
            if needed is not None and not allows(token.scope, *needed):
                resource_type, perms = needed
                words = {"r": "read", "s": "search", "rs": "read and search"}[perms]
                what = "every resource type" if resource_type == "*" else resource_type
                raise exceptions.PermissionDenied(
                    f"This access token's scopes ({token.scope}) do not allow {words} of {what}: ask for "
                    f"system/{resource_type}.{perms} (or .read) at the token endpoint."
                )
        accept = request.headers.get("Accept", "")
        if (
            self.checks_accept
            and accept
            and not ({part.split(";")[0].strip().lower() for part in accept.split(",")} & ACCEPTED)
        ):
            raise exceptions.NotAcceptable("Only application/fhir+json (or application/json) is served.")
        versions = {
            param.split("=", 1)[1].strip().strip('"')
            for part in accept.split(",")
            for param in part.split(";")[1:]
            if param.strip().lower().startswith("fhirversion=")
        }
        if self.checks_accept and versions and not any(v in ("4.0", FHIR_VERSION) for v in versions):
            raise exceptions.NotAcceptable(f"Only FHIR R4 ({FHIR_VERSION}, fhirVersion=4.0) is served.")

    def options(self, request, *args, **kwargs):
        """The methods allowed, in the Allow header; no body (not DRF's metadata, which is not FHIR)."""
        response = HttpResponse(status=204)
        response["Allow"] = ", ".join(self.allowed_methods)
        return response

    def handle_exception(self, exc):
        if isinstance(exc, NotAcceptableFormat):
            return fhir_response(outcome(str(exc), exc.code), 406)
        if isinstance(exc, SearchError):
            return fhir_response(outcome(str(exc), exc.code), 400)
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            message = (
                str(exc.detail)
                if isinstance(exc, exceptions.AuthenticationFailed)
                else ("Authentication required: send Authorization: Bearer <API token>.")
            )
            return error_response(401, message, {"WWW-Authenticate": "Bearer"})
        if isinstance(exc, exceptions.PermissionDenied | DjangoPermissionDenied):
            return error_response(403, str(getattr(exc, "detail", exc)) or "Your role does not allow this.")
        if isinstance(exc, Http404):
            return error_response(404, "Not found.")
        if isinstance(exc, exceptions.MethodNotAllowed):
            return error_response(
                405, f"{exc.detail} {self.read_only_message}".strip(), {"Allow": ", ".join(self.allowed_methods)}
            )
        if isinstance(exc, DjangoValidationError | exceptions.APIException):
            status = getattr(exc, "status_code", 400)
            return error_response(status, messages_of(exc))
        return super().handle_exception(exc)
