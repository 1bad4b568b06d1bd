import hashlib
import secrets
import zoneinfo
from datetime import date, datetime, timedelta

from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from waypoint.placement.levels import EDITIONS, level

from .roles import Role


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone.")


class Program(models.Model):
    """A treatment site: the unit of data ownership. Every clinical row carries its program."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    asam_edition = models.PositiveSmallIntegerField(choices=sorted(EDITIONS.items()), default=3)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def today(self) -> date:
        """The program's calendar day now (its time zone, not the server's UTC date): what "today" means for a
        consent's dates, a dose day or a follow-up due, also in the hours after the program's midnight."""
        return timezone.localdate(timezone=self.tz)

    def day_of(self, at: datetime) -> date:
        """The program's calendar day at the instant `at` (its time zone): the day a dose or a plan falls on."""
        return at.astimezone(self.tz).date()


class ProgramLevel(models.Model):
    """A level of care the program offers, with its capacity (beds or outpatient slots)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="levels")
    code = models.CharField(max_length=16)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "code"], name="one_level_code_per_program")]

    def __str__(self) -> str:
        return self.level.label

    def clean(self) -> None:
        level(self.program.asam_edition, self.code)

    @property
    def level(self):
        return level(self.program.asam_edition, self.code)


class User(AbstractUser):
    """A staff member. Unique identification: one account per person, never shared."""

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Membership(models.Model):
    """A user's role in one program."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "program"], name="one_role_per_program")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}, {self.program}"


class CareTeam(models.Model):
    """The staff who look after a group of patients; nurses, prescribers and counselors see only these."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="care_teams")
    name = models.CharField(max_length=120)
    members = models.ManyToManyField(User, related_name="care_teams", blank=True)
    # The levels of care whose patients this team looks after (codes); empty: every level of the program.
    levels = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["program", "name"], name="unique_team_name")]

    def __str__(self) -> str:
        return self.name

    def covers(self, level_code: str) -> bool:
        return not self.levels or level_code in self.levels


class BrowserSession(AbstractBaseSession):
    """A browser's session (SESSION_ENGINE `waypoint.accounts.session_store`), with its signed-in user as a column
    (none before sign-in), so that the session, its user, their memberships and care teams are read by one query
    (accounts.asking), and a user's sessions are found without decoding every session."""

    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # The second factor this session passed (django-otp keeps it in the session data as a persistent id), as a column
    # per kind of device so the one query reads it too; removing the device clears it (the session is then unverified).
    totp_device = models.ForeignKey(
        "otp_totp.TOTPDevice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recovery_codes = models.ForeignKey(
        "accounts.RecoveryCodeDevice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    passkey = models.ForeignKey(
        "django_otp_webauthn.WebAuthnCredential", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    SECOND_FACTORS = ("totp_device", "recovery_codes", "passkey")

    @classmethod
    def get_session_store_class(cls):
        from .session_store import SessionStore

        return SessionStore


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # SMART Backend Services (waypoint.fhir.smart): the system scopes an access token was granted, e.g.
    # "system/Observation.rs"; it is then accepted by the FHIR API only and only for those. Blank: an API token.
    scope = models.CharField(max_length=2000, blank=True, default="")

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, user: User, *, days: int = 90, label: str = "") -> tuple["ApiToken", str]:
        raw = "wp_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            digest=hash_token(raw),
            prefix=raw[:8],
            label=label,
            expires_at=timezone.now() + timedelta(days=days),
        )
        return token, raw

    @classmethod
    def issue_scoped(cls, user: User, *, scope: str, seconds: int, label: str = "") -> tuple["ApiToken", str]:
        """A short-lived access token limited to SMART system scopes (only its SHA-256 is stored)."""
        raw = "wps_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            digest=hash_token(raw),
            prefix=raw[:8],
            label=label,
            scope=scope,
            expires_at=timezone.now() + timedelta(seconds=seconds),
        )
        return token, raw


class ProgramSettingValue(models.Model):
    """A program's own value for a declared setting (waypoint.accounts.program_settings)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="setting_values")
    key = models.CharField(max_length=80)
    value = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "key"], name="one_value_per_setting")]

    def __str__(self) -> str:
        return f"{self.program.slug}: {self.key} = {self.value}"


def recovery_digest(code: str) -> str:
    """Recovery codes are 80 random bits; only their SHA-256 is stored (like API tokens)."""
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """One-time recovery codes for the second factor, a django-otp device of its own.

    django-otp's StaticDevice keeps its tokens in clear text; here only each code's SHA-256 is kept, the codes
    themselves are shown once when they are made. A used code is marked used and never accepted again.
    """

    COUNT = 10

    class Meta(Device.Meta):
        verbose_name = "recovery code set"

    def get_throttle_factor(self) -> int:
        from django.conf import settings

        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        code = self.codes.filter(digest=recovery_digest(str(token)), used_at__isnull=True).first()
        if code is None:
            self.throttle_increment(commit=True)
            return False
        code.used_at = timezone.now()
        code.save(update_fields=["used_at"])
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True

    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()

    def replace_codes(self) -> list[str]:
        """Void every earlier code and make COUNT new ones; returns them (the only time they exist in clear)."""
        self.codes.all().delete()
        alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
        made = []
        for _ in range(self.COUNT):
            raw = "".join(secrets.choice(alphabet) for _ in range(16))
            made.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
        RecoveryCode.objects.bulk_create([RecoveryCode(device=self, digest=recovery_digest(c)) for c in made])
        return made


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of {self.device.user} ({'used' if self.used_at else 'unused'})"


class TypedEntries(models.Model):
    """What a user had typed into a form when their session timed out: kept for them alone, per form (its
    page's path), and given back once when they sign in again within the program's window."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=500)
    entries = models.JSONField()
    kept_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "path"], name="typed_entries_one_per_form")]

    def __str__(self) -> str:
        return f"typed entries of {self.user} on {self.path}"
