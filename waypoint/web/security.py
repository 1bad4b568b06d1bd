"""Security headers Django 5.2 does not send itself: a Content-Security-Policy without inline script.

Every page loads its script (htmx, from django_htmx's static files) and its style sheet from this origin;
no template carries a <script> body, a style="" attribute or an on*="" handler, so the policy allows
neither inline script nor inline style. X-Frame-Options, Referrer-Policy, nosniff and HSTS come from
Django's SecurityMiddleware and XFrameOptionsMiddleware (settings.py).
"""

from django.conf import settings

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
