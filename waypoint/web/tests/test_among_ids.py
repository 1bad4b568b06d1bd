"""AmongIds: `column IN (ids)` with the ids as one parameter: the same rows as Django's `__in`, on SQLite and
PostgreSQL."""

import pytest
from django.db.models import F

from waypoint.accounts.models import Program
from waypoint.web.ids import AmongIds


@pytest.mark.django_db
def test_it_finds_the_same_rows_as_in(program, north):
    everyone = sorted(Program.objects.values_list("pk", flat=True))
    for ids in ([program.pk], [program.pk, north.pk], [north.pk, 10**9], everyone, []):
        among = sorted(Program.objects.filter(AmongIds(F("id"), ids)).values_list("pk", flat=True))
        assert among == sorted(Program.objects.filter(pk__in=ids).values_list("pk", flat=True))


@pytest.mark.django_db
def test_it_takes_whole_numbers_only(program):
    assert list(Program.objects.filter(AmongIds(F("id"), [str(program.pk)])).values_list("pk", flat=True)) == [
        program.pk
    ]
    with pytest.raises(ValueError):
        list(Program.objects.filter(AmongIds(F("id"), ["1}, {2"])))
