"""`Authorization: Bearer <token>` for the API.

The token, its user, their memberships and care teams are read in one query (`accounts.asking`), every request:
a revoked or expired token, or a deactivated user, fails on the very next request.

A SMART access token (a token with a `scope`, waypoint.fhir.smart) is accepted only by views that check its
scopes themselves (`accepts_scoped_tokens`, the FHIR API); everywhere else it is refused as if unknown."""

from rest_framework import authentication, exceptions

from .asking import load
from .models import ApiToken, hash_token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme != self.keyword:
            return None
        raw = raw.strip()
        if not raw:
            raise exceptions.AuthenticationFailed("The bearer token is missing.")
        found = load(ApiToken.objects.usable().filter(digest=hash_token(raw)), "user")
        if found is None:
            raise exceptions.AuthenticationFailed("The token is unknown, expired or revoked.")
        token, user = found
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if token.scope and not getattr(view, "accepts_scoped_tokens", False):
            raise exceptions.AuthenticationFailed("This access token is for the FHIR API (/fhir/) only.")
        return user, token

    def authenticate_header(self, request) -> str:
        return self.keyword
