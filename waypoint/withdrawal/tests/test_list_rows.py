"""The flowsheet API's page query (list_rows.PageRows) answers exactly the rows of the ORM queryset it replaced."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django_scopes import ScopeError, scope

from waypoint.accounts.scoping import program_scope, scopes_disabled
from waypoint.patients.access import user_scope, visible_patients
from waypoint.withdrawal import services
from waypoint.withdrawal.list_rows import KEYS, OWN_COLUMNS, PageRows
from waypoint.withdrawal.models import Assessment

from .conftest import COWS_MILD, COWS_SEVERE

NEWEST_FIRST, OLDEST_FIRST = ("-taken_at", "-id"), ("taken_at", "id")


def the_orm_rows(user, patient_id, ordering, page, **lookups) -> list[dict]:
    """The list's page as the ORM read it before (`.values()` with the JSON columns cast to text)."""
    visible = visible_patients(user).filter(pk=patient_id).values("pk")
    rows = Assessment.objects.filter(patient_id=patient_id, patient_id__in=visible, **lookups)
    rows = rows.values(
        *OWN_COLUMNS,
        "recorded_by__username",
        responses_text=Cast("responses", TextField()),
        derived_text=Cast("derived", TextField()),
    )
    return list(rows.order_by(*ordering)[page])


def page_rows(user, patient_id, ordering, page, **lookups) -> list[dict]:
    visible = visible_patients(user).filter(pk=patient_id).values("pk")
    return PageRows(patient_id, visible).filter(**lookups).order_by(*ordering)[page]


@pytest.fixture
def history(patient, nurse, record):
    """Scores of every kind: final, amended and its new version, entered in error, kiosk, with vital signs."""
    plain = record(patient, hours_ago=9)
    record(
        patient,
        {k: v for k, v in COWS_SEVERE.items() if k != "resting_pulse"},
        hours_ago=7,
        vitals={"pulse_bpm": 118, "temperature_c": Decimal("37.8"), "spo2_percent": 97},
        note="Sweating <b>heavily</b>",
    )
    services.amend_assessment(
        acting_user=nurse, assessment=plain, responses=COWS_MILD | {"yawning": 2}, reason="Yawning missed", version=1
    )
    in_error = record(patient, hours_ago=5)
    services.mark_entered_in_error(acting_user=nurse, assessment=in_error, reason="Wrong patient", version=1)
    record(patient, {"craving": 7}, hours_ago=3, instrument="craving-nrs", source="kiosk")
    for hours in (2, 1):
        record(patient, hours_ago=hours)
    return patient


def test_every_page_is_the_orm_querysets_rows_with_the_same_keys_values_and_types(history, nurse):
    six_hours_ago = timezone.now() - timedelta(hours=6)
    narrowings = (
        {},
        {"record_status": "final"},
        {"record_status": "amended"},
        {"instrument": "cows", "record_status": "final"},
        {"taken_at__gte": six_hours_ago},
        {"taken_at__lt": six_hours_ago},
        {"taken_at__gt": str(six_hours_ago)},  # a cursor's position is text
    )
    with user_scope(nurse):
        for lookups in narrowings:
            for ordering in (NEWEST_FIRST, OLDEST_FIRST):
                for page in (slice(0, 3), slice(2, 5), slice(0, 501)):
                    expected = the_orm_rows(nurse, history.pk, ordering, page, **lookups)
                    answered = page_rows(nurse, history.pk, ordering, page, **lookups)
                    assert answered == expected, (lookups, ordering, page)
                    for row, orm_row in zip(answered, expected, strict=True):
                        assert set(row) == set(KEYS) == set(orm_row)
                        assert [type(row[key]) for key in KEYS] == [type(orm_row[key]) for key in KEYS]
        everything = page_rows(nurse, history.pk, NEWEST_FIRST, slice(0, 50))
    assert len(everything) == 7
    assert {row["temperature_c"] for row in everything} == {None, Decimal("37.8")}


def test_a_patient_the_user_may_not_see_has_no_rows(history, counselor_off_team, north_nurse):
    for outsider in (counselor_off_team, north_nurse):
        with user_scope(outsider):
            assert page_rows(outsider, history.pk, NEWEST_FIRST, slice(0, 50)) == []


def test_only_the_rows_of_the_programs_in_scope_are_read_and_none_outside_a_scope(history, nurse, north):
    visible = visible_patients(nurse).filter(pk=history.pk).values("pk")
    rows = PageRows(history.pk, visible).order_by(*NEWEST_FIRST)
    with program_scope(north.pk):
        assert rows[0:50] == []
    with program_scope():
        assert rows[0:50] == []
    with scopes_disabled():
        assert len(rows[0:50]) == 7
    with scope(), pytest.raises(ScopeError):  # scopes on, no program in scope (a test body runs without scopes)
        rows[0:50]


def test_a_position_that_is_no_date_and_time_fails_as_the_orms_filter_does(history, nurse):
    with user_scope(nurse):
        with pytest.raises(ValidationError) as orm:
            the_orm_rows(nurse, history.pk, NEWEST_FIRST, slice(0, 3), taken_at__lt="2026-13-45 nonsense")
        with pytest.raises(ValidationError) as ours:
            page_rows(nurse, history.pk, NEWEST_FIRST, slice(0, 3), taken_at__lt="2026-13-45 nonsense")
    assert ours.value.messages == orm.value.messages
