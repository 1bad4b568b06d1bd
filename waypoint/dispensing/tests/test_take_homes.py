"""Take-home doses: the tier table is the program's and can never exceed the federal ceiling (property tests);
a practitioner's decision answers the six criteria and is refused above the tier, naming it; bottles are issued
one per day with a label, each an outflow of the lot, and checked in when returned."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from waypoint.accounts import program_settings
from waypoint.accounts.models import Program
from waypoint.dispensing import services
from waypoint.dispensing import settings as rules
from waypoint.dispensing.models import LedgerEntry, TakeHomeBottle, TakeHomeDecision
from waypoint.privacy.models import AuditEvent

from .conftest import MORNING, order_methadone

ALL_MET = dict.fromkeys(services.CRITERIA, True)


def test_the_default_table_is_the_federal_ceiling_from_the_reference():
    assert [(t.first_day, t.federal_days, t.setting.default) for t in rules.TIERS] == [
        (1, 7, 7),
        (15, 14, 14),
        (31, 28, 28),
    ]
    assert [rules.tier_for(day).first_day for day in (1, 14, 15, 30, 31, 400)] == [1, 1, 15, 15, 31, 31]


@given(
    day=st.integers(min_value=-5, max_value=2000),
    stored=st.lists(st.one_of(st.integers(-50, 500), st.none(), st.text(max_size=3)), min_size=3, max_size=3),
)
def test_the_allowed_days_never_exceed_the_federal_ceiling_whatever_is_stored(day, stored):
    """Even a value stored without the setting's check (an old row, a hand-edited table) cannot lift the limit."""
    program = Program(slug="p", name="P", time_zone="America/New_York")
    program._setting_values = {t.setting.key: v for t, v in zip(rules.TIERS, stored, strict=True) if v is not None}
    limit, tier = rules.take_home_limit(program, day)
    ceiling = 7 if day < 15 else 14 if day < 31 else 28
    assert 0 <= limit <= ceiling == tier.federal_days


@pytest.mark.django_db
@settings(max_examples=40, deadline=None)
@given(index=st.integers(0, 2), value=st.integers(-3, 60))
def test_a_program_may_set_its_table_only_at_or_below_the_ceiling(index, value):
    from conftest import make_program, make_user
    from waypoint.accounts.roles import Role

    program = Program.objects.filter(slug="tiers").first() or make_program("tiers", "Tiers")
    admin = make_user(f"admin{index}{value}".replace("-", "m"), program, Role.ADMIN)
    tier = rules.TIERS[index]
    if 0 <= value <= tier.federal_days:
        program_settings.change(program, tier.setting.key, value, acting_user=admin)
        assert tier.setting.get(program) == value
    else:
        with pytest.raises(ValidationError) as caught:
            program_settings.change(program, tier.setting.key, value, acting_user=admin)
        assert f"federal ceiling for this period of treatment is {tier.federal_days} days" in str(caught.value)


def sign(prescriber, patient, days, **extra):
    fields = {"criteria": ALL_MET, "basis": "Stable attendance, negative screens, lock box seen"} | extra
    return services.sign_take_home_decision(acting_user=prescriber, patient=patient, days=days, **fields)


@pytest.mark.parametrize(("started_days_ago", "allowed"), [(13, 7), (14, 14), (29, 14), (30, 28)])
def test_a_decision_above_the_tier_is_refused_naming_it(clock, prescriber, patient, started_days_ago, allowed):
    order_methadone(prescriber, patient, start_at=MORNING - timedelta(days=started_days_ago))
    assert sign(prescriber, patient, allowed).day_of_treatment == started_days_ago + 1
    with pytest.raises(ValidationError) as caught:
        sign(prescriber, patient, allowed + 1)
    message = caught.value.message_dict["days"][0]
    assert f"at most {allowed} days" in message and "Most take-home days" in message
    assert AuditEvent.objects.order_by("-id").first().outcome == "denied"
    assert TakeHomeDecision.objects.count() == 1


def test_the_programs_stricter_table_is_applied(clock, prescriber, patient, order, administrator):
    program_settings.change(patient.program, "dispensing.take_home_days.from_day_15", 6, acting_user=administrator)
    patient.program.__dict__.pop("_setting_values", None)
    with pytest.raises(ValidationError, match="at most 6 days"):
        sign(prescriber, patient, 7)
    assert sign(prescriber, patient, 6).days == 6


