"""Account state changes: ending every session and API token of a user, deactivating an account. Audited."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from waypoint.audit import trail as audit

from .models import ApiToken, BrowserSession, Membership, User
from .roles import STAFF_MANAGE, role_allows


def sessions_of(user: User) -> list[BrowserSession]:
    """The unexpired database sessions signed in as this user (the session's user is a column of its own)."""
    return list(BrowserSession.objects.filter(user=user, expire_date__gt=timezone.now()))


@transaction.atomic
def end_all_sessions(*, acting_user: User | None, user: User, reason: str) -> dict[str, int]:
    """End every session of `user` and revoke every API token still usable. Returns the counts."""
    sessions = sessions_of(user)
    BrowserSession.objects.filter(session_key__in=[s.session_key for s in sessions]).delete()
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    counts = {"sessions": len(sessions), "tokens": tokens}
    audit.record(
        acting_user, "account.sessions.end", obj=user, detail={"user": user.username, "reason": reason, **counts}
    )
    return counts


def can_manage(acting_user: User, user: User) -> bool:
    """An administrator may manage the accounts of staff in a program where they administer."""
    mine = {m.program_id for m in Membership.objects.filter(user=acting_user) if role_allows(m.role, STAFF_MANAGE)}
    theirs = set(Membership.objects.filter(user=user).values_list("program_id", flat=True))
    return bool(mine & theirs) and acting_user.is_active


def deactivate(*, acting_user: User | None, user: User, reason: str) -> dict[str, int]:
    """Deactivate an account: it can no longer sign in, and its sessions and API tokens end now.

    `acting_user` None: the `waypoint` command line (an operator with shell access). A refusal is audited.
    """
    if acting_user is not None and not can_manage(acting_user, user):
        audit.record(acting_user, "account.deactivate", obj=user, outcome="denied", detail={"user": user.username})
        raise PermissionDenied("Only an administrator of the user's program may deactivate the account.")
    return _deactivate(acting_user, user, reason)


@transaction.atomic
def _deactivate(acting_user: User | None, user: User, reason: str) -> dict[str, int]:
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit.record(acting_user, "account.deactivate", obj=user, detail={"user": user.username, "reason": reason})
    return end_all_sessions(acting_user=acting_user, user=user, reason=f"deactivated: {reason}")
