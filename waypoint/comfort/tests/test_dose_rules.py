"""Each refusal rule at its boundary: exactly at the interval and the maximum, one minute and one mg either side,
vital signs exactly at the age limit; and a property test of the rolling 24-hour maximum."""

import contextlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from waypoint.comfort import services
from waypoint.comfort.models import Dose
from waypoint.privacy.models import AuditEvent
from waypoint.screening import services as screening
from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS
from waypoint.withdrawal import services as withdrawal

MIN = timedelta(minutes=1)


def refused(call, *args, **kwargs) -> dict:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value.message_dict


# --- the minimum interval ---------------------------------------------------------------------------------------


def test_one_minute_inside_the_interval_is_refused_naming_the_rule_and_its_numbers(give, base):
    give("loperamide", base, "2")
    errors = refused(give, "loperamide", base + timedelta(minutes=119), "2")
    assert list(errors) == ["interval"]
    assert "1 h 59 min before this dose; the minimum interval is 2 h" in errors["interval"][0]
    assert Dose.objects.count() == 1
    assert AuditEvent.objects.filter(action="comfort.dose.refused", outcome="denied").count() == 1


def test_exactly_at_the_interval_is_allowed(give, base):
    give("loperamide", base, "2")
    assert give("loperamide", base + timedelta(minutes=120), "2").status == "given"


def test_one_minute_past_the_interval_is_allowed(give, base):
    give("loperamide", base, "2")
    assert give("loperamide", base + timedelta(minutes=121), "2").status == "given"


def test_a_late_entry_is_checked_against_the_doses_after_it(give, base):
    give("loperamide", base + timedelta(hours=3), "2")
    errors = refused(give, "loperamide", base + timedelta(hours=2), "2")
    assert "after this dose" in errors["interval"][0]


# --- the rolling 24-hour maximum --------------------------------------------------------------------------------


def test_one_mg_under_at_and_over_the_24_hour_maximum(give, base):
    give("loperamide", base, "4")
    give("loperamide", base + timedelta(hours=2), "3")  # 7 mg: one under the maximum of 8
    errors = refused(give, "loperamide", base + timedelta(hours=4), "2")  # 9 mg
    assert list(errors) == ["daily_maximum"]
    assert errors["daily_maximum"] == [
        "2 mg would bring loperamide to 9 mg in 24 hours, above the maximum of 8 mg per 24 h (the protocol); "
        "1 mg remains."
    ]
    give("loperamide", base + timedelta(hours=4), "1")  # exactly 8 mg
    assert Dose.objects.filter(status="given").count() == 3


def test_a_dose_exactly_24_hours_old_no_longer_counts_one_minute_earlier_it_does(give, base):
    give("loperamide", base, "4")
    give("loperamide", base + timedelta(hours=2), "4")
    errors = refused(give, "loperamide", base + timedelta(hours=24) - MIN, "4")
    assert list(errors) == ["daily_maximum"]
    assert give("loperamide", base + timedelta(hours=24), "4").status == "given"


def test_a_late_entry_may_not_push_a_later_window_over_the_maximum(give, base):
    give("loperamide", base + timedelta(hours=10), "4")
    give("loperamide", base + timedelta(hours=12), "4")
    errors = refused(give, "loperamide", base, "1")  # the window ending at +12 h would hold 9 mg
    assert list(errors) == ["daily_maximum"]


def test_every_order_set_of_the_same_drug_counts(give, base, patient, prescriber, protocol, nurse):
    give("loperamide", base, "4")
    give("loperamide", base + timedelta(hours=2), "4")
    new = services.activate_order(
        acting_user=prescriber,
        patient=patient,
        entries={protocol.entries.get(drug="loperamide").pk: {}},
        start_at=base + timedelta(hours=3),
    )
    errors = refused(
        services.give_dose, acting_user=nurse, patient=patient, line=new.lines.get(), at=base + timedelta(hours=4),
        dose="1",
    )  # fmt: skip
    assert list(errors) == ["daily_maximum"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 26 * 60), st.integers(1, 4)), min_size=1, max_size=12))
