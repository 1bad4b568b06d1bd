"""Signing in and out. Sign-in is audited; signing out ends every session and API token of the user.

Other code that ends a session (the kiosk handing a tablet to a patient, a timeout) ends only that session.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from waypoint.accounts.sessions import clear_site_data
from waypoint.audit import trail as audit

from . import passkeys, sessions, two_factor
from .models import RecoveryCodeDevice
from .services import end_all_sessions


class SignInView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"demo_key": demo_key()}

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(form.get_user(), "auth.sign_in")
        return response


class SignOutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        # A session that has not passed the second factor ends alone: knowing a password must not be enough
        # to sign the real person out everywhere and revoke their tokens.
        if request.user.is_authenticated and two_factor.is_verified(request.user):
            end_all_sessions(acting_user=request.user, user=request.user, reason="signed out")
        return clear_site_data(super().post(request, *args, **kwargs), "cache", "cookies", "storage")


@require_POST
def extend_session(request):
    """ "Stay signed in" on the idle-timeout warning: the idle clock starts again (a request the person made)."""
    return JsonResponse({"seconds_left": sessions.extend(request)})


# Two-factor sign-in: the code step, enrolment and changes (accounts/two_factor.py).


class CodeForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=40,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text", "spellcheck": "false"}
        ),
    )


class ReauthenticateForm(forms.Form):
    ACTIONS = [
        ("replace", "Set up a new authenticator app"),
        ("recovery", "Make new recovery codes"),
        ("remove", "Remove the second factor (you will be signed out and must set it up again)"),
    ]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect, initial="replace")
    password = forms.CharField(
        label="Your password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}), strip=False
    )
    token = forms.CharField(
        label="A current code (authenticator app or recovery code)",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


def show_error(form, error: ValidationError) -> None:
    for field, texts in error.message_dict.items():
        form.add_error(field if field in form.fields else None, texts)


def tell_of_recovery_codes_used(request, user) -> None:
    used = two_factor.recovery_uses_since_last_authenticator_sign_in(user)
    if used:
        when = ", ".join(f"{timezone.localtime(at):%Y-%m-%d %H:%M}" for at in used)
        messages.warning(
            request,
            f"A recovery code was used to sign in to your account ({when}). If that was not you, tell your "
            "privacy officer and make new recovery codes under Two-factor sign-in.",
        )


def locked_out(request):
    return render(request, "registration/locked_out.html", status=429)


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    user = request.user
    if two_factor.is_verified(user):
        return redirect(two_factor.safe_next(request))
    demo = two_factor.authenticator(user) is None and two_factor.demo_shortcut_available()
    if two_factor.authenticator(user) is None and not demo:
        return redirect("two-factor-enrol")
    if two_factor.is_locked(request, user):
        two_factor.end_locked_session(request)
        return locked_out(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if demo:
            two_factor.demo_authenticator(acting_user=user)
        device = two_factor.check_code(user, form.cleaned_data["token"])
        if device is not None:
            tell_of_recovery_codes_used(request, user)
            two_factor.passed(request, user, device)
            audit.record(user, "auth.two_factor", detail={"device": device.__class__.__name__})
            if isinstance(device, RecoveryCodeDevice):
                messages.warning(
                    request,
                    f"You used a recovery code; {device.remaining()} left. "
                    "Make new ones under Two-factor sign-in if you are running out.",
                )
            return redirect(two_factor.safe_next(request))
        if two_factor.count_failure(request, user, "second factor"):
            two_factor.end_locked_session(request)
            return locked_out(request)
        form.add_error("token", "That code is not right.")
    context = {
        "form": form,
        "next": two_factor.safe_next(request),
        "demo_key": demo_key(),
        "passkey": passkeys.has_passkey(user),
    }
    return render(request, "accounts/two_factor_verify.html", context)


def demo_key() -> str:
    """The published demo key, spaced for typing, while the demo shortcut is available; else empty."""
    if not two_factor.demo_shortcut_available():
        return ""
    return " ".join(two_factor.DEMO_KEY_TEXT[i : i + 4] for i in range(0, len(two_factor.DEMO_KEY_TEXT), 4))


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request):
    """Set up the authenticator app: QR code (inline SVG made here) and the secret as text, then a code."""
    user = request.user
    current = two_factor.authenticator(user)
    if current is not None and not two_factor.is_verified(user):
        return redirect("two-factor-verify")  # never a way around the second factor
    if current is not None and two_factor.pending_authenticator(request, user) is None:
        return redirect("two-factor")  # replacing needs the password and a code first
    device = two_factor.start_enrolment(request, acting_user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.confirm_enrolment(request, acting_user=user, token=form.cleaned_data["token"])
        except ValidationError as error:
            show_error(form, error)
        else:
            if codes:
                return render(
                    request,
                    "accounts/recovery_codes.html",
                    {"codes": codes, "first": True, "next": two_factor.safe_next(request)},
                )
            messages.success(request, "Your new authenticator app is set up; the old one no longer works.")
            return redirect("two-factor")
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "qr": mark_safe(two_factor.qr_svg(device)),  # noqa: S308 - SVG made by segno from our URL  # nosec: B308, B703
            "secret": two_factor.secret_text(device),
            "replacing": current is not None,
            "next": two_factor.safe_next(request),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_manage(request):
    """The second factor of the signed-in user; any change needs the password and a current code."""
    user = request.user
    form = ReauthenticateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            two_factor.reauthenticate(request, acting_user=user, password=data["password"], token=data["token"])
        except ValidationError as error:
            if not request.user.is_authenticated:
                return locked_out(request)
            show_error(form, error)
        else:
            if data["action"] == "recovery":
                codes = two_factor.new_recovery_codes(acting_user=user)
                return render(request, "accounts/recovery_codes.html", {"codes": codes, "first": False})
            if data["action"] == "remove":
                two_factor.remove(acting_user=user, user=user, reason="removed by the user")
                logout(request)
                return redirect("login")
            with transaction.atomic():
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                two_factor.start_enrolment(request, acting_user=user)
            return redirect("two-factor-enrol")
    recovery = two_factor.recovery_codes(user)
    return render(
        request,
        "accounts/two_factor_manage.html",
        {
            "form": form,
            "device": two_factor.authenticator(user),
            "remaining": recovery.remaining() if recovery else 0,
            "passkeys": passkeys.passkeys_of(user),
        },
    )
