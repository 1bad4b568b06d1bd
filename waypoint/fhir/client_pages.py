"""The page where a privacy officer or an administrator registers each external system's public keys (SMART
Backend Services): the key set, the URL it may be fetched from, and the system scopes it may be granted."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from waypoint.accounts.membership import program_or_403, require
from waypoint.accounts.roles import FHIR_CLIENT_KEYS

from . import smart
from .models import ExternalClient

MAX_JWKS_CHARS = 40000


def rows(program, failed: ExternalClient | None = None, errors: dict | None = None, typed: dict | None = None):
    found = []
    for client in ExternalClient.objects.filter(program=program).select_related("user").order_by("recipient", "pk"):
        keys = (client.jwks or {}).get("keys", [])
        mine = failed is not None and client.pk == failed.pk
        found.append(
            {
                "client": client,
                "keys": [{"kid": k.get("kid"), "kind": "RSA (RS384)" if k.get("kty") == "RSA" else "EC P-384 (ES384)"}
                         for k in keys],
                "jwks": (typed or {}).get("jwks") if mine else (json.dumps(client.jwks, indent=2) if keys else ""),
                "jwks_url": (typed or {}).get("jwks_url") if mine else client.jwks_url,
                "allowed_scopes": (typed or {}).get("allowed_scopes") if mine else client.allowed_scopes,
                "errors": (errors or {}) if mine else {},
            }
        )  # fmt: skip
    return found


def _page(request: HttpRequest, program, status: int = 200, **kwargs) -> HttpResponse:
    return render(
        request,
        "fhir/clients.html",
        {
            "program": program,
            "rows": rows(program, **kwargs),
            "token_url": request.build_absolute_uri(reverse("smart-token")),
            "configuration_url": request.build_absolute_uri(reverse("smart-configuration")),
            "token_minutes": smart.ACCESS_TOKEN_SECONDS // 60,
        },
        status=status,
    )


@require_GET
def client_list(request: HttpRequest) -> HttpResponse:
    program = program_or_403(request)
    require(request.user, program.pk, FHIR_CLIENT_KEYS)
    return _page(request, program)


@require_POST
def client_keys(request: HttpRequest, pk: int) -> HttpResponse:
    program = program_or_403(request)
    require(request.user, program.pk, FHIR_CLIENT_KEYS)  # refused here: the request's refusal is audited once
    client = get_object_or_404(ExternalClient.objects.select_related("user", "program"), pk=pk, program=program)
    typed = {name: request.POST.get(name, "") for name in ("jwks", "jwks_url", "allowed_scopes")}
    try:
        if len(typed["jwks"]) > MAX_JWKS_CHARS:
            raise ValidationError({"jwks": f"At most {MAX_JWKS_CHARS} characters."})
        smart.set_keys(
            acting_user=request.user,  # type: ignore[arg-type]
            client=client,
            jwks=typed["jwks"],
            jwks_url=typed["jwks_url"],
            allowed_scopes=typed["allowed_scopes"],
        )
    except ValidationError as error:
        errors = {field: " ".join(messages_) for field, messages_ in error.message_dict.items()}
        return _page(request, program, 400, failed=client, errors=errors, typed=typed)
    messages.success(request, f"The keys of {client.recipient} are saved; tokens under removed keys have ended.")
    return redirect(f"{reverse('fhir-clients:list')}#client-{client.pk}")
