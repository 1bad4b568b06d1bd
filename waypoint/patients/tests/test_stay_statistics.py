"""What PostgreSQL's planner is told about the stays (migration 0005) and about the cost of reading out of order
(settings: DATABASE_RANDOM_PAGE_COST), so the board is planned from its 500 open stays, not from every patient."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_planner_prices_a_random_read_for_memory_and_ssd_and_knows_the_open_stays_by_level():
    if connection.vendor != "postgresql":
        assert "options" not in connection.settings_dict["OPTIONS"]  # SQLite has no planner to tell
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
        cursor.execute(
            "SELECT stxkind, ARRAY(SELECT attname FROM pg_attribute a WHERE a.attrelid = s.stxrelid "
            "AND a.attnum = ANY(s.stxkeys) ORDER BY attname) FROM pg_statistic_ext s WHERE stxname = 'stay_open_levels'"
        )
        assert cursor.fetchone() == (["m"], ["ended_at", "level_code"])
