"""`Authorization: Bearer <token>` for the API.

The token, its user, their memberships and care teams are read in one query (`accounts.asking`), every request:
a revoked or expired token, or a deactivated user, fails on the very next request."""

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
        return user, token

    def authenticate_header(self, request) -> str:
        return self.keyword
