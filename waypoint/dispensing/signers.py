"""A second staff member signs at the window with their user name and password: the witness of a waste or spill,
the second counter of a blind count, the second signer of a replacement dose. A wrong name or password refuses the
change, audited as that change (the rule is the field; neither the password nor the name typed is kept)."""

from django.contrib.auth import authenticate
from django.http import HttpRequest

from waypoint.accounts.models import User

from . import services


def second_user(
    request: HttpRequest, username: str, password: str, *, acting_user: User, action: str, field: str, who: str, **where
) -> User | None:
    """The second user, signed in for this one change; None when no name is given (the service then refuses a
    change that needs one, naming its own rule)."""
    if not username:
        return None
    user = authenticate(request, username=username, password=password)
    if user is None:
        services.refused(acting_user, action, {field: f"The {who}'s user name or password is wrong."}, **where)
    return user
