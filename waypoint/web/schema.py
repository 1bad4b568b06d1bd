"""The OpenAPI description (drf-spectacular): every operation documents the error answers it can give.

Every API view answers 400 (a body or query parameter missing, unknown or invalid: the keys name the fields),
401 (no valid bearer token), 403 (the role does not allow it) and 404 (no such record among the patients and
programs the user may see) through `waypoint.web.api.exception_handler`; views that answer 409 (a stale
`version`) declare it themselves. A plain APIView with no serializer is documented as a JSON object rather
than "no body". Checked by Schemathesis: tests/test_api_schema.py.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes

ERROR_BODY = {
    "type": "object",
    "additionalProperties": {},
    "description": "`detail` (a sentence), or field name -> list of messages",
}
ERRORS = {
    "400": "Refused: a body or query parameter is missing, unknown or invalid; the keys name the fields.",
    "401": "No valid bearer token (unknown, expired or revoked), or a session without its second factor.",
    "403": "The user's role does not allow this.",
    "404": "No such record among the patients and programs this user may see.",
}


class WaypointAutoSchema(AutoSchema):
    def _get_serializer(self):
        view = self.view
        if not (hasattr(view, "get_serializer") or getattr(view, "serializer_class", None)):
            return None  # a plain ApiView: its bodies are declared with extend_schema, or free-form JSON
        return super()._get_serializer()

    def get_response_serializers(self):
        declared = super().get_response_serializers()
        return OpenApiTypes.ANY if declared is None else declared

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response":
            for code, description in ERRORS.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": ERROR_BODY}}}
                )
        return responses


def fhir_operation_paths(result, generator, request, public):
    """drf-spectacular drops the `$` of FHIR operations (`/fhir/$export` came out as `/fhir/export`, which is not an
    endpoint): put it back, so that the description names the URLs that are served."""
    result["paths"] = {
        (f"{path[: -len('export')]}$export" if path.startswith("/fhir/") and path.endswith("/export") else path): item
        for path, item in result["paths"].items()
    }
    return result
