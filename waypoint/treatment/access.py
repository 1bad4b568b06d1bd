"""Finding a treatment session the way `patients.access` finds a patient: through the user's access, one 404 for
a session that does not exist and one the user may not read."""

from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from waypoint.accounts.models import Program, User

from . import services
from .models import Session


def access_session(user: User | AnonymousUser, pk: int | str, program: Program | None = None) -> Session:
    """The session with this id (in that program, when given) if the user may open it: a group session in a program
    where they read charts, an individual session only when they may open its patient's chart
    (`services.readable_sessions`). Http404 otherwise, the same for missing and forbidden."""
    session = services.readable_session(user, pk)
    if session is None or (program is not None and session.program_id != program.pk):
        raise Http404
    return session
