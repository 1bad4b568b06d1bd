"""The SMART Backend Services endpoints: the token endpoint (POST /auth/token, a form, RFC 6749 answers) and the
discovery document (/.well-known/smart-configuration, also under /fhir/). Neither needs a signed-in user."""

from __future__ import annotations

from axes.helpers import get_client_ip_address
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import smart
from .search import supported_types

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 5.1: token answers are never cached


def token_url(request: HttpRequest) -> str:
    """The token endpoint's absolute URL: the `aud` every client assertion must name."""
    return request.build_absolute_uri(reverse("smart-token"))


@csrf_exempt  # a machine-to-machine form post authenticated by its signed assertion, not by a session
@login_not_required
@require_POST
def token(request: HttpRequest) -> JsonResponse:
    if request.content_type != "application/x-www-form-urlencoded":
        return JsonResponse(
            {"error": "invalid_request", "error_description": "Send the form as application/x-www-form-urlencoded."},
            status=400,
            headers=NO_STORE,
        )
    form = {key: request.POST.get(key, "") for key in request.POST}
    try:
        answer = smart.issue_token(form, token_url=token_url(request), address=get_client_ip_address(request))
    except smart.Throttled as exc:
        headers = {**NO_STORE, "Retry-After": str(exc.retry_after)}
        return JsonResponse(exc.body(), status=429, headers=headers)
    except smart.TokenError as exc:
        headers = dict(NO_STORE)
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Bearer error="invalid_client"'
        return JsonResponse(exc.body(), status=exc.status, headers=headers)
    return JsonResponse(answer, headers=NO_STORE)


@login_not_required
@require_GET
def configuration(request: HttpRequest) -> JsonResponse:
    return JsonResponse(smart.configuration(token_url(request), supported_types()))
