"""Passkeys (django-otp-webauthn) as the second factor of signing in, beside the authenticator app.

A passkey answers only to this site's address (the relying party id and origins in settings), so a look-alike
page cannot relay it the way a typed code can be relayed: the second factor that resists phishing. It never
replaces the password (passwordless sign-in is off) and never the authenticator app: a person registers a passkey
from a session that already passed its second factor, and removing the second factor removes the passkeys too.

Passing a passkey at the code step is passing the second factor exactly as a code is (two_factor.passed: a new
session id, the device remembered, the failure count cleared) and is audited as `auth.two_factor` with the device
type in its detail. A passkey that fails counts against the account like a wrong code.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django_otp_webauthn.models import WebAuthnCredential

from waypoint.audit import trail as audit

from . import two_factor
from .models import User

NAME_SESSION_KEY = "waypoint_passkey_name"
NAME_MAX_LENGTH = 64


def passkeys_of(user):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")


def has_passkey(user) -> bool:
    return passkeys_of(user).exists()


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Give the passkey a name you will recognise, such as “Work laptop”."})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": f"Keep the name to {NAME_MAX_LENGTH} characters or fewer."})
    if not name.isprintable():
        raise ValidationError({"name": "The name may hold letters, digits, spaces and punctuation only."})
    return name


def start_registration(request, *, acting_user: User, name: str) -> str:
    """The name the next passkey of this session will carry (kept in the session until it is registered)."""
    if not two_factor.is_verified(acting_user):
        raise PermissionDenied("Pass the second factor before adding a passkey.")
    name = clean_name(name)
    request.session[NAME_SESSION_KEY] = name
    return name


def register(request, *, acting_user: User, helper, state: dict, data: dict) -> WebAuthnCredential:
    """Keep the passkey the browser made (verified by django-otp-webauthn against the challenge of this session),
    under the name given before; audited, and so is a passkey refused (nothing of it kept)."""
    if not two_factor.is_verified(acting_user):
        raise PermissionDenied("Pass the second factor before adding a passkey.")
    name = clean_name(request.session.get(NAME_SESSION_KEY, ""))
    action, detail = "account.two_factor.passkey.add", {"passkey": name}
    try:
        with transaction.atomic():
            device = helper.register_complete(user=acting_user, state=state, data=data)
            device.name = name
            device.save(update_fields=["name"])
            audit.record(acting_user, action, obj=acting_user, detail=detail)
    except Exception:
        audit.record(acting_user, action, obj=acting_user, outcome="failed", detail=detail)
        raise
    request.session.pop(NAME_SESSION_KEY, None)
    return device


def remove(request, *, acting_user: User, passkey_id: int, password: str, token: str) -> str:
    """Remove one of the user's own passkeys after the password and a current code (as any change to the second
    factor). Another person's passkey is not found. Returns its name."""
    device = passkeys_of(acting_user).filter(pk=passkey_id).first()
    if device is None:
        raise Http404("No such passkey.")
    two_factor.reauthenticate(request, acting_user=acting_user, password=password, token=token)  # failures kept
    with transaction.atomic():
        name = device.name
        device.delete()
        audit.record(acting_user, "account.two_factor.passkey.remove", obj=acting_user, detail={"passkey": name})
    return name


def sign_in(request, *, user, helper, state: dict, data: dict) -> WebAuthnCredential:
    """The code step passed with a passkey instead of a code. A passkey that fails (not the user's, a wrong
    signature, a replayed challenge) counts toward the lockout like a wrong code and is re-raised."""
    try:
        device = helper.authenticate_complete(user=user, state=state, data=data)
        if not device.confirmed or not user.is_active:
            raise PermissionDenied("This passkey cannot be used.")
    except Exception:  # every refusal counts (and is audited) as a wrong code does: accounts/sessions.py
        if two_factor.count_failure(request, user, "passkey"):
            two_factor.end_locked_session(request)
        raise
    two_factor.passed(request, user, device)
    audit.record(user, "auth.two_factor", detail={"device": device.__class__.__name__, "passkey": device.name})
    return device
