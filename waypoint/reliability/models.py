"""One row per write a client asked for under a key: an API POST with an `Idempotency-Key` header, or a page
form with its one-time token. The row is inserted in the same transaction as the write itself, so a retry (or a
double click) either waits for the first attempt to commit and gets its answer back, or, when the first attempt
failed and rolled back, runs as the first attempt. Nothing is ever stored twice."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class Submission(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=300)  # "api:<Idempotency-Key>" or "form:<token>"
    request_hash = models.CharField(max_length=64)  # sha256 of method, path and body
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True, encoder=DjangoJSONEncoder)  # the API answer's data
    location = models.TextField(blank=True)  # where a page form's success redirected
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_submission_per_key")]
        indexes = [models.Index(fields=["created_at"], name="submission_created")]

    def __str__(self) -> str:
        return f"{self.key} by user {self.user_id}"
