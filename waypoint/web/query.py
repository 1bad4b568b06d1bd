"""Pages that take filters or sort keys refuse any other query parameter (400 naming it): a misspelt filter
must not silently show everything. The API does the same from its documented parameters (web/api.py)."""

import functools

from django.http import HttpResponseBadRequest


def query_parameters(*allowed: str):
    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            unknown = sorted(set(request.GET) - set(allowed))
            if unknown:
                return HttpResponseBadRequest(f"Unknown parameter(s): {', '.join(unknown)}", content_type="text/plain")
            return view(request, *args, **kwargs)

        wrapped.query_parameters = frozenset(allowed)
        return wrapped

    return decorator
