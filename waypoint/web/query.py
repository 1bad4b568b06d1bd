"""Pages that take filters or sort keys refuse any other query parameter (400 naming it): a misspelt filter
must not silently show everything. The API does the same from its documented parameters (web/api.py)."""

import functools
from datetime import datetime, timedelta

from django.http import HttpResponseBadRequest
from django.utils.dateparse import parse_datetime


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


# A search (`q`) becomes one database condition per word: a `q` of thousands of words ran for seconds (503) or
# past SQLite's expression depth (500). Every API search is bounded here before its view runs (web/api.py), with the
# words patients/queries.py allows a search of names, MRNs and birth dates.
SEARCH_MAX_LENGTH = 100
SEARCH_MAX_WORDS = 6


def search_limit_passed(text: str) -> str | None:
    """The limit a search passes, in words a clinician reads, or None when it is within both."""
    if len(text) > SEARCH_MAX_LENGTH:
        return f"Search with at most {SEARCH_MAX_LENGTH} characters."
    if len(text.split()) > SEARCH_MAX_WORDS:
        return f"Search with at most {SEARCH_MAX_WORDS} words (a name, an MRN or a birth date)."
    return None


# The widest UTC offsets in use anywhere (-12:00 to +14:00); PostgreSQL refuses wider ones with an error, not a 400.
LARGEST_UTC_OFFSET = timedelta(hours=14)


def date_time_problem(text: str, *, offset_required: bool) -> tuple[datetime | None, str | None]:
    """An API filter's ISO 8601 date-time, or the reason it is refused (in words naming what is expected)."""
    try:
        when = parse_datetime(text)
    except ValueError:
        when = None
    if when is None or (offset_required and when.tzinfo is None):
        expected = "an ISO-8601 date-time with a UTC offset" if offset_required else "an ISO date-time"
        return None, f"Expected {expected}."
    offset = when.utcoffset()
    if offset is not None and abs(offset) > LARGEST_UTC_OFFSET:
        return None, "The UTC offset must be between -14:00 and +14:00."
    return when, None
