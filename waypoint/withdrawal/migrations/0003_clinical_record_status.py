"""Assessment onto the ClinicalRecord base: `status` becomes `record_status` (same values: final, amended,
entered_in_error), so every clinical record reads its correction state from one field of one vocabulary."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("withdrawal", "0002_assessment_indexes_for_scale")]

    operations = [
        migrations.RemoveIndex(model_name="assessment", name="assessment_series"),
        migrations.RenameField(model_name="assessment", old_name="status", new_name="record_status"),
        migrations.AlterField(
            model_name="assessment",
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
        migrations.AlterField(
            model_name="assessment", name="change_reason", field=models.TextField(blank=True, db_default="", default="")
        ),
        migrations.AddIndex(
            model_name="assessment",
            index=models.Index(
                fields=["patient", "instrument", "record_status", "taken_at", "id"], name="assessment_series"
            ),
        ),
    ]
