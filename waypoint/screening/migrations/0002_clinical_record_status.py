"""Complication screens, naloxone kits, overdose education, refusals and use events onto the ClinicalRecord
base: each gains the shared status fields; every existing row is `final` (none could be corrected before)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="education",
            name="change_reason",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.AddField(
            model_name="education",
            name="record_status",
            field=models.CharField(
                choices=[
                    ("final", "Final"),
                    ("amended", "Replaced by an amendment"),
                    ("entered_in_error", "Entered in error"),
                ],
                db_default="final",
                default="final",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="education",
            name="status_changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="education",
            name="status_changed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="naloxonekit",
            name="change_reason",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.AddField(
            model_name="naloxonekit",
            name="record_status",
            field=models.CharField(
                choices=[
                    ("final", "Final"),
                    ("amended", "Replaced by an amendment"),
                    ("entered_in_error", "Entered in error"),
                ],
                db_default="final",
                default="final",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="naloxonekit",
            name="status_changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="naloxonekit",
            name="status_changed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="refusal",
            name="change_reason",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.AddField(
            model_name="refusal",
            name="record_status",
            field=models.CharField(
                choices=[
                    ("final", "Final"),
                    ("amended", "Replaced by an amendment"),
                    ("entered_in_error", "Entered in error"),
                ],
                db_default="final",
                default="final",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="refusal",
            name="status_changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="refusal",
            name="status_changed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="screen",
            name="change_reason",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.AddField(
            model_name="screen",
            name="record_status",
            field=models.CharField(
                choices=[
                    ("final", "Final"),
                    ("amended", "Replaced by an amendment"),
                    ("entered_in_error", "Entered in error"),
                ],
                db_default="final",
                default="final",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="screen",
            name="status_changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="screen",
            name="status_changed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="useevent",
            name="change_reason",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.AddField(
            model_name="useevent",
            name="record_status",
            field=models.CharField(
                choices=[
                    ("final", "Final"),
                    ("amended", "Replaced by an amendment"),
                    ("entered_in_error", "Entered in error"),
                ],
                db_default="final",
                default="final",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="useevent",
            name="status_changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="useevent",
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
