"""Per-request context: the program being worked in, its time zone, the program scope and the audit channel."""

from django.utils import timezone

from waypoint.accounts.membership import memberships, user_scope
from waypoint.audit import trail as audit

PROGRAM_SESSION_KEY = "program_id"


def current_program(request):
    """The program the user is working in: the one chosen in the session, else their first."""
    mine = memberships(request.user)
    if not mine:
        return None
    chosen = request.session.get(PROGRAM_SESSION_KEY) if hasattr(request, "session") else None
    for membership in mine:
        if membership.program_id == chosen:
            return membership.program
    return mine[0].program


class ProgramContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = audit.current_channel.set("api" if request.path.startswith(("/api/", "/fhir/")) else "page")
        request.program = current_program(request)
        if request.program is not None:
            timezone.activate(request.program.tz)
        try:
            with user_scope(request.user):  # bearer-token API requests enter theirs in web.api.ApiView
                return self.get_response(request)
        finally:
            timezone.deactivate()
            audit.current_channel.reset(channel)
