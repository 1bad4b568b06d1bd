"""Security headers Django 5.2 does not send itself: a Content-Security-Policy without inline script,
`Cache-Control: no-store` on every answer the application itself makes (pages, API, FHIR, CSV exports: any of them
may carry patient data, and no browser or proxy may keep a copy), and `Clear-Site-Data` when a device stops being a
staff member's (sign-out, the kiosk handed to a patient).

Every page loads its script (htmx, from django_htmx's static files) and its style sheet from this origin;
no template carries a <script> body, a style="" attribute or an on*="" handler, so the policy allows
neither inline script nor inline style. X-Frame-Options, Referrer-Policy, nosniff and HSTS come from
Django's SecurityMiddleware and XFrameOptionsMiddleware (settings.py).
"""

from django.conf import settings
from django.utils.cache import patch_cache_control

DEFAULT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "WAYPOINT_CONTENT_SECURITY_POLICY", DEFAULT_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class NoStoreMiddleware:
    """After WhiteNoise (static files keep their long cache life): every other answer is `no-store, private`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_cache_control(response, no_store=True, private=True)
        return response
