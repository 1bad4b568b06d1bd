"""Two-factor sign-in for every staff account: TOTP (django-otp) with one-time recovery codes.

HIPAA 45 CFR 164.312(d) person authentication. Signing in is two steps: the password (Django's login, a new
session id) and then a code from the user's authenticator app, or one of their recovery codes. Until the
second step is passed the session reaches nothing but the code page (or, for an account without an
authenticator yet, the enrolment page) and sign-out; the API treats such a session as anonymous. Bearer
tokens are unaffected (they are issued to a person by an operator and are revocable).

Failed codes count against the username in django-axes like failed passwords: past the limit the session
ends and the account is locked out for the cool-off time (and django-otp's own throttle doubles the wait
after each wrong code). The count is reset only when both steps pass.

Changing the second factor (a new authenticator, new recovery codes, removing it) needs the password and a
current code again.

An authenticator being set up belongs to the one session that started it (its id is kept in that session): another
session that knows the password sees another secret, and confirming the enrolment ends every other session of the
account. The session id changes at every privilege change: the password step (Django's login), the second factor
(`passed`) and break the glass (privacy.views).
"""

from base64 import b32decode, b32encode
from urllib.parse import urlencode

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from waypoint.audit import trail as audit
from waypoint.audit.models import AuditEvent

from .demo import DEMO_SLUGS, is_demo_only
from .models import BrowserSession, Program, RecoveryCodeDevice, User

AUTHENTICATOR_NAME = "Authenticator app"
PENDING_NAME = "pending"
PENDING_SESSION_KEY = "waypoint_pending_authenticator"
# Pages an authenticated session may reach before its second factor: the two-factor steps and sign-out.
OPEN_TO_UNVERIFIED = {
    "two-factor-verify",
    "two-factor-enrol",
    "logout",
    "login",
    "healthz",
    "api-schema",
    # A passkey instead of the code (accounts/passkey_views.py): its two calls and the script's texts.
    "otp_webauthn:credential-authentication-begin",
    "otp_webauthn:credential-authentication-complete",
    "otp_webauthn:js-i18n-catalog",
}


def authenticator(user) -> TOTPDevice | None:
    """The user's authenticator app; the demo one only while the database holds nothing but demo programs."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).exclude(name=PENDING_NAME).first()
    if device is not None and device.key == DEMO_KEY_HEX and not demo_shortcut_available():
        return None
    return device


# The demo shortcut (issue 24 item 16): trying every role of the demo programs should not take seven authenticator
# set-ups. While the database holds only the demo programs, an account without an authenticator signs in with codes
# of this published key (shown on the sign-in page); the moment a real program exists it is refused everywhere.
DEMO_KEY_TEXT = "WAYPOINTDEMOWAYPOINTDEMOWAYPOINT"  # base32, 20 bytes: published, never a secret
DEMO_KEY_HEX = b32decode(DEMO_KEY_TEXT).hex()
DEMO_NAME = "Demo authenticator (published key)"


def demo_shortcut_available() -> bool:
    return is_demo_only() and Program.objects.filter(slug__in=DEMO_SLUGS).exists()


@transaction.atomic
def demo_authenticator(*, acting_user: User) -> TOTPDevice:
    """The account's authenticator with the published demo key (made at its first demo sign-in; audited)."""
    device = TOTPDevice.objects.create(user=acting_user, name=DEMO_NAME, key=DEMO_KEY_HEX, confirmed=True)
    audit.record(acting_user, "account.two_factor.demo", obj=acting_user)
    return device


def pending_authenticator(request, user) -> TOTPDevice | None:
    """The authenticator this session is setting up (never one another session of the account started)."""
    pk = request.session.get(PENDING_SESSION_KEY)
    if pk is None:
        return None
    return TOTPDevice.objects.filter(pk=pk, user=user, confirmed=False, name=PENDING_NAME).first()


def recovery_codes(user) -> RecoveryCodeDevice | None:
    return RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()


def is_verified(user) -> bool:
    """The session passed its second factor (with the demo key: only while the demo shortcut is available)."""
    check = getattr(user, "is_verified", None)
    if not (check and check()):
        return False
    device = getattr(user, "otp_device", None)
    return not (isinstance(device, TOTPDevice) and device.key == DEMO_KEY_HEX and not demo_shortcut_available())


class TwoFactorRequiredMiddleware:
    """After OTPMiddleware and the session timeout: a signed-in session without its second factor is sent to
    the code page (or to enrol); on the API it counts as anonymous (401)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not is_verified(user):
            if request.path.startswith(("/api/", "/fhir/")):
                request.user = AnonymousUser()
                request.program = None
            elif url_name(request) not in OPEN_TO_UNVERIFIED:
                has_one = authenticator(user) is not None or demo_shortcut_available()
                target = reverse("two-factor-verify" if has_one else "two-factor-enrol")
                if request.method == "GET" and not request.headers.get("HX-Request"):
                    target += "?" + urlencode({"next": request.get_full_path()})
                return redirect(target)
        return self.get_response(request)


def url_name(request) -> str | None:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return None


def safe_next(request, fallback=None) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback or reverse(settings.LOGIN_REDIRECT_URL)


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code, made here (no outside service sees the secret)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", title="QR code for your authenticator app"
    )


def secret_text(device: TOTPDevice) -> str:
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def is_locked(request, user) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


def count_failure(request, user, step: str) -> bool:
    """A wrong code counts like a wrong password (django-axes, per username). True when it locked the account."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username(), "step": step}, request=request
    )
    return bool(getattr(request, "axes_locked_out", False))


