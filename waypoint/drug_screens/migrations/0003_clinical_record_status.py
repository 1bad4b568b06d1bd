"""Drugscreen onto the ClinicalRecord base: the entered-in-error mark (when, by whom, why) becomes the shared status
fields (status_changed_at, status_changed_by, change_reason) and `record_status` says `entered_in_error` for
every row that was marked, `final` for the others. No row is added or lost; no value changes."""

from django.db import migrations, models

IN_ERROR = "entered_in_error"


def status_from_mark(apps, schema_editor):
    model = apps.get_model("drug_screens", "drugscreen")
    model._base_manager.filter(status_changed_at__isnull=False).update(record_status=IN_ERROR)


def mark_from_status(apps, schema_editor):
    """Backwards: the mark is the rename reversed; a row marked in error keeps its time, user and reason."""


class Migration(migrations.Migration):
    dependencies = [("drug_screens", "0002_entered_in_error")]

    operations = [
        migrations.RenameField(model_name="drugscreen", old_name="entered_in_error_at", new_name="status_changed_at"),
        migrations.RenameField(model_name="drugscreen", old_name="entered_in_error_by", new_name="status_changed_by"),
        migrations.RenameField(model_name="drugscreen", old_name="error_reason", new_name="change_reason"),
        migrations.AddField(
            model_name="drugscreen",
            name="record_status",
            field=models.CharField(
                choices=[("final", "Final"), ("amended", "Replaced by an amendment"), (IN_ERROR, "Entered in error")],
                db_default="final",
                default="final",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="drugscreen", name="change_reason", field=models.TextField(blank=True, db_default="", default="")
        ),
        migrations.RunPython(status_from_mark, mark_from_status),
    ]
