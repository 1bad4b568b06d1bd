"""SMART Backend Services (SMART App Launch 2.x, "Backend Services"; the ONC (g)(10) way a system authenticates):
a registered external system proves who it is with a JWT signed by its own private key (a client assertion,
RFC 7523) and receives a short-lived access token limited to the system scopes granted.

The assertion checks (each refusal is an RFC 6749 5.2 error, audited):
- `grant_type` is `client_credentials`; `client_assertion_type` is the jwt-bearer type;
- the JWT is signed with RS384 or ES384 (never `none`, never HS*: a public key is no shared secret) by a key of the
  client's registered key set, named by the header's `kid`;
- `iss` and `sub` are the client_id (the external system's username), `aud` is this token endpoint's URL;
- `exp` is in the future and at most 5 minutes ahead; `jti` was never used before (kept until its `exp`).

The token carries the granted scopes: the asked scopes intersected with the client's allowed ones and with what is
served (read `r` and search `s`; v1 `.read` is `rs`). The FHIR API checks them on every request
(`allows`, waypoint.fhir.http) on top of the consent rules every external system is held to (waypoint.fhir.access).
"""

from __future__ import annotations

import contextlib
import json
import re
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from waypoint.accounts.models import ApiToken, User
from waypoint.accounts.roles import FHIR_CLIENT_KEYS
from waypoint.audit import trail as audit
from waypoint.patients.access import has_permission

from .models import ExternalClient, RefusedTokenRequest, UsedAssertion
from .search import supported_types

GRANT_TYPE = "client_credentials"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("RS384", "ES384")
KEY_TYPES = {"RS384": "RSA", "ES384": "EC"}
MAX_ASSERTION_LIFETIME = timedelta(minutes=5)  # SMART Backend Services: exp no more than five minutes ahead
ACCESS_TOKEN_SECONDS = 300  # short-lived: a client asks again with a new assertion
SERVED = frozenset("rs")  # read and search: the FHIR API writes nothing
PERMISSION_ORDER = "cruds"
V1 = {"read": frozenset("rs"), "write": frozenset("cud"), "*": frozenset("cruds")}
SCOPE = re.compile(r"^system/(?P<type>\*|[A-Z][A-Za-z]{1,63})\.(?P<perms>read|write|\*|c?r?u?d?s?)$")
PRIVATE_PARTS = ("d", "p", "q", "dp", "dq", "qi", "k")
MAX_KEYS = 10
MAX_SCOPES = 60  # scopes read from one request (every type served, twice over)


@dataclass(frozen=True)
class Scope:
    resource_type: str  # or "*"
    perms: frozenset[str]
    v1: bool = False

    def __str__(self) -> str:
        if self.v1 and self.perms == V1["read"]:
            return f"system/{self.resource_type}.read"
        return f"system/{self.resource_type}.{''.join(p for p in PERMISSION_ORDER if p in self.perms)}"


def parse_scopes(text: str) -> list[Scope]:
    """The system scopes in a space-separated list; anything else (launch, openid, user/ or patient/ scopes,
    granular `?` scopes) is left out: a backend service is granted system scopes only."""
    found = []
    for word in text.split():
        match = SCOPE.match(word)
        if match is None or not match["perms"]:
            continue
        perms = match["perms"]
        v1 = perms in V1
        found.append(Scope(match["type"], V1[perms] if v1 else frozenset(perms), v1))
    return found


def grant(asked: str, allowed: str, served_types: frozenset[str] | None = None) -> str:
    """The scopes granted: each asked scope narrowed to what an allowed scope covers and to what is served (read and
    search; of the types served, when given)."""
    granted: list[str] = []
    for a in parse_scopes(asked)[:MAX_SCOPES]:
        for b in parse_scopes(allowed):
            if a.resource_type == "*":
                resource_type = b.resource_type
            elif b.resource_type in ("*", a.resource_type):
                resource_type = a.resource_type
            else:
                continue
            if served_types is not None and resource_type != "*" and resource_type not in served_types:
                continue
            perms = a.perms & b.perms & SERVED
            if perms:
                text = str(Scope(resource_type, frozenset(perms), a.v1))
                if text not in granted:
                    granted.append(text)
    return " ".join(granted)


