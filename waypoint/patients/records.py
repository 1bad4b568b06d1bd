"""What clinical records that can be marked entered-in-error share: the mark (when, by whom, why) and the
`in_force()` queryset of the records not so marked. A marked record is kept, but counts in no figure or check."""

from django.conf import settings
from django.db import models

from waypoint.accounts.scoping import program_scoped


class InForceQuerySet(models.QuerySet):
    def in_force(self):
        """The records not marked entered-in-error."""
        return self.filter(entered_in_error_at__isnull=True)


class EnteredInError(models.Model):
    entered_in_error_at = models.DateTimeField(null=True, blank=True)  # kept, but out of every figure and check
    entered_in_error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    error_reason = models.TextField(blank=True)

    objects = program_scoped(InForceQuerySet)

    class Meta:
        abstract = True
