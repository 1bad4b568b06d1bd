"""The program's protocol (versioned, signed by a prescriber) and the order set a prescriber activates from it."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from waypoint.comfort import services
from waypoint.comfort.models import Protocol

from .conftest import ENTRIES


def errors_of(call, **kwargs) -> dict:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.message_dict


def test_a_nurse_cannot_sign_a_protocol(program, nurse):
    with pytest.raises(PermissionDenied):
        services.sign_protocol(acting_user=nurse, program=program, title="x", entries=ENTRIES)


def test_a_protocol_may_not_pass_the_label_maximum_the_reference_gives(program, prescriber):
    entry = ENTRIES[0] | {"max_24h_mg": "16.01"}
    errors = errors_of(services.sign_protocol, acting_user=prescriber, program=program, title="x", entries=[entry])
    assert errors == {
        "entries.0.max_24h_mg": [
            "Above the label's maximum of 16 mg per day (loperamide label maximum under a prescriber)."
        ]
    }
    assert not Protocol.objects.exists()
    assert services.sign_protocol(
        acting_user=prescriber, program=program, title="x", entries=[ENTRIES[0] | {"max_24h_mg": "16"}]
    )


def test_bad_entries_are_named_field_by_field_and_nothing_is_saved(program, prescriber):
    entry = ENTRIES[1] | {"drug": "loperamide", "vitals_max_age_minutes": None, "follow_up_minutes": "x"}
    errors = errors_of(services.sign_protocol, acting_user=prescriber, program=program, title="", entries=[entry])
    assert set(errors) == {"title", "entries.0.drug", "entries.0.vitals_max_age_minutes", "entries.0.follow_up_minutes"}
    assert not Protocol.objects.exists()


def test_a_new_version_leaves_doses_under_the_old_one_alone(protocol, order, give, base, program, prescriber):
    dose = give("loperamide", base, "2")
    changed = [ENTRIES[0] | {"dose_max_mg": "2", "max_24h_mg": "6"}]
    second = services.sign_protocol(acting_user=prescriber, program=program, title="Test protocol", entries=changed)
    assert (protocol.version, second.version) == (1, 2)
    assert services.current_protocol(program) == second
    dose.refresh_from_db()
    assert (dose.entry.protocol, str(dose.entry.max_24h_mg)) == (protocol, "8.00")


def test_the_demo_protocol_says_so(program, prescriber):
    demo = services.sign_protocol(acting_user=prescriber, program=program, title="Demo", entries=ENTRIES, is_demo=True)
    assert str(demo) == "Demo, version 1 (demo — not clinical guidance)"


def test_a_prescriber_narrows_a_limit_and_the_dose_check_uses_it(protocol, patient, prescriber, nurse, admitted, base):
    loperamide = protocol.entries.get(drug="loperamide")
    order = services.activate_order(
        acting_user=prescriber,
        patient=patient,
        entries={loperamide.pk: {"max_24h_mg": "4", "min_interval_minutes": "180"}},
        start_at=base - timedelta(hours=1),
    )
    line = order.lines.get()
    services.give_dose(acting_user=nurse, patient=patient, line=line, at=base, dose="2")
    with pytest.raises(ValidationError) as caught:
        services.give_dose(acting_user=nurse, patient=patient, line=line, at=base + timedelta(minutes=179), dose="2")
    assert "the minimum interval is 3 h" in caught.value.message_dict["interval"][0]
    services.give_dose(acting_user=nurse, patient=patient, line=line, at=base + timedelta(hours=3), dose="2")
    with pytest.raises(ValidationError) as caught:
        services.give_dose(acting_user=nurse, patient=patient, line=line, at=base + timedelta(hours=6), dose="1")
    assert "above the maximum of 4 mg per 24 h (the order)" in caught.value.message_dict["daily_maximum"][0]


def test_widening_needs_a_recorded_reason(protocol, patient, prescriber, admitted):
    loperamide = protocol.entries.get(drug="loperamide")
    wider = {loperamide.pk: {"max_24h_mg": "12", "min_interval_minutes": 60}}
    errors = errors_of(services.activate_order, acting_user=prescriber, patient=patient, entries=wider)
    assert list(errors) == [f"lines.{loperamide.pk}.widen_reason"]
    assert "a 24-hour maximum above the protocol's 8 mg" in errors[f"lines.{loperamide.pk}.widen_reason"][0]
    assert "an interval shorter than the protocol's 2 h" in errors[f"lines.{loperamide.pk}.widen_reason"][0]
    wider[loperamide.pk]["widen_reason"] = "persistent diarrhea, reviewed by the medical director"
    order = services.activate_order(acting_user=prescriber, patient=patient, entries=wider)
    assert order.lines.get().widen_reason.startswith("persistent")


def test_a_nurse_cannot_activate_an_order(protocol, patient, nurse, admitted):
    with pytest.raises(PermissionDenied):
        services.activate_order(acting_user=nurse, patient=patient, entries={protocol.entries.first().pk: {}})


def test_a_new_order_set_stops_the_active_one(order, protocol, patient, prescriber):
    second = services.activate_order(acting_user=prescriber, patient=patient, entries={protocol.entries.first().pk: {}})
    order.refresh_from_db()
    assert order.stop_at == second.start_at and services.active_order(patient) == second


def test_orders_and_doses_render_every_column_of_their_record_kinds(order, give, base, patient, nurse):
    from waypoint.records import discovery

    kinds = discovery.load()
    give("loperamide", base, "2")
    for key in ("comfort_orders", "comfort_doses"):
        kind = kinds[key]
        rows = list(kind.rows(patient, nurse))
        assert rows, key
        for row in rows:
            assert list(kind.render(row)) == [column for column, _ in kind.columns]


def test_the_demo_protocol_is_signed_as_a_demo_and_activated(program, prescriber, patient, admitted):
    import random

    from waypoint.comfort import demo

    protocol = demo.build(program, random.Random(1))
    assert protocol.is_demo and protocol.entries.count() == len(demo.DEMO_ENTRIES)
    assert services.active_order(patient).protocol == protocol
    assert demo.build(program, random.Random(1)) is None  # once
