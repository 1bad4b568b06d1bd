"""Complication screens, naloxone kits, overdose education, refusals and use events onto the ClinicalRecord
base: each gains the shared status fields; every existing row is `final` (none could be corrected before)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ("education", "naloxonekit", "refusal", "screen", "useevent")
STATUSES = [("final", "Final"), ("amended", "Replaced by an amendment"), ("entered_in_error", "Entered in error")]


def status_fields(model: str) -> list[migrations.AddField]:
    return [
        migrations.AddField(
            model_name=model, name="change_reason", field=models.TextField(blank=True, db_default="", default="")
        ),
        migrations.AddField(
            model_name=model,
            name="record_status",
            field=models.CharField(choices=STATUSES, db_default="final", default="final", max_length=20),
        ),
        migrations.AddField(
            model_name=model, name="status_changed_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name=model,
            name="status_changed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [operation for model in MODELS for operation in status_fields(model)]
