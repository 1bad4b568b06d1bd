"""drf-spectacular hook: every POST of the API documents the Idempotency-Key header and its 422."""

from .idempotency import HEADER


def document_idempotency_key(result, generator, request, public):
    for path_item in result.get("paths", {}).values():
        operation = path_item.get("post")
        if operation is None:
            continue
        operation.setdefault("parameters", []).append(
            {
                "in": "header",
                "name": HEADER,
                "required": False,
                "description": "Repeat the same request safely: a retry with the same key and body returns the first "
                "answer and stores nothing new; the same key with another body is refused (422). Keys "
                "are kept 24 hours.",
                "schema": {"type": "string", "pattern": "^[!-~]{1,255}$", "minLength": 1, "maxLength": 255},
            }
        )
        operation.setdefault("responses", {}).setdefault(
            "422",
            {
                "description": "The Idempotency-Key was used for a different request.",
                "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
            },
        )
    return result