def test_every_criterion_is_answered_and_the_basis_given(clock, prescriber, patient, order, nurse):
    with pytest.raises(ValidationError) as caught:
        sign(prescriber, patient, 3, criteria={"regular_attendance": True}, basis=" ")
    assert set(caught.value.message_dict) == {"criteria", "basis"}
    assert "Absence of known recent diversion activity" in caught.value.message_dict["criteria"][0]
    with pytest.raises(Exception, match="does not allow"):  # a nurse does not sign take-home decisions
        sign(nurse, patient, 3)
    assert not TakeHomeDecision.objects.exists()


def test_bottles_one_per_day_labelled_each_an_outflow_and_returned(clock, prescriber, nurse, patient, order, lot, page):
    tomorrow = MORNING.date() + timedelta(days=1)
    days = [tomorrow, tomorrow + timedelta(days=1)]
    with pytest.raises(ValidationError, match="signs a take-home decision first"):
        services.issue_bottles(acting_user=nurse, patient=patient, days=days, lot=lot)
    sign(prescriber, patient, 2)
    with pytest.raises(ValidationError, match="Safe-storage education is recorded before the first take-home"):
        services.issue_bottles(acting_user=nurse, patient=patient, days=days, lot=lot)
    services.record_safe_storage(acting_user=nurse, patient=patient)
    with pytest.raises(ValidationError, match="come after today"):
        services.issue_bottles(acting_user=nurse, patient=patient, days=[MORNING.date()], lot=lot)
    with pytest.raises(ValidationError, match="up to 2 days"):
        services.issue_bottles(acting_user=nurse, patient=patient, days=[*days, tomorrow + timedelta(days=2)], lot=lot)
    assert not TakeHomeBottle.objects.exists() and services.balance(lot) == Decimal("10000")
    bottles = services.issue_bottles(acting_user=nurse, patient=patient, days=days, lot=lot)
    assert [b.take_on for b in bottles] == days and all(b.dose == Decimal("60") for b in bottles)
    assert services.balance(lot) == Decimal("9880")
    assert LedgerEntry.objects.filter(kind="take_home").count() == 2
    with pytest.raises(ValidationError, match="already issued"):
        services.issue_bottles(acting_user=nurse, patient=patient, days=days[:1], lot=lot)

    sheet = page(nurse).get(reverse("dispensing:labels", args=[patient.pk])).content.decode()
    for bottle in bottles:
        assert bottle.code in sheet
    assert "Harbor Recovery" in sheet and "Keep out of reach of children" in sheet and "dispensing/labels.css" in sheet

    with pytest.raises(ValidationError, match="say what was in it"):
        services.return_bottle(acting_user=nurse, bottle=bottles[0], empty=False)
    services.return_bottle(acting_user=nurse, bottle=bottles[0], empty=True)
    with pytest.raises(ValidationError, match="already checked in"):
        services.return_bottle(acting_user=nurse, bottle=bottles[0], empty=True)
    assert bottles[0].code not in page(nurse).get(reverse("dispensing:labels", args=[patient.pk])).content.decode()


def test_a_take_home_day_is_not_due_at_the_window_and_counts_as_dosed(
    clock, prescriber, nurse, patient, order, lot, educated
):
    from waypoint.patients.access import visible_patients

    sign(prescriber, patient, 1)
    services.issue_bottles(acting_user=nurse, patient=patient, days=[MORNING.date() + timedelta(days=1)], lot=lot)
    clock.shift(timedelta(days=1))
    [row] = services.queue(visible_patients(nurse), patient.program)
    assert row.status == "Take-home today" and not row.due
    clock.shift(timedelta(days=1))
    assert services.missed_days(patient, order, MORNING + timedelta(days=2)) == 0


def test_the_dosing_record_kinds_render_every_column(clock, prescriber, nurse, patient, order, lot, educated):
    from waypoint.records.discovery import load

    sign(prescriber, patient, 1)
    services.issue_bottles(acting_user=nurse, patient=patient, days=[MORNING.date() + timedelta(days=1)], lot=lot)
    services.set_hold(acting_user=nurse, patient=patient, kind="administrative", reason="Fees")
    found = load()
    for key in ("dosing_holds", "take_home_decisions", "take_home_bottles"):
        kind = found[key]
        rows = list(kind.rows(patient, nurse))
        assert len(rows) == 1
        assert list(kind.render(rows[0])) == [column for column, _ in kind.columns]
