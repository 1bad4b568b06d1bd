"""Who the signed-in user is in each program: their memberships, their role, what it allows, and the program scope
of their requests. Knows no patient: which patients a user may see is `patients.access`, built on this."""

from contextlib import AbstractContextManager
from typing import Any, cast

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .models import Membership, Program, User
from .roles import role_allows
from .scoping import program_scope

# who asks: the signed-in user of a request, or nobody signed in (who sees nothing)
Viewer = User | AnonymousUser


def memberships(user: Viewer) -> list[Membership]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cache = getattr(user, "_waypoint_memberships", None)
    if cache is None:
        cache = list(Membership.objects.filter(user=user).select_related("program"))
        cast(Any, user)._waypoint_memberships = cache  # a per-request cache, not a declared attribute
    return cache


def user_scope(user: Viewer) -> AbstractContextManager[None]:
    """The program scope of a request: the programs the user belongs to (none when signed out)."""
    return program_scope(*(membership.program_id for membership in memberships(user)))


def role_in(user: Viewer, program_id: int) -> str | None:
    return next((m.role for m in memberships(user) if m.program_id == program_id), None)


def has_permission(user: Viewer, program_id: int, permission: str) -> bool:
    role = role_in(user, program_id)
    return role is not None and role_allows(role, permission)


def require(user: Viewer, program_id: int, permission: str) -> None:
    if not has_permission(user, program_id, permission):
        raise PermissionDenied(f"Your role in this program does not allow {permission}.")


def program_or_403(request: HttpRequest) -> Program:
    """The program the request works in (set by the page middleware), or 403 for a user of no program."""
    program: Program | None = getattr(request, "program", None)
    if program is None:
        raise PermissionDenied("You are not a member of any program.")
    return program
