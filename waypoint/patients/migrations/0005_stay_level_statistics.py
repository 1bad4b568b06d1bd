"""PostgreSQL's planner told how a stay's level and its end go together (extended statistics), so that it knows how
few stays are open at the withdrawal levels.

It estimated them as if the two were independent: with 107,872 stays at 3.7-WM of which 500 open, and 13,420 open
stays of every level, it expected 4,418 open withdrawal stays instead of 500, and planned the board for that many
(every patient of the program hashed to join the stays to their names: 25 ms of the board's 46 in the database at
full scale). A most-common-values list over (level_code, ended_at) counts the open stays of each level (an open stay's
ended_at is NULL, the one common value). SQLite has no such statistics: nothing to do there.
"""

from django.db import migrations

CREATE = "CREATE STATISTICS IF NOT EXISTS stay_open_levels (mcv) ON level_code, ended_at FROM patients_levelofcarestay"
DROP = "DROP STATISTICS IF EXISTS stay_open_levels"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("patients", "0004_allergy")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