def test_no_accepted_sequence_exceeds_the_maximum_in_any_rolling_window(give, base, attempts):
    Dose.objects.all().delete()
    for minutes, mg in attempts:
        with contextlib.suppress(ValidationError):
            give("loperamide", base + timedelta(minutes=minutes), str(mg))
    accepted = list(Dose.objects.filter(status="given").values_list("at", "dose_mg"))
    for end, _ in accepted:  # a window's total is largest where it ends at a dose
        assert sum(mg for at, mg in accepted if end - timedelta(hours=24) < at <= end) <= Decimal(8)
    ordered = sorted(at for at, _ in accepted)
    assert all(b - a >= timedelta(minutes=120) for a, b in zip(ordered, ordered[1:], strict=False))


# --- the dose range and the order -------------------------------------------------------------------------------


def test_a_dose_outside_the_ordered_range_is_refused(give, base):
    assert "outside the ordered dose of loperamide: 1-4 mg" in refused(give, "loperamide", base, "5")["dose"][0]
    assert "outside" in refused(give, "loperamide", base, "0.5")["dose"][0]


def test_a_drug_left_out_of_the_order_is_refused(protocol, patient, prescriber, nurse, admitted, base):
    order = services.activate_order(
        acting_user=prescriber,
        patient=patient,
        entries={protocol.entries.get(drug="loperamide").pk: {}},
        start_at=base - timedelta(hours=1),
    )
    assert list(order.lines.values_list("entry__drug", flat=True)) == ["loperamide"]
    errors = refused(services.give_dose, acting_user=nurse, patient=patient, line=None, at=base, dose="500")
    assert "not in the patient's active comfort-medication order" in errors["line"][0]


def test_a_line_of_a_stopped_order_is_refused(give, line, order, prescriber, base):
    services.stop_order(acting_user=prescriber, order=order, reason="symptoms resolved", at=base)
    assert list(refused(give, "loperamide", base + MIN, "2")) == ["line"]
    assert give("loperamide", base - MIN, "2").status == "given"  # before the stop it was in force


# --- hold parameters and the age of vital signs -----------------------------------------------------------------


def vitals_at(record, patient, at, **vitals):
    """A COWS with these vital signs, taken at `at`."""
    from waypoint.withdrawal.tests.conftest import COWS_MILD

    return withdrawal.record_assessment(
        acting_user=record, patient=patient, instrument="cows", responses=COWS_MILD, vitals=vitals, taken_at=at
    )


@pytest.mark.parametrize(("systolic", "allowed"), [(99, False), (100, True), (101, True)])
def test_the_systolic_hold_at_its_threshold(give, base, nurse, patient, systolic, allowed):
    vitals_at(nurse, patient, base - timedelta(minutes=5), systolic_mmhg=systolic, diastolic_mmhg=70, pulse_bpm=90)
    if allowed:
        assert give("clonidine", base, "0.1").status == "given"
    else:
        errors = refused(give, "clonidine", base, "0.1")
        assert errors == {"hold": ["Hold clonidine: systolic pressure 99 mmHg is below the protocol's 100 mmHg."]}


@pytest.mark.parametrize(("pulse", "allowed"), [(54, False), (55, True), (56, True)])
def test_the_pulse_hold_at_its_threshold(give, base, nurse, patient, pulse, allowed):
    give_kwargs = {"vitals": {"pulse_bpm": pulse, "systolic_mmhg": 120}}
    if allowed:
        dose = give("clonidine", base, "0.1", **give_kwargs)
        assert (dose.pulse_bpm, dose.systolic_mmhg) == (pulse, 120)
    else:
        assert list(refused(give, "clonidine", base, "0.1", **give_kwargs)) == ["hold"]


