"""Passkey pages and the browser's WebAuthn calls (accounts/passkeys.py holds the rules).

The four JSON endpoints are django-otp-webauthn's views, narrowed: a passkey is registered only from a session
that passed its second factor and named it first; it is used only at the code step of a signed-in, not yet
verified, not locked account that has one (never instead of the password). Their JavaScript is the package's own,
served from its static files.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions
from django_otp_webauthn import views as webauthn
from django_otp_webauthn.utils import rewrite_exceptions

from . import passkeys, two_factor


class Locked(exceptions.OTPWebAuthnApiError):
    status_code = 429
    default_detail = "Too many failed attempts: the account is locked for now."
    default_code = "locked"


class NoPasskeyStep(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = "A passkey can be used only at the code step of signing in."
    default_code = "not_at_code_step"


class NameFirst(exceptions.OTPWebAuthnApiError):
    status_code = 400
    default_detail = "Name the passkey first."
    default_code = "name_first"


class VerifiedAndNamed:
    """Only a session that passed its second factor, with the passkey named."""

    def check_can_register(self):
        if not two_factor.is_verified(self.request.user):
            raise exceptions.NotVerified()
        if passkeys.NAME_SESSION_KEY not in self.request.session:
            raise NameFirst()


class BeginRegistration(VerifiedAndNamed, webauthn.BeginCredentialRegistrationView):
    pass


class CompleteRegistration(VerifiedAndNamed, webauthn.CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        state = self.get_state()
        with rewrite_exceptions(logger=webauthn._get_pywebauthn_logger()):
            device = passkeys.register(
                self.request,
                acting_user=self.request.user,
                helper=self.get_helper(),
                state=state,
                data=self.request.data,
            )
        messages.success(self.request, f"Your passkey “{device.name}” is added.")
        return JsonResponse({"id": device.pk, "redirect_url": reverse("two-factor")})


class AtTheCodeStep:
    """Only a signed-in session still at the code step, of an account with a passkey and not locked out."""

    def check_can_authenticate(self):
        user = self.request.user
        if not user.is_authenticated or two_factor.is_verified(user) or not passkeys.has_passkey(user):
            raise NoPasskeyStep()
        if two_factor.is_locked(self.request, user):
            two_factor.end_locked_session(self.request)
            raise Locked()


class BeginAuthentication(AtTheCodeStep, webauthn.BeginCredentialAuthenticationView):
    pass


class CompleteAuthentication(AtTheCodeStep, webauthn.CompleteCredentialAuthenticationView):
    def post(self, *args, **kwargs):
        from .views import tell_of_recovery_codes_used

        user = self.request.user
        state = self.get_state()
        with rewrite_exceptions(logger=webauthn._get_pywebauthn_logger()):
            device = passkeys.sign_in(
                self.request, user=user, helper=self.get_helper(), state=state, data=self.request.data
            )
        tell_of_recovery_codes_used(self.request, user)
        return JsonResponse({"id": device.pk, "redirect_url": two_factor.safe_next(self.request)})


# The package's template tags look these names up in the `otp_webauthn` namespace.
app_name = "otp_webauthn"
urlpatterns = [
    path("registration/begin/", BeginRegistration.as_view(), name="credential-registration-begin"),
    path("registration/complete/", CompleteRegistration.as_view(), name="credential-registration-complete"),
    path("authentication/begin/", BeginAuthentication.as_view(), name="credential-authentication-begin"),
    path("authentication/complete/", CompleteAuthentication.as_view(), name="credential-authentication-complete"),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]), name="js-i18n-catalog"),
]


# The pages.


class NameForm(forms.Form):
    name = forms.CharField(
        label="Name of the passkey",
        help_text="So you can tell your passkeys apart, for example “Work laptop” or “Security key”.",
        max_length=passkeys.NAME_MAX_LENGTH,
    )


class RemoveForm(forms.Form):
    password = forms.CharField(
        label="Your password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}), strip=False
    )
    token = forms.CharField(
        label="A current code (authenticator app or recovery code)",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def passkey_add(request):
    """Name the passkey, then let the browser make it (the package's script, on the button)."""
    from .views import show_error

    form = NameForm(request.POST or None)
    named = ""
    if request.method == "POST" and form.is_valid():
        try:
            named = passkeys.start_registration(request, acting_user=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            show_error(form, error)
    return render(request, "accounts/passkey_add.html", {"form": form, "named": named})


@never_cache
@require_http_methods(["GET", "POST"])
def passkey_remove(request, pk: int):
    """Remove one of your passkeys: the password and a current code first, as for any change of the factor."""
    from .views import locked_out, show_error

    device = get_object_or_404(passkeys.passkeys_of(request.user), pk=pk)
    form = RemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            name = passkeys.remove(request, acting_user=request.user, passkey_id=device.pk, **form.cleaned_data)
        except ValidationError as error:
            if not request.user.is_authenticated:
                return locked_out(request)
            show_error(form, error)
        else:
            messages.success(request, f"Your passkey “{name}” is removed.")
            return redirect("two-factor")
    return render(request, "accounts/passkey_remove.html", {"form": form, "passkey": device})
