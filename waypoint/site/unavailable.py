"""The answer when the database cannot be reached: 503 with a clear message, never a stack trace, and built
without the database (no session, no template context that queries)."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.views.defaults import server_error

DATABASE_DOWN = (
    "The database cannot be reached just now, so nothing was saved or read. Waypoint retries by "
    "itself: try again in a minute. If this lasts, call the on-call administrator."
)
PAGE = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Waypoint: temporarily unavailable</title>
</head><body style="font-family:sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5">
<h1>Temporarily unavailable</h1><p>{DATABASE_DOWN}</p></body></html>"""


def database_is_down(exc) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def unavailable(request):
    headers = {"Retry-After": "30"}
    if request.path.startswith("/fhir/"):
        from waypoint.fhir.http import error_response

        response = error_response(503, DATABASE_DOWN)
        response["Retry-After"] = "30"
        return response
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": DATABASE_DOWN}, status=503, headers=headers)
    return HttpResponse(PAGE, status=503, headers=headers)


def handler500(request):
    """Django calls this inside the `except` of the failed request: a database fault answers 503."""
    if database_is_down(sys.exc_info()[1]):
        return unavailable(request)
    return server_error(request)
