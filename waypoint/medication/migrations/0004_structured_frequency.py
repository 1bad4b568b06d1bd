"""Frequency becomes structured: doses per day and a minimum interval, the old text kept as an added instruction.

Existing orders are read once: "once daily" / "twice daily" / "three times daily" / "four times daily" (and
"daily", "BID", "TID", "QID") give the doses per day; "every N hours" gives N hours apart and at most 24 / N doses
per day. Text that says neither stays as it was with no doses per day: the medication page flags such an order
for the prescriber to re-order, and nothing is guessed."""

import re

from django.db import migrations, models

WORDS = {
    1: r"once (a )?dai?ly|once a day|^daily$|^qd$|every morning|daily",
    2: r"twice (a )?daily|twice a day|two times (a )?da(il)?y|\bbid\b",
    3: r"three times (a )?da(il)?y|\btid\b",
    4: r"four times (a )?da(il)?y|\bqid\b",
}
EVERY = re.compile(r"every (\d+(?:\.\d+)?) ?(?:h|hours?|hrs?)\b")


def parse(text: str) -> tuple[int | None, int | None]:
    """(doses per day, minimum minutes apart) read from an order's frequency text, or (None, None)."""
    text = (text or "").strip().lower()
    every = EVERY.search(text)
    if every:
        hours = float(every.group(1))
        if 0 < hours <= 24:
            return max(1, int(24 // hours)), round(hours * 60)
    for times in (4, 3, 2, 1):
        if re.search(WORDS[times], text):
            return times, None
    return None, None


def structure(apps, schema_editor):
    Order = apps.get_model("medication", "MedicationOrder")
    for order in Order.objects.all().only("pk", "frequency"):
        times, minutes = parse(order.frequency)
        if times is not None:
            Order.objects.filter(pk=order.pk).update(times_per_day=times, min_interval_minutes=minutes)


class Migration(migrations.Migration):
    dependencies = [("medication", "0003_order_updated_at")]

    operations = [
        migrations.AddField(
            model_name="medicationorder", name="times_per_day", field=models.PositiveSmallIntegerField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="medicationorder", name="min_interval_minutes", field=models.PositiveIntegerField(blank=True, null=True)
        ),
        migrations.AddField(model_name="medicationorder", name="agonist_override_reason", field=models.TextField(blank=True)),
        migrations.AlterField(model_name="medicationorder", name="frequency", field=models.CharField(blank=True, max_length=120)),
        migrations.AddField(model_name="administration", name="cows_override_reason", field=models.TextField(blank=True)),
        migrations.RunPython(structure, migrations.RunPython.noop),
    ]
