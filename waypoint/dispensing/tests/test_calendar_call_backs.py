"""Closed days (Sundays by program setting, holidays, closures) produce take-home bottles within each patient's
signed decision; safe-storage education comes before the first take-home; random call-backs are drawn among the
patients with bottles out, recorded (brought back or not) and shown on the chart."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from waypoint.accounts import program_settings
from waypoint.dispensing import services
from waypoint.dispensing.models import CallBack, TakeHomeBottle
from waypoint.patients.access import visible_patients

from .conftest import MORNING, order_methadone

TUESDAY = MORNING.date()  # 2026-03-10


def decide(prescriber, patient, days):
    return services.sign_take_home_decision(
        acting_user=prescriber, patient=patient, days=days, criteria=dict.fromkeys(services.CRITERIA, True), basis="ok"
    )


def test_the_calendar_holds_sundays_by_setting_and_its_holidays(clock, nurse, director, program):
    assert services.closed_days(program, TUESDAY, TUESDAY + timedelta(days=7)) == {}
    program_settings.change(program, "dispensing.closed_on_sundays", True, acting_user=director)
    services.add_closed_day(acting_user=nurse, program=program, day=date(2026, 3, 16), kind="holiday", name="Closure")
    assert services.closed_days(program, TUESDAY, TUESDAY + timedelta(days=7)) == {
        date(2026, 3, 15): "Sunday",
        date(2026, 3, 16): "Closure",
    }
    with pytest.raises(ValidationError) as caught:
        services.add_closed_day(acting_user=nurse, program=program, day=date(2026, 3, 16), kind="holiday", name="x")
    assert "already on the calendar" in caught.value.message_dict["day"][0]
    with pytest.raises(ValidationError, match="today or later"):
        services.add_closed_day(
            acting_user=nurse, program=program, day=TUESDAY - timedelta(days=1), kind="holiday", name="x"
        )
    clock.move_to(MORNING.replace(day=14))  # Saturday: Sunday then the Monday closure follow
    assert services.next_closed_run(program, date(2026, 3, 14)) == [date(2026, 3, 15), date(2026, 3, 16)]


def test_closed_days_produce_bottles_within_each_decision_and_list_who_is_refused(
    clock, nurse, prescriber, director, program, patient, order, lot, educated
):
    from conftest import patient_fields
    from waypoint.patients import services as patients

    from .conftest import order_methadone

    other = patients.register_patient(
        acting_user=nurse,
        program=program,
        care_team=patient.care_team,
        **patient_fields(mrn="W-2002", given_name="Sam"),
    )
    order_methadone(prescriber, other)
    services.add_closed_day(
        acting_user=nurse, program=program, day=TUESDAY + timedelta(days=1), kind="holiday", name="Holiday A"
    )
    services.add_closed_day(
        acting_user=nurse, program=program, day=TUESDAY + timedelta(days=2), kind="closure", name="Snow"
    )
    decide(prescriber, patient, 2)
    issued, refused = services.closed_day_bottles(
        acting_user=nurse, program=program, lots=[lot], patients=visible_patients(nurse, program)
    )
    assert [b.take_on for b in issued[patient]] == [TUESDAY + timedelta(days=1), TUESDAY + timedelta(days=2)]
    assert "signs a take-home decision first" in refused[other]
    again, _ = services.closed_day_bottles(
        acting_user=nurse, program=program, lots=[lot], patients=visible_patients(nurse, program)
    )
    assert patient not in again and TakeHomeBottle.objects.count() == 2  # never twice for a day


def test_a_one_day_decision_does_not_cover_a_two_day_closure(
    clock, nurse, prescriber, program, patient, order, lot, educated
):
    for n in (1, 2):
        services.add_closed_day(
            acting_user=nurse, program=program, day=TUESDAY + timedelta(days=n), kind="holiday", name="H"
        )
    decide(prescriber, patient, 1)
    issued, refused = services.closed_day_bottles(
        acting_user=nurse, program=program, lots=[lot], patients=visible_patients(nurse, program)
    )
    assert not issued and "allows up to 1 days" in refused[patient]


def test_a_call_back_is_drawn_among_patients_with_bottles_out_recorded_and_on_the_chart(
    clock, nurse, prescriber, program, patient, order, lot, educated, page
):
    with pytest.raises(ValidationError, match="no take-home bottles out"):
        services.schedule_call_back(acting_user=nurse, patient=patient, due_on=TUESDAY)
    assert (
        services.schedule_random_call_backs(
            acting_user=nurse, program=program, patients=visible_patients(nurse, program), due_on=TUESDAY, count=3
        )
        == []
    )
    decide(prescriber, patient, 2)
    bottles = services.issue_bottles(
        acting_user=nurse, patient=patient, days=[TUESDAY + timedelta(days=n) for n in (1, 2)], lot=lot
    )
    [drawn] = services.schedule_random_call_backs(
        acting_user=nurse, program=program, patients=visible_patients(nurse, program), due_on=TUESDAY, count=3
    )
    assert drawn.patient == patient and drawn.bottles_out == [b.code for b in bottles]
    with pytest.raises(ValidationError, match="already has a call-back waiting"):
        services.schedule_call_back(acting_user=nurse, patient=patient, due_on=TUESDAY)
    with pytest.raises(ValidationError, match="not brought back: say why"):
        services.record_call_back(acting_user=nurse, call_back=drawn, brought_back=False)
    services.record_call_back(acting_user=nurse, call_back=drawn, brought_back=False, note="Said they were at work")
    with pytest.raises(ValidationError, match="already recorded"):
        services.record_call_back(acting_user=nurse, call_back=drawn, brought_back=True)
    chart = page(nurse).get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert "Call-back 2026-03-10: not brought back" in chart and "Said they were at work" in chart
    assert "Safe-storage education given 2026-03-10" in chart


def test_a_random_draw_is_scheduled_whole_or_not_at_all(
    clock, nurse, prescriber, program, patient, order, lot, educated, team, monkeypatch
):
    """A draw whose second call-back is refused (e.g. another nurse called that patient back a moment before) leaves
    no call-back of the draw behind: the nurse draws again, not a half-made draw."""
    from conftest import patient_fields
    from waypoint.patients import services as patients

    ana = patients.register_patient(
        acting_user=nurse, program=program, care_team=team, **patient_fields(mrn="W-1002", given_name="Ana")
    )
    order_methadone(prescriber, ana)
    services.record_safe_storage(acting_user=nurse, patient=ana, note="Lock box")
    for someone in (patient, ana):
        decide(prescriber, someone, 2)
        services.issue_bottles(acting_user=nurse, patient=someone, days=[TUESDAY + timedelta(days=1)], lot=lot)
    schedule, calls = services.schedule_call_back, []

    def second_one_refused(**kwargs):
        calls.append(kwargs["patient"])
        if len(calls) == 2:
            raise ValidationError({"due_on": f"{kwargs['patient']} already has a call-back waiting to be recorded."})
        return schedule(**kwargs)

    monkeypatch.setattr(services, "schedule_call_back", second_one_refused)
    with pytest.raises(ValidationError, match="already has a call-back waiting"):
        services.schedule_random_call_backs(
            acting_user=nurse, program=program, patients=visible_patients(nurse, program), due_on=TUESDAY, count=2
        )
    assert len(calls) == 2 and not CallBack.objects.exists()


def test_the_calendar_and_call_back_pages(clock, nurse, prescriber, program, patient, order, lot, educated, page):
    client = page(nurse)
    url = reverse("dispensing:calendar")
    added = client.post(url, {"action": "add", "day": "2026-03-11", "kind": "holiday", "name": "Founders' day"})
    assert added.status_code == 302
    decide(prescriber, patient, 1)
    body = client.post(url, {"action": "bottles", "lots": [lot.pk]}).content.decode()
    assert "Issued for 1 patients" in body and TakeHomeBottle.objects.count() == 1
    drawn = client.post(reverse("dispensing:call-backs"), {"due_on": "2026-03-10", "count": "1"}, follow=True)
    assert "1 patients called back: Maria Rivera" in drawn.content.decode()
    call_back = CallBack.objects.get()
    client.post(reverse("dispensing:call-back-record", args=[patient.pk, call_back.pk]), {"brought_back": "yes"})
    assert CallBack.objects.get().brought_back is True


def test_the_call_back_and_safe_storage_record_kinds_render_every_column(
    clock, nurse, prescriber, patient, order, lot, educated
):
    from waypoint.records.discovery import load

    decide(prescriber, patient, 1)
    services.issue_bottles(acting_user=nurse, patient=patient, days=[TUESDAY + timedelta(days=1)], lot=lot)
    services.schedule_call_back(acting_user=nurse, patient=patient, due_on=TUESDAY)
    for key in ("call_backs", "safe_storage_educations"):
        kind = load()[key]
        rows = list(kind.rows(patient, nurse))
        assert len(rows) == 1 and list(kind.render(rows[0])) == [column for column, _ in kind.columns]
