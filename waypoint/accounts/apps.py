from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "waypoint.accounts"
    label = "accounts"
    verbose_name = "Staff, programs and access"

    def ready(self):
        from axes.signals import user_locked_out
        from django.contrib.auth import signals

        from . import schema, settings  # noqa: F401 - the OpenAPI bearer scheme; declares the program settings
        from .sessions import on_locked_out, on_sign_in_failed, on_signed_in

        signals.user_logged_in.connect(on_signed_in, dispatch_uid="waypoint-signed-in")
        signals.user_login_failed.connect(on_sign_in_failed, dispatch_uid="waypoint-sign-in-failed")
        user_locked_out.connect(on_locked_out, dispatch_uid="waypoint-locked-out")
