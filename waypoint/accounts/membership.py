"""Who the signed-in user is in each program: their memberships, their role, what it allows, and the program scope
of their requests. Knows no patient: which patients a user may see is `patients.access`, built on this."""

from django.core.exceptions import PermissionDenied

from .models import Membership
from .roles import role_allows
from .scoping import program_scope


def memberships(user) -> list[Membership]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cache = getattr(user, "_waypoint_memberships", None)
    if cache is None:
        cache = list(Membership.objects.filter(user=user).select_related("program"))
        user._waypoint_memberships = cache
    return cache


def user_scope(user):
    """The program scope of a request: the programs the user belongs to (none when signed out)."""
    return program_scope(*(membership.program_id for membership in memberships(user)))


def role_in(user, program_id: int) -> str | None:
    return next((m.role for m in memberships(user) if m.program_id == program_id), None)


def has_permission(user, program_id: int, permission: str) -> bool:
    role = role_in(user, program_id)
    return role is not None and role_allows(role, permission)


def require(user, program_id: int, permission: str) -> None:
    if not has_permission(user, program_id, permission):
        raise PermissionDenied(f"Your role in this program does not allow {permission}.")


def program_or_403(request):
    """The program the request works in (set by the page middleware), or 403 for a user of no program."""
    if request.program is None:
        raise PermissionDenied("You are not a member of any program.")
    return request.program
