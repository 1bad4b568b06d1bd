"""Shared API plumbing: error bodies that name the field, strict input, bearer-token views."""

import json
import re
from contextlib import ExitStack

import orjson
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, RawPostDataException
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from waypoint.accounts.membership import user_scope
from waypoint.reliability import idempotency
from waypoint.web.errors import StaleVersion
from waypoint.web.query import search_limit_passed


def exception_handler(exc, context):
    """Service-layer ValidationErrors become 400s keyed by field, like serializer errors; a stale version is 409."""
    if isinstance(exc, StaleVersion):
        return Response({"version": [str(exc)]}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {field: [m for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


class FastJSONRenderer(JSONRenderer):
    """DRF's JSONRenderer output (compact, UTF-8) written by orjson, for the long lists a client pages through (the
    flowsheet's 200 scores: the standard library's encoder took as long as the query). What orjson does not write
    itself (a Decimal, a lazy string, a date and time) goes through DRF's own encoder, so the values are the same."""

    _drf = JSONEncoder()

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, default=self._drf.default, option=orjson.OPT_PASSTHROUGH_DATETIME)


# A JSON column's text as the database writes it (PostgreSQL's jsonb output, or the text Django stored on SQLite: both
# put one space after each `:` and `,`) when it is a flat object of plain keys to whole numbers (an instrument's
# responses) or a flat list of plain keys (the items derived from vital signs): no space can stand inside it but
# those, so without them it is exactly what JSONRenderer would write after decoding it.
_PLAIN_KEY = r'"[A-Za-z0-9_-]+"'
_WHOLE = r"(?:0|-?[1-9][0-9]{0,14})"
_FLAT_JSON = re.compile(
    rf"\{{(?:{_PLAIN_KEY}: {_WHOLE}(?:, {_PLAIN_KEY}: {_WHOLE})*)?\}}|\[(?:{_PLAIN_KEY}(?:, {_PLAIN_KEY})*)?\]"
)


def stored_json(text: str | None):
    """A JSON column read as text, for FastJSONRenderer: embedded as it is (an orjson.Fragment, not decoded only to be
    encoded again) when it is flat (above), else decoded as Django's JSONField would (same values, same bytes out)."""
    if text is None:
        return None
    if _FLAT_JSON.fullmatch(text):
        return orjson.Fragment(text.replace(" ", ""))
    return json.loads(text)


_DOCUMENTED: dict[tuple[type, str], frozenset[str]] = {}


def documented_query_parameters(view, method: str) -> frozenset[str]:
    """The query parameters an operation documents (drf-spectacular's extend_schema, the pagination cursor)."""
    key = (type(view), method)
    if key not in _DOCUMENTED:
        names = set()
        schema_class = getattr(getattr(view, method.lower(), None), "kwargs", {}).get("schema")
        if schema_class is not None:
            schema = schema_class()
            schema.view, schema.method = view, method
            for parameter in schema.get_override_parameters():
                if isinstance(parameter, OpenApiParameter) and parameter.location == OpenApiParameter.QUERY:
                    names.add(parameter.name)
        pagination = getattr(view, "pagination_class", None)
        if pagination is not None and method == "GET":
            names.add(pagination.cursor_query_param)
            if getattr(pagination, "page_size_query_param", None):  # documented by the paginator's schema too
                names.add(pagination.page_size_query_param)
        _DOCUMENTED[key] = frozenset(names)
    return _DOCUMENTED[key]


class KeyReusedError(exceptions.APIException):
    status_code = 422
    default_detail = {
        idempotency.HEADER: [
            "This key was used for a different request: send a new key for a new "
            "entry, or the same body to repeat the first one."
        ]
    }
    default_code = "idempotency_key_reused"


def limit_of(model, field: str) -> int:
    """The model field's max_length: an input serializer carries the model's limit instead of a copy of it."""
    return model._meta.get_field(field).max_length


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, naming each one (a typo must not pass silently)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise exceptions.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        unknown = sorted(set(data) - {name for name, f in self.fields.items() if not f.read_only})
        errors = {}
        try:
            value = super().to_internal_value(data)
        except exceptions.ValidationError as exc:
            errors.update(exc.detail)
        errors.update({name: ["Unknown field."] for name in unknown})
        if errors:
            raise exceptions.ValidationError(errors)
        return value


class ApiView(APIView):
    """Base of every API view: authenticated by DRF (bearer token or session), not by the page middleware.

    Query parameters are refused (400, naming each) unless the operation documents them: the parameters of its
    extend_schema, and the cursor (and page size, where it may be chosen) of its pagination_class. An unknown
    filter or sort key must not be ignored silently (a misspelt filter would return everything).
    """

    checks_own_query_parameters = False  # True: the view refuses unknown parameters itself (the FHIR facade)
    submission = None  # the Idempotency-Key's row while this request holds it
    replayed = False
    program_scope = None  # the authenticated user's program scope, from initial() to the end of dispatch()

    def dispatch(self, request, *args, **kwargs):
        """A POST with an Idempotency-Key runs in one transaction with its key (waypoint.reliability): an
        answer that is not a fresh 2xx rolls back, key included. The program scope entered in initial() ends here,
        whatever happened."""
        with ExitStack() as self.program_scope:
            if request.method != "POST" or idempotency.HEADER not in request.headers:
                return super().dispatch(request, *args, **kwargs)
            with transaction.atomic():
                response = super().dispatch(request, *args, **kwargs)
                if self.replayed or not 200 <= response.status_code < 300:
                    transaction.set_rollback(True)
                return response

    def claim_idempotency_key(self, request) -> None:
        key = request.headers[idempotency.HEADER]
        if not idempotency.KEY_PATTERN.fullmatch(key):
            raise exceptions.ValidationError(
                {idempotency.HEADER: ["Give 1 to 255 visible ASCII characters (a UUID is a good key)."]}
            )
        try:
            body = request._request.body
        except RawPostDataException:  # a form body already read (the page forms' token middleware): hash its fields
            form = request._request
            files = sorted((name, f.name, f.size) for name, f in form.FILES.items())  # another file: another request
            body = form.POST.urlencode().encode() + repr(files).encode()
        digest = idempotency.request_hash(request.method, request.get_full_path(), body)
        try:
            self.submission = idempotency.claim(request.user, f"api:{key}", digest)
        except idempotency.KeyReused:
            raise KeyReusedError() from None

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.Replay):
            self.replayed = True
            stored = exc.submission
            response = Response(stored.body, status=stored.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.submission is not None and not self.replayed and 200 <= response.status_code < 300:
            idempotency.remember(
                self.submission, status_code=response.status_code, body=getattr(response, "data", None)
            )
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication and permissions first: 401 before 400
        # the page middleware saw no user behind a bearer token: the scope of the one DRF authenticated
        self.program_scope.enter_context(user_scope(request.user))
        if request.method == "POST" and idempotency.HEADER in request.headers and request.user.is_authenticated:
            self.claim_idempotency_key(request)
        if self.checks_own_query_parameters or not hasattr(self, request.method.lower()):
            return  # the FHIR facade checks its own; a method the view lacks answers 405, whatever the parameters
        unknown = sorted(set(request.query_params) - documented_query_parameters(self, request.method))
        if unknown:
            raise exceptions.ValidationError({name: ["Unknown query parameter."] for name in unknown})
        too_long = search_limit_passed(request.query_params.get("q", ""))
        if too_long:
            raise exceptions.ValidationError({"q": [too_long]})

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.login_required = False  # LoginRequiredMiddleware: the API answers 401 itself
        return view