def end_locked_session(request) -> None:
    logout(request)


def check_code(user, token: str):
    """The device (authenticator or recovery codes) that accepts this code, or None."""
    token = (token or "").strip()
    compact = token.replace(" ", "")
    device = authenticator(user)
    if device is not None and compact.isdigit() and len(compact) == device.digits:
        return device if device.verify_token(compact) else None
    codes = recovery_codes(user)
    if codes is not None and len(compact) >= 16 and codes.verify_token(compact):
        return codes
    return None


def recovery_uses_since_last_authenticator_sign_in(user) -> list:
    """When recovery codes signed this account in since it last signed in with its authenticator app or a passkey:
    shown to the person at their next sign-in, since a recovery code someone else used would otherwise go unnoticed."""
    sign_ins = AuditEvent.objects.filter(actor=user, action="auth.two_factor", outcome=AuditEvent.Outcome.SUCCESS)
    own = [TOTPDevice.__name__, WebAuthnCredential.__name__]
    last_own = sign_ins.filter(detail__device__in=own).order_by("-id").values_list("id", flat=True).first()
    recovery = sign_ins.filter(detail__device=RecoveryCodeDevice.__name__, id__gt=last_own or 0)
    return list(recovery.order_by("at").values_list("at", flat=True))


def passed(request, user, device) -> None:
    """The second step passed: a new session id (a privilege change), the device remembered in the session, and the
    failure count cleared."""
    request.session.cycle_key()
    django_otp.login(request, device)
    AxesProxyHandler.reset_attempts(username=user.get_username(), ip_address=get_client_ip_address(request))


@transaction.atomic
def start_enrolment(request, *, acting_user: User) -> TOTPDevice:
    """The authenticator this session is setting up (kept across reloads of the page until confirmed): a new
    secret for each session, bound to it."""
    device = pending_authenticator(request, acting_user)
    if device is None:
        device = TOTPDevice.objects.create(user=acting_user, name=PENDING_NAME, confirmed=False)
        request.session[PENDING_SESSION_KEY] = device.pk
        audit.record(
            acting_user,
            "account.two_factor.start",
            obj=acting_user,
            detail={"replacing": authenticator(acting_user) is not None},
        )
    return device


def confirm_enrolment(request, *, acting_user: User, token: str) -> list[str] | None:
    """Confirm the pending authenticator with a code from it. Replaces the earlier authenticator if any.

    Every other session of the account ends (one that knew the password must not ride on the new authenticator),
    and so does every other authenticator being set up. Returns the new recovery codes when the account had none
    (first enrolment), else None."""
    device = pending_authenticator(request, acting_user)
    if device is None:
        raise ValidationError({"token": "Start again: there is no authenticator being set up."})
    compact = (token or "").replace(" ", "")
    if not (compact.isdigit() and len(compact) == device.digits and device.verify_token(compact)):
        raise ValidationError({"token": "That code is not right. Check the time on your phone and try the next code."})
    with transaction.atomic():
        replaced = TOTPDevice.objects.filter(user=acting_user).exclude(pk=device.pk).delete()[0] > 0
        device.name = AUTHENTICATOR_NAME
        device.confirmed = True
        device.save(update_fields=["name", "confirmed"])
        codes = None
        if recovery_codes(acting_user) is None:
            recovery = RecoveryCodeDevice.objects.create(user=acting_user, name="Recovery codes", confirmed=True)
            codes = recovery.replace_codes()
        audit.record(acting_user, "account.two_factor.enrol", obj=acting_user, detail={"replaced": replaced})
        del request.session[PENDING_SESSION_KEY]
        passed(request, acting_user, device)
        end_other_sessions(request, acting_user)
    return codes


def end_other_sessions(request, user) -> int:
    """End every session of `user` but this request's own. Returns how many ended."""
    from .services import sessions_of

    others = [s.session_key for s in sessions_of(user) if s.session_key != request.session.session_key]
    BrowserSession.objects.filter(session_key__in=others).delete()
    return len(others)


def reauthenticate(request, *, acting_user: User, password: str, token: str) -> None:
    """Password and a current code, before any change to the second factor: passed, the session gets a new id.
    Failures count toward the lockout."""
    errors = {}
    if not acting_user.check_password(password or ""):
        errors["password"] = "The password is not right."
    elif check_code(acting_user, token) is None:
        errors["token"] = "The code is not right."
    if errors:
        audit.record(acting_user, "account.two_factor.reauthenticate", obj=acting_user, outcome="failed")
        if count_failure(request, acting_user, "re-authentication"):
            end_locked_session(request)
        raise ValidationError(errors)
    request.session.cycle_key()  # authentication again, a privilege change: a new session id (ASVS 5.0 7.2.4)


@transaction.atomic
def new_recovery_codes(*, acting_user: User) -> list[str]:
    recovery = recovery_codes(acting_user)
    if recovery is None:
        recovery = RecoveryCodeDevice.objects.create(user=acting_user, name="Recovery codes", confirmed=True)
    codes = recovery.replace_codes()
    audit.record(acting_user, "account.two_factor.recovery_codes", obj=acting_user)
    return codes


@transaction.atomic
def remove(*, acting_user: User, user, reason: str) -> None:
    """Remove the authenticator, the recovery codes and the passkeys: the account must enrol again at its next request.
    Every other session of the user ends (their second factor was this one)."""
    from .services import sessions_of

    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()
    WebAuthnCredential.objects.filter(user=user).delete()
    audit.record(acting_user, "account.two_factor.remove", obj=user, detail={"user": user.username, "reason": reason})
    for session in sessions_of(user):
        session.delete()
