"""Shared API plumbing: error bodies that name the field, strict input, bearer-token views."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """Service-layer ValidationErrors become 400s keyed by field, like serializer errors."""
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
    """Base of every API view: authenticated by DRF (bearer token or session), not by the page middleware."""

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.login_required = False  # LoginRequiredMiddleware: the API answers 401 itself
        return view
