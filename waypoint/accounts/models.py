import hashlib
import secrets
import zoneinfo
from datetime import timedelta

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

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

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["program", "name"], name="unique_team_name")]

    def __str__(self) -> str:
        return self.name


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


class ProgramSettingValue(models.Model):
    """A program's own value for a declared setting (waypoint.accounts.program_settings)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="setting_values")
    key = models.CharField(max_length=80)
    value = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "key"], name="one_value_per_setting")]

    def __str__(self) -> str:
        return f"{self.program.slug}: {self.key} = {self.value}"
