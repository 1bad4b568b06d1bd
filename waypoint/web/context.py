from django.conf import settings

from waypoint.accounts.membership import role_in
from waypoint.records.replica import replica_lag


def program(request):
    current = getattr(request, "program", None)
    role = role_in(request.user, current.pk) if current is not None else None
    return {"program": current, "role": role}


def replica(request):
    """`replica_behind`: how far behind the live record the reporting copy a page read from is, in words, when it is
    more than settings.REPLICA_LAG_NOTE_SECONDS behind (entries of that last stretch may be missing)."""
    lag = replica_lag()
    if lag is None or lag <= settings.REPLICA_LAG_NOTE_SECONDS:
        return {}
    return {"replica_behind": behind_in_words(lag)}


def behind_in_words(seconds: float) -> str:
    """12 → "12 seconds", 61 → "1 minute", 7300 → "2 hours"."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    count = max(1, int(seconds))
    return f"{count} second{'s' if count != 1 else ''}"