def allows(scope: str, resource_type: str, needed: str) -> bool:
    """Whether the granted scopes cover every permission in `needed` (e.g. "r", "s", "rs") on the type ("*": every
    type, so only a wildcard scope covers it)."""
    return any(s.resource_type in ("*", resource_type) and set(needed) <= s.perms for s in parse_scopes(scope))


def supported_scopes(resource_types: list[str]) -> list[str]:
    words = ["system/*.rs", "system/*.read"]
    for resource_type in resource_types:
        words += [f"system/{resource_type}.rs", f"system/{resource_type}.read"]
    return words


# --- the key set a client registers -------------------------------------------------------------------------------


def check_jwks(jwks: Any) -> dict:
    """A JWKS of public RSA or EC P-384 keys, each with its `kid`; raises ValidationError naming `jwks`."""
    if isinstance(jwks, str):
        try:
            jwks = json.loads(jwks) if jwks.strip() else {"keys": []}
        except ValueError as exc:
            raise ValidationError({"jwks": f"The key set is not JSON: {exc}."}) from exc
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise ValidationError({"jwks": 'Give a JSON Web Key Set: {"keys": [ ...public keys... ]}.'})
    keys = jwks["keys"]
    if len(keys) > MAX_KEYS:
        raise ValidationError({"jwks": f"At most {MAX_KEYS} keys."})
    kids: set[str] = set()
    for n, key in enumerate(keys, start=1):
        if not isinstance(key, dict):
            raise ValidationError({"jwks": f"Key {n} is not a JSON object."})
        kid = key.get("kid")
        if not isinstance(kid, str) or not kid.strip():
            raise ValidationError({"jwks": f"Key {n} has no kid: each key needs the id its assertions name."})
        if kid in kids:
            raise ValidationError({"jwks": f"Two keys have the kid {kid!r}."})
        kids.add(kid)
        if any(part in key for part in PRIVATE_PARTS):
            raise ValidationError({"jwks": f"Key {kid!r} holds a private part: register the public key only."})
        kty = key.get("kty")
        if kty not in ("RSA", "EC"):
            raise ValidationError({"jwks": f"Key {kid!r}: kty must be RSA (RS384) or EC (ES384)."})
        if kty == "EC" and key.get("crv") != "P-384":
            raise ValidationError({"jwks": f"Key {kid!r}: an EC key must be on the P-384 curve (ES384)."})
        alg = key.get("alg")
        if alg is not None and alg not in ALGORITHMS:
            raise ValidationError({"jwks": f"Key {kid!r}: alg must be RS384 or ES384."})
        try:
            jwt.PyJWK(key, algorithm="RS384" if kty == "RSA" else "ES384")
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
            raise ValidationError({"jwks": f"Key {kid!r} is not a valid public key: {exc}."}) from exc
    return {"keys": keys}


def check_scopes(text: str) -> str:
    scopes = parse_scopes(text)
    if not scopes or len(scopes) != len(text.split()):
        raise ValidationError(
            {"allowed_scopes": "Give system scopes separated by spaces, e.g. system/*.rs or system/Observation.rs."}
        )
    return " ".join(str(s) for s in scopes)


def may_manage_keys(user: User, program_id: int) -> bool:
    return has_permission(user, program_id, FHIR_CLIENT_KEYS)


def set_keys(
    *, acting_user: User, client: ExternalClient, jwks: Any, jwks_url: str = "", allowed_scopes: str | None = None
) -> ExternalClient:
    """Register (replace) a client's public key set, the URL it may be fetched from and its allowed scopes. A
    privacy officer or an administrator of the client's program. Access tokens issued under a key that is no longer
    in the set (or under scopes no longer allowed) are revoked at once. Audited; a refusal too."""
    if not may_manage_keys(acting_user, client.program_id):
        audit.record(acting_user, "fhir.client.keys", program=client.program, obj=client, outcome="denied")
        raise PermissionDenied("Only a privacy officer or an administrator of the program may change client keys.")
    return _set_keys(acting_user, client, jwks, jwks_url, allowed_scopes)