@pytest.mark.parametrize(("minutes", "allowed"), [(59, True), (60, True), (61, False)])
def test_vital_signs_exactly_at_the_age_limit_count_one_minute_older_do_not(
    give, base, nurse, patient, minutes, allowed
):
    vitals_at(nurse, patient, base - timedelta(minutes=minutes), systolic_mmhg=120, diastolic_mmhg=70, pulse_bpm=90)
    if allowed:
        assert give("clonidine", base, "0.1").status == "given"
    else:
        errors = refused(give, "clonidine", base, "0.1")
        assert list(errors) == ["vitals"]
        assert "is 61 min old; clonidine needs one no older than 60 min" in errors["vitals"][0]


def test_missing_vital_signs_are_refused(give, base):
    errors = refused(give, "clonidine", base, "0.1")
    assert "none is recorded" in errors["vitals"][0]


# --- allergies, conditions, held and refused doses --------------------------------------------------------------


def test_a_drug_the_allergies_name_is_refused(give, base, patient):
    patient.allergies = "Loperamide (hives)"
    patient.save(update_fields=["allergies"])
    errors = refused(give, "loperamide", base, "2")
    assert errors["allergy"] == [
        "The patient's allergies written at registration name loperamide: “Loperamide (hives)”."
    ]


def test_liver_disease_on_the_screen_lowers_the_acetaminophen_limit_from_the_protocol(give, base, nurse, patient):
    give("acetaminophen", base, "1000")
    give("acetaminophen", base + timedelta(hours=4), "1000")
    answers = dict.fromkeys(HEROIN_COMPLICATIONS.keys, "absent") | {"liver_disease": "present"}
    screening.record_screen(acting_user=nurse, patient=patient, answers=answers, taken_at=base)
    errors = refused(give, "acetaminophen", base + timedelta(hours=8), "1000")
    assert errors["daily_maximum"] == [
        "1000 mg would bring acetaminophen to 3000 mg in 24 hours, above the maximum of 2000 mg per 24 h "
        "(the protocol, lowered for liver disease on the screen); 0 mg remains."
    ]


def test_without_liver_disease_the_protocol_maximum_applies(give, base, nurse, patient):
    answers = dict.fromkeys(HEROIN_COMPLICATIONS.keys, "absent")
    screening.record_screen(acting_user=nurse, patient=patient, answers=answers, taken_at=base)
    for hours in (0, 4, 8):
        give("acetaminophen", base + timedelta(hours=hours), "1000")
    assert list(refused(give, "acetaminophen", base + timedelta(hours=12), "500")) == ["daily_maximum"]


def test_a_held_dose_needs_its_reason_and_counts_in_no_total(give, base):
    assert list(refused(give, "clonidine", base, None, status="held")) == ["reason"]
    held = give("clonidine", base, None, status="held", reason="patient asleep")
    assert (held.status, held.dose_mg, held.follow_up_due_at) == ("held", None, None)


# --- follow-up --------------------------------------------------------------------------------------------------


def test_the_follow_up_is_due_after_the_protocols_minutes_and_recorded_once(give, base, nurse):
    dose = give("loperamide", base, "2")
    assert dose.follow_up_due_at == base + timedelta(minutes=60)
    assert dose.follow_up_state(base + timedelta(minutes=60)) == "due"
    assert dose.follow_up_state(base + timedelta(minutes=61)) == "overdue"
    done = services.record_follow_up(acting_user=nurse, dose=dose, outcome="eased", note="no further stools")
    assert (done.follow_up_outcome, done.follow_up_state()) == ("eased", "done")
    assert list(refused(services.record_follow_up, acting_user=nurse, dose=dose, outcome="worse")) == ["outcome"]


def test_a_dose_entered_in_error_counts_in_no_limit(give, base, nurse):
    dose = give("loperamide", base, "4")
    give("loperamide", base + timedelta(hours=2), "4")
    services.mark_entered_in_error(acting_user=nurse, dose=dose, reason="wrong patient")
    assert give("loperamide", base + timedelta(hours=4), "4").status == "given"
