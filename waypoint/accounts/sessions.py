"""Session lifetime: an idle timeout and an absolute lifetime per program, and the audit of signing in and out.

HIPAA 45 CFR 164.312(a)(2)(iii) automatic logoff. Each signed-in session carries the time of sign-in and of
its last request; a request past either limit finds the session ended (flushed, audited) and is treated as
anonymous, so pages send it to the sign-in page and the API answers 401.
"""

import time
from urllib.parse import urlsplit

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.urls import reverse

from waypoint.audit import trail as audit

from .settings import IDLE_TIMEOUT_MINUTES, SESSION_MAX_HOURS
from .typed_entries import TIMED_OUT, mark_timed_out

SIGNED_IN_AT = "waypoint_signed_in_at"
SEEN_AT = "waypoint_seen_at"
TOUCH_EVERY = 30  # seconds: the last-request time is rewritten at most this often


def limits(program) -> tuple[int, int]:
    """(idle seconds, absolute seconds) for a session working in this program (None: the defaults)."""
    if program is None:
        return IDLE_TIMEOUT_MINUTES.default * 60, SESSION_MAX_HOURS.default * 3600
    return IDLE_TIMEOUT_MINUTES.get(program) * 60, SESSION_MAX_HOURS.get(program) * 3600


def expiry_reason(session, program, now: float) -> str | None:
    idle, absolute = limits(program)
    signed_in = session.get(SIGNED_IN_AT)
    seen = session.get(SEEN_AT, signed_in)
    if signed_in is None:
        return None
    if now - signed_in >= absolute:
        return "absolute"
    if seen is not None and now - seen >= idle:
        return "idle"
    return None


def is_automatic_poll(request) -> bool:
    """A page refreshing itself (htmx `every` trigger, e.g. the withdrawal board) is not a person at work:
    it must not keep an unattended workstation signed in."""
    return request.headers.get("X-Waypoint-Poll") == "1"


class SessionTimeoutMiddleware:
    """After ProgramContextMiddleware (the program's settings decide the limits)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            session = request.session
            if SIGNED_IN_AT not in session:  # a session from before these limits: start counting now
                session[SIGNED_IN_AT] = now
                session[SEEN_AT] = now
            reason = expiry_reason(session, getattr(request, "program", None), now)
            if reason is not None:
                audit.record(
                    user, "auth.session.timeout", program=getattr(request, "program", None), detail={"reason": reason}
                )
                program = getattr(request, "program", None)
                session.flush()
                mark_timed_out(session, user, program)
                request.user = AnonymousUser()
                request.program = None
            elif now - session.get(SEEN_AT, 0) >= TOUCH_EVERY and not is_automatic_poll(request):
                session[SEEN_AT] = now
        return self.get_response(request)


def seconds_left(request) -> int:
    """Seconds until this session's idle timeout (or its absolute end, whichever comes first)."""
    idle, absolute = limits(getattr(request, "program", None))
    now = time.time()
    session = request.session
    signed_in = session.get(SIGNED_IN_AT, now)
    return max(0, int(min(session.get(SEEN_AT, signed_in) + idle, signed_in + absolute) - now))


def extend(request) -> int:
    """The person asked to stay signed in: their idle clock starts again. Returns the seconds left."""
    request.session[SEEN_AT] = time.time()
    return seconds_left(request)


class HtmxSignInRedirectMiddleware:
    """An htmx request (the board's background refresh) whose session has ended is answered with HX-Redirect to the
    sign-in page, so the whole page goes there instead of a sign-in form drawn inside the board."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("HX-Request") and response.status_code == 302 and is_sign_in(response["Location"]):
            redirect = HttpResponse(status=204)
            redirect["HX-Redirect"] = response["Location"]
            return redirect
        return response


def is_sign_in(location: str) -> bool:
    path = urlsplit(location).path
    return path in {reverse("login"), reverse("two-factor-verify"), reverse("two-factor-enrol")}


def on_signed_in(sender, request, user, **kwargs):
    """Start the session's clocks (the sign-in itself is audited by accounts.views.SignInView)."""
    now = time.time()
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = now
        request.session[SEEN_AT] = now
        request.session.pop(TIMED_OUT, None)  # signed in again: kept entries now wait for their page


def on_sign_in_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    detail = {"username": username}
    if credentials.get("step"):  # a wrong second-factor code (accounts/two_factor.py)
        detail["step"] = str(credentials["step"])
    audit.record(None, "auth.sign_in", outcome="failed", detail=detail)


def on_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    audit.record(
        None,
        "auth.lockout",
        outcome="denied",
        detail={"username": str(username or "")[:150], "ip_address": ip_address or ""},
    )


def idle_warning(request) -> dict:
    """Template context: seconds until the idle timeout, for the countdown warning of a signed-in page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "is_verified", lambda: False)():
        return {}
    return {"idle_seconds": seconds_left(request)}


def clear_site_data(response, *kinds: str):
    """Ask the browser to drop what it kept of this site: "cache", "cookies", "storage"."""
    response["Clear-Site-Data"] = ", ".join(f'"{kind}"' for kind in kinds)
    return response