@transaction.atomic
def _set_keys(
    acting_user: User, client: ExternalClient, jwks: Any, jwks_url: str, allowed_scopes: str | None
) -> ExternalClient:
    keys = check_jwks(jwks)
    errors: dict[str, str | list[str]] = {}
    jwks_url = (jwks_url or "").strip()
    if jwks_url and not jwks_url.startswith("https://"):
        errors["jwks_url"] = "The key set URL must start with https://."
    scopes = previous_scopes = client.allowed_scopes
    if allowed_scopes is not None:
        try:
            scopes = check_scopes(allowed_scopes)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    before = {k["kid"] for k in (client.jwks or {}).get("keys", [])}
    after = {k["kid"] for k in keys["keys"]}
    removed = sorted(before - after)
    client.jwks, client.jwks_url, client.allowed_scopes = keys, jwks_url, scopes
    client.save(update_fields=["jwks", "jwks_url", "allowed_scopes"])
    revoked = 0
    if scopes != previous_scopes:  # the tokens granted under the old scopes end now
        revoked = revoke_tokens(client)
    elif removed:  # the tokens issued under a removed key end now
        revoked = revoke_tokens(client, kids=removed)
    audit.record(
        acting_user,
        "fhir.client.keys",
        program=client.program,
        obj=client,
        detail={
            "client_id": client.user.username,
            "kids": sorted(after),
            "removed": removed,
            "jwks_url": jwks_url,
            "allowed_scopes": scopes,
            "tokens_revoked": revoked,
        },
    )
    return client


def revoke_tokens(client: ExternalClient, *, kids: list[str] | None = None) -> int:
    """Revoke the client's unexpired SMART access tokens (those issued under these kids; None: all)."""
    tokens = ApiToken.objects.filter(user=client.user, revoked_at__isnull=True).exclude(scope="")
    if kids is not None:
        tokens = tokens.filter(label__in=[token_label(kid) for kid in kids])
    return tokens.update(revoked_at=timezone.now())


def token_label(kid: str) -> str:
    return f"SMART backend services, key {kid}"[:100]


def fetch_jwks(url: str) -> dict:
    """The key set at the client's URL: fetched only when the server allows it (SMART_JWKS_URL_FETCH), https only,
    at most 64 KiB, 5 seconds."""
    if not url.startswith("https://"):
        raise ValueError("not https")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 (https checked above)
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310  # nosec B310 (https checked above)
        return check_jwks(json.loads(answer.read(65536)))


# --- the token endpoint -------------------------------------------------------------------------------------------


class TokenError(Exception):
    """An RFC 6749 section 5.2 error answer."""

    def __init__(self, error: str, description: str, client: ExternalClient | None = None) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.client = client

    @property
    def status(self) -> int:
        return 401 if self.error == "invalid_client" else 400

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def _keys_of(client: ExternalClient) -> list[dict]:
    keys = list((client.jwks or {}).get("keys", []))
    if client.jwks_url and settings.SMART_JWKS_URL_FETCH:
        # unreachable or invalid: the stored keys still answer; a key only at the URL is then unknown
        with contextlib.suppress(OSError, ValueError, ValidationError):
            keys += fetch_jwks(client.jwks_url)["keys"]
    return keys


def _client_for(assertion: str) -> tuple[ExternalClient, dict]:
    try:
        header = jwt.get_unverified_header(assertion)
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise TokenError("invalid_client", f"client_assertion is not a JWT: {exc}.") from exc
    iss, sub = claims.get("iss"), claims.get("sub")
    if not isinstance(iss, str) or not iss:
        raise TokenError("invalid_client", "The assertion's iss must be your client_id.")
    client = ExternalClient.objects.select_related("user", "program").filter(user__username=iss).first()
    if client is None:
        raise TokenError("invalid_client", f"No client is registered with the client_id {iss!r}.")
    if sub != iss:
        raise TokenError("invalid_client", "The assertion's sub must equal its iss (your client_id).", client)
    if not client.user.is_active:
        raise TokenError("invalid_client", "This client is deactivated.", client)
    return client, header


