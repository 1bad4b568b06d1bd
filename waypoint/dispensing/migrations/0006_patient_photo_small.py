"""The small copy of each identity photo, for the queue's rows; made now for the photos taken before."""

from django.db import migrations, models


def make_small_copies(apps, schema_editor):
    from waypoint.dispensing.photos import small_copy

    photo = apps.get_model("dispensing", "PatientPhoto")
    for found in photo._base_manager.filter(small=b"").only("pk", "image", "content_type").iterator(chunk_size=50):
        small = small_copy(bytes(found.image), found.content_type)
        if small:  # one that does not decode keeps no copy: the queue shows the full photo
            photo._base_manager.filter(pk=found.pk).update(small=small)


class Migration(migrations.Migration):
    dependencies = [
        ("dispensing", "0005_patient_photo"),
    ]

    operations = [
        migrations.AddField(
            model_name="patientphoto",
            name="small",
            field=models.BinaryField(default=b""),
        ),
        migrations.RunPython(make_small_copies, migrations.RunPython.noop),
    ]
