"""Finding a treatment session the way `patients.access` finds a patient: through the user's access, one 404 for
a session that does not exist and one the user may not read."""

from django.shortcuts import get_object_or_404

from waypoint.accounts.models import Program
from waypoint.accounts.roles import CHART_READ, role_allows
from waypoint.patients.access import memberships

from .models import Session


def access_session(user, pk, program: Program | None = None) -> Session:
    """The group or individual session with this id, in a program (or that program) where the user reads charts."""
    programs = [
        m.program_id
        for m in memberships(user)
        if role_allows(m.role, CHART_READ) and (program is None or m.program_id == program.pk)
    ]
    return get_object_or_404(Session.objects.select_related("facilitator", "program"), pk=pk, program_id__in=programs)