def _verify(client: ExternalClient, assertion: str, header: dict, token_url: str, now: datetime) -> dict:
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise TokenError("invalid_client", f"The assertion must be signed with RS384 or ES384, not {alg!r}.", client)
    kid = header.get("kid")
    key = next((k for k in _keys_of(client) if k.get("kid") == kid), None) if isinstance(kid, str) else None
    if key is None:
        raise TokenError("invalid_client", f"No registered key of this client has the kid {kid!r}.", client)
    if key.get("kty") != KEY_TYPES[alg] or key.get("alg", alg) != alg:
        raise TokenError("invalid_client", f"The key {kid!r} is not a key for {alg}.", client)
    try:
        public = jwt.PyJWK(key, algorithm=alg).key
        claims = jwt.decode(
            assertion,
            key=public,
            algorithms=[alg],
            audience=token_url,
            issuer=client.user.username,
            options={"require": ["iss", "sub", "aud", "exp", "jti"], "verify_iat": False},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("invalid_client", "The assertion has expired (exp is past).", client) from exc
    except jwt.InvalidAudienceError as exc:
        raise TokenError(
            "invalid_client", f"The assertion's aud must be the token endpoint, {token_url}.", client
        ) from exc
    except jwt.MissingRequiredClaimError as exc:
        raise TokenError("invalid_client", f"The assertion has no {exc.claim} claim.", client) from exc
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise TokenError("invalid_client", f"The assertion is not valid: {exc}.", client) from exc
    if claims["exp"] - now.timestamp() > MAX_ASSERTION_LIFETIME.total_seconds():
        raise TokenError("invalid_client", "The assertion's exp is more than 5 minutes ahead.", client)
    if not isinstance(claims["jti"], str) or not claims["jti"] or len(claims["jti"]) > 255:
        raise TokenError("invalid_client", "The assertion's jti must be a string of 1 to 255 characters.", client)
    claims["kid"] = kid
    return claims


def _once(client: ExternalClient, jti: str, exp: float, now: datetime) -> None:
    """Remember the jti until its assertion expires; a jti seen before is a replay."""
    UsedAssertion.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            UsedAssertion.objects.create(client=client, jti=jti, expires_at=datetime.fromtimestamp(exp, tz=UTC))
    except IntegrityError as exc:
        raise TokenError("invalid_client", "This assertion's jti was used before (replay refused).", client) from exc


class Throttled(Exception):
    """Too many refused token requests from one address: answered 429 with Retry-After, nothing checked."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after

    def body(self) -> dict[str, str]:
        minutes = settings.SMART_TOKEN_COOLOFF_MINUTES
        return {
            "error": "invalid_request",
            "error_description": f"Too many refused token requests from this address in {minutes:g} minutes: "
            f"try again in {self.retry_after} seconds with a valid client assertion.",
        }


def throttle(address: str, now: datetime) -> None:
    """Raise Throttled when this address made SMART_TOKEN_FAILURES refused token requests within the cool-off time
    (one indexed read: a throttled request writes nothing, so a flood cannot fill the audit trail)."""
    since = now - timedelta(minutes=settings.SMART_TOKEN_COOLOFF_MINUTES)
    limit = settings.SMART_TOKEN_FAILURES
    newest = list(
        RefusedTokenRequest.objects.filter(address=address, at__gte=since)
        .order_by("-at")
        .values_list("at", flat=True)[:limit]
    )
    if len(newest) >= limit:
        # open again when the oldest of the newest `limit` refusals leaves the cool-off window
        raise Throttled(max(1, int((newest[-1] - since).total_seconds()) + 1))


def _remember_refusal(address: str, client: ExternalClient | None, now: datetime) -> None:
    """Keep this refusal for the cool-off time (older ones are dropped); the refusal that reaches the limit is
    audited as the start of the throttle, once."""
    cooloff = timedelta(minutes=settings.SMART_TOKEN_COOLOFF_MINUTES)
    RefusedTokenRequest.objects.filter(at__lt=now - cooloff).delete()
    RefusedTokenRequest.objects.create(address=address, at=now)
    refused = RefusedTokenRequest.objects.filter(address=address, at__gte=now - cooloff).count()
    if refused == settings.SMART_TOKEN_FAILURES:
        audit.record(
            client.user if client else None,
            "fhir.smart.throttle",
            program=client.program if client else None,
            obj=client,
            outcome="denied",
            detail={"address": address, "refused": refused, "minutes": settings.SMART_TOKEN_COOLOFF_MINUTES},
        )


def issue_token(form: Mapping[str, str], *, token_url: str, address: str) -> dict[str, Any]:
    """Answer a token request (the form of POST /auth/token) from `address`: the access token, TokenError, or
    Throttled after too many refusals from that address. Audited: `fhir.smart.token` (outcome success or denied,
    with the error); a throttle's start as `fhir.smart.throttle` (the throttled requests themselves are not)."""
    throttle(address, timezone.now())
    client: ExternalClient | None = None
    try:
        with transaction.atomic():
            answer, client = _issue(form, token_url)
            audit.record(
                client.user,
                "fhir.smart.token",
                program=client.program,
                obj=client,
                detail={"client_id": client.user.username, "scope": answer["scope"], "kid": answer.pop("_kid")},
            )
        return answer
    except TokenError as exc:
        client = exc.client
        with transaction.atomic():
            audit.record(
                client.user if client else None,
                "fhir.smart.token",
                program=client.program if client else None,
                obj=client,
                outcome="denied",
                detail={
                    "error": exc.error,
                    "reason": exc.description,
                    "client_id": str(form.get("client_id", ""))[:200],
                },
            )
            _remember_refusal(address, client, timezone.now())
        raise


def _issue(form: Mapping[str, str], token_url: str) -> tuple[dict[str, Any], ExternalClient]:
    now = timezone.now()
    grant_type = form.get("grant_type", "")
    if grant_type != GRANT_TYPE:
        raise TokenError("unsupported_grant_type", f"grant_type must be {GRANT_TYPE}.")
    if form.get("client_assertion_type", "") != ASSERTION_TYPE:
        raise TokenError("invalid_client", f"client_assertion_type must be {ASSERTION_TYPE}.")
    assertion = form.get("client_assertion", "")
    if not assertion:
        raise TokenError("invalid_client", "client_assertion is missing: send a JWT signed with your private key.")
    client, header = _client_for(assertion)
    claims = _verify(client, assertion, header, token_url, now)
    asked = form.get("scope", "")
    if not asked.strip():
        raise TokenError("invalid_scope", "Ask for scopes, e.g. scope=system/Observation.rs.", client)
    granted = grant(asked, client.allowed_scopes, frozenset(supported_types()) | {"Group"})
    if not granted:
        raise TokenError(
            "invalid_scope",
            f"None of the scopes asked is allowed to this client (allowed: {client.allowed_scopes}; "
            "this server serves read and search only).",
            client,
        )
    _once(client, claims["jti"], claims["exp"], now)
    _, raw = ApiToken.issue_scoped(
        client.user, scope=granted, seconds=ACCESS_TOKEN_SECONDS, label=token_label(claims["kid"])
    )
    answer = {
        "access_token": raw,
        "token_type": "bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
        "scope": granted,
        "_kid": claims["kid"],
    }
    return answer, client


def configuration(token_url: str, resource_types: list[str]) -> dict[str, Any]:
    """/.well-known/smart-configuration (SMART App Launch 2.x), for backend services."""
    return {
        "token_endpoint": token_url,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
        "grant_types_supported": [GRANT_TYPE],
        "scopes_supported": supported_scopes(resource_types),
        "capabilities": ["client-confidential-asymmetric", "permission-v2", "permission-v1"],
    }
