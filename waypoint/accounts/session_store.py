"""The session engine: Django's database sessions, read together with the signed-in user, their memberships and care
teams in one query (accounts.asking), and saved with the user's id as a column (`BrowserSession.user`).

The user read with the session is handed to authentication by `AuthenticationMiddleware` below through
`backends.ModelBackend`, which still runs Django's own checks on it (the account is active; the session's
password hash matches, in django.contrib.auth.get_user): nothing is kept from one request to the next.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.apps import apps
from django.contrib import auth
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware

from .asking import load

# The session store of the request being authenticated (set around django.contrib.auth.get_user only).
AUTHENTICATING: ContextVar[Any] = ContextVar("waypoint_authenticating_session", default=None)


class SessionStore(DatabaseStore):
    loaded_user = None  # the user read with the session row (None: nobody signed in, or not read yet)

    @classmethod
    def get_model_class(cls):
        from .models import BrowserSession

        return BrowserSession

    loaded_devices: tuple = ()  # the second factors read with the session (those its columns name)

    def _get_session_from_db(self):
        rows = self.model.objects.filter(session_key=self.session_key, expire_date__gt=timezone.now())
        found = load(rows, "user", also=self.model.SECOND_FACTORS)
        if found is None:
            self._session_key = None
            return None
        session, self.loaded_user = found
        devices = (getattr(session, name) for name in self.model.SECOND_FACTORS)
        self.loaded_devices = tuple(device for device in devices if device is not None)
        return session

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        from .models import User

        try:
            instance.user_id = User._meta.pk.to_python(data.get(SESSION_KEY))
        except ValidationError:
            instance.user_id = None
        passed = _second_factor(data.get(DEVICE_ID_SESSION_KEY))
        for name in self.model.SECOND_FACTORS:
            field = self.model._meta.get_field(name)
            setattr(instance, field.attname, passed[1] if passed and passed[0] is field.related_model else None)
        return instance


def _second_factor(persistent_id: Any) -> tuple[Any, int] | None:
    """(device model, id) of a django-otp persistent id such as "otp_totp.totpdevice/5" (None: none, or unreadable)."""
    if not isinstance(persistent_id, str):
        return None
    label, _, pk = OTPMiddleware._normalize_persistent_id(persistent_id).rpartition("/")
    try:
        return apps.get_model(label), int(pk)
    except (LookupError, ValueError):
        return None


def preloaded_device(session: Any, persistent_id: str) -> Any:
    """The second factor read with this request's session, if it is the one the session data names (else None)."""
    wanted = OTPMiddleware._normalize_persistent_id(persistent_id)
    for device in getattr(session, "loaded_devices", ()):
        if device.persistent_id == wanted:
            return device
    return None


def preloaded_user(user_id: Any) -> Any:
    """The user read with this request's session, if it is the one the session names (else None: ask the database)."""
    session = AUTHENTICATING.get()
    user = getattr(session, "loaded_user", None)
    if user is not None and str(user.pk) == str(user_id):
        return user
    return None


def get_user(request):
    if not hasattr(request, "_cached_user"):
        token = AUTHENTICATING.set(getattr(request, "session", None))
        try:
            request._cached_user = auth.get_user(request)
        finally:
            AUTHENTICATING.reset(token)
    return request._cached_user


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with the user taken from the session's one query instead of a query of its own."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_user(request))


class SecondFactorMiddleware(OTPMiddleware):
    """django-otp's, with the device the session passed taken from the session's one query when it is the one the
    session names (django-otp's own checks follow: the device is the user's and confirmed); otherwise (a session saved
    before the device columns, a device changed during this request) django-otp reads it itself."""

    def _verify_user_sync(self, request, user):
        self._init_user_fields(user)
        if user.is_authenticated:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            device = None
            if persistent_id:
                device = preloaded_device(request.session, persistent_id) or self._device_from_persistent_id(
                    persistent_id
                )
            user.otp_device = self._finalize_device(request, user, device)
        return user
