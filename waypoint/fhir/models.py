from django.conf import settings
from django.db import models
from django.utils import timezone

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

    class Meta:
        ordering = ["recipient"]

    def __str__(self) -> str:
        return f"{self.recipient} ({self.get_purpose_display()})"
