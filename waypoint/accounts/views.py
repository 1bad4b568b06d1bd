"""Signing in and out. Sign-in is audited; signing out ends every session and API token of the user.

Other code that ends a session (the kiosk handing a tablet to a patient, a timeout) ends only that session.
"""

from django.contrib.auth import views as auth_views

from waypoint.privacy import audit

from .services import end_all_sessions


class SignInView(auth_views.LoginView):
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(form.get_user(), "auth.sign_in")
        return response


class SignOutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            end_all_sessions(acting_user=request.user, user=request.user, reason="signed out")
        return super().post(request, *args, **kwargs)
