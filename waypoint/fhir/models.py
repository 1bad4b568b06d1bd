from django.conf import settings
from django.db import models
from django.utils import timezone

from waypoint.accounts.scoping import program_scoped
from waypoint.privacy.models import Purpose


class ExternalClient(models.Model):
    """A registered external system (hospital, health information exchange, state system) that receives records
    over the FHIR API. Not program staff: its account holds the role `external_system` in one program and
    authenticates with an API token. It receives a patient's Part 2 records only under an active consent that
    names `recipient` (as written on the consent) for `purpose`; each release is recorded as a disclosure."""

    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="external_client")
    recipient = models.CharField(max_length=200)
    purpose = models.CharField(max_length=30, choices=Purpose.choices, default=Purpose.TREATMENT)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    registered_at = models.DateTimeField(default=timezone.now)
    # SMART Backend Services (waypoint.fhir.smart): the public keys its signed client assertions are checked with
    # (a JWKS: {"keys": [...]}, private parts refused), an optional URL to fetch them from (only when the server
    # allows fetching: settings.SMART_JWKS_URL_FETCH), and the system scopes it may be granted.
    jwks = models.JSONField(default=dict, blank=True)
    jwks_url = models.URLField(max_length=500, blank=True)
    allowed_scopes = models.CharField(max_length=1000, default="system/*.rs")

    class Meta:
        ordering = ["recipient"]

    def __str__(self) -> str:
        return f"{self.recipient} ({self.get_purpose_display()})"


class ResourceVersion(models.Model):
    """One version of a served FHIR resource: the content it had when it was first served in that form.

    Versions are assigned where resources leave the server (read, search, bulk export; `waypoint.fhir.versions`):
    a resource whose content differs from its latest version's gets the next number. So `meta.versionId` moves on
    every change a client can see (amendment, entered in error, a stop, a signature), and `_history/n` (vread)
    answers the content of each version served. A derived record of what was sent, not clinical data: it is
    never edited, and a change of the record itself is audited by the service that made it."""

    # Every read names the resource (`fhir_version_unique` serves it, newest version first too): no index of its own
    # on the program, nor a second one on (type, id, version), which every export's thousands of new rows maintained.
    # No database constraint either: PostgreSQL checks a foreign key row by row (a query each at commit), about a
    # fifth of what a first export's versions cost the database; every version is written by `versions.insert` for
    # the program in scope of the request or export that served it, and a program is never deleted (PROTECT).
    program = models.ForeignKey(
        "accounts.Program", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    resource_type = models.CharField(max_length=64)
    resource_id = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)  # sha256 of the content without meta.versionId
    # The content as served, without meta.versionId: the canonical JSON (sorted keys) its digest was taken of, kept
    # as text. Nothing queries inside it, and jsonb parsed every content on insert, about a third of what a bulk
    # export's ledger cost the database (every resource of a first export is a new version).
    content = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource_type", "resource_id", "version"], name="fhir_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.resource_id}/_history/{self.version}"


class UsedAssertion(models.Model):
    """A client assertion's `jti`, kept until the assertion expires, so that the same assertion is never accepted
    twice (replay). Not clinical data."""

    client = models.ForeignKey(ExternalClient, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "jti"], name="fhir_assertion_jti_once")]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.jti}"


class RefusedTokenRequest(models.Model):
    """A refused request at the SMART token endpoint, kept for the cool-off time: past the limit, an address's token
    requests are answered 429 without being checked (waypoint.fhir.smart.throttle). Not clinical data."""

    address = models.GenericIPAddressField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["address", "at"], name="fhir_refused_token_at")]

    def __str__(self) -> str:
        return f"{self.address} at {self.at:%Y-%m-%d %H:%M:%S}"
