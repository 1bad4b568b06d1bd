"""The API for an external system's SMART keys: GET and PUT /api/v1/fhir-clients/{id}/keys/ (a privacy officer
or an administrator of its program; another program's client answers 404)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from waypoint.accounts.membership import memberships
from waypoint.web.api import ApiView, StrictSerializer

from . import smart
from .models import ExternalClient


class KeysIn(StrictSerializer):
    jwks = serializers.JSONField(help_text='The public key set: {"keys": [...]}, RSA (RS384) or EC P-384 (ES384).')
    jwks_url = serializers.URLField(required=False, allow_blank=True, default="", max_length=500)
    allowed_scopes = serializers.CharField(required=False, max_length=1000, help_text="e.g. system/*.rs")


class KeysOut(serializers.Serializer):
    client_id = serializers.CharField(source="user.username")
    recipient = serializers.CharField()
    purpose = serializers.CharField()
    jwks = serializers.JSONField()
    jwks_url = serializers.CharField()
    allowed_scopes = serializers.CharField()


def client_of(user, pk: int) -> ExternalClient:
    """A client of one of the user's programs (another program's: 404, like any record there), for a privacy
    officer or an administrator of that program (else 403; the request's refusal is audited once, as every one)."""
    programs = [m.program_id for m in memberships(user)]
    client = ExternalClient.objects.select_related("user", "program").filter(pk=pk, program__in=programs).first()
    if client is None:
        raise Http404
    if not smart.may_manage_keys(user, client.program_id):
        raise PermissionDenied("Only a privacy officer or an administrator of the program manages client keys.")
    return client


class ClientKeysView(ApiView):
    @extend_schema(responses=KeysOut)
    def get(self, request, pk):
        """The external system's registered public keys, key set URL and allowed scopes."""
        client = client_of(request.user, pk)
        return Response(KeysOut(client).data)

    @extend_schema(request=KeysIn, responses=KeysOut)
    def put(self, request, pk):
        """Replace the key set (and, if given, the allowed scopes): tokens under a removed key end at once.
        400 names the field (jwks, jwks_url, allowed_scopes); nothing is saved."""
        client = client_of(request.user, pk)
        serializer = KeysIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        client = smart.set_keys(
            acting_user=request.user,
            client=client,
            jwks=data["jwks"],
            jwks_url=data.get("jwks_url", ""),
            allowed_scopes=data.get("allowed_scopes"),
        )
        return Response(KeysOut(client).data)
