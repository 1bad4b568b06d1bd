from django.db import migrations, models
from django.db.models import F

import django.utils.timezone


def from_recorded(apps, schema_editor):
    """Existing orders: last changed when recorded (a stop before this migration kept no time of its own)."""
    apps.get_model("medication", "MedicationOrder").objects.update(updated_at=F("recorded_at"))


class Migration(migrations.Migration):
    dependencies = [("medication", "0002_entered_in_error")]

    operations = [
        migrations.AddField(model_name="medicationorder", name="updated_at",
                            field=models.DateTimeField(default=django.utils.timezone.now)),
        migrations.RunPython(from_recorded, migrations.RunPython.noop),
    ]
