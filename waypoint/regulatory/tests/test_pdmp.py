"""The PDMP check rule before a controlled-substance order, at its program-day boundary."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from waypoint.accounts.program_settings import change
from waypoint.medication import services as medication
from waypoint.medication.models import MedicationOrder
from waypoint.privacy.models import AuditEvent
from waypoint.regulatory import pdmp


def local(program, day, at):
    return datetime.combine(day, at, tzinfo=program.tz)


@pytest.fixture
def rule(program, administrator):
    def set_rule(value, days=3):
        change(program, "regulatory.pdmp_rule", value, acting_user=administrator)
        change(program, "regulatory.pdmp_days", days, acting_user=administrator)
        program.__dict__.pop("_setting_values", None)

    return set_rule


def order(prescriber, patient, start_at, med="methadone"):
    fields = (
        {"dose": Decimal("30"), "route": "oral"}
        if med == "methadone"
        else {
            "dose": Decimal("380"),
            "route": "intramuscular",
        }
    )
    return medication.order_medication(
        acting_user=prescriber, patient=patient, medication=med, times_per_day=1, start_at=start_at, **fields
    )


def test_a_check_is_current_through_the_last_program_day_and_not_a_minute_after(rule, prescriber, patient, program):
    rule("refuse", days=3)
    check_day = date(2026, 11, 2)
    with time_machine.travel(local(program, check_day, time(23, 50)), tick=False):
        pdmp.record_check(
            acting_user=prescriber,
            patient=patient,
            state="ny",
            checked_at=local(program, check_day, time(23, 45)),
            findings="No other prescribers in 12 months.",
        )
    last_minute = local(program, check_day + timedelta(days=3), time(23, 59))
    next_day = local(program, check_day + timedelta(days=4), time(0, 0))
    assert pdmp.current_check(patient, last_minute) is not None
    assert pdmp.current_check(patient, next_day) is None
    with time_machine.travel(next_day + timedelta(minutes=5), tick=False):
        with pytest.raises(ValidationError) as error:
            order(prescriber, patient, next_day)
        assert "pdmp" in error.value.message_dict and "3 days" in error.value.message_dict["pdmp"][0]
        assert not MedicationOrder.objects.exists()
    with time_machine.travel(last_minute, tick=False):
        assert order(prescriber, patient, last_minute).medication == "methadone"


def test_the_flag_rule_writes_the_order_and_records_the_missing_check(rule, prescriber, patient):
    rule("flag", days=0)
    written = order(prescriber, patient, timezone.now())
    event = AuditEvent.objects.get(action="medication.order.create", object_id=str(written.pk))
    assert "no PDMP check within 0 days" in event.detail["pdmp"]


def test_a_check_that_could_not_be_done_does_not_count(rule, prescriber, patient):
    rule("refuse", days=7)
    pdmp.record_check(
        acting_user=prescriber,
        patient=patient,
        state="NY",
        checked_at=timezone.now() - timedelta(hours=1),
        not_done_reason="State PDMP down for maintenance",
    )
    with pytest.raises(ValidationError) as error:
        order(prescriber, patient, timezone.now())
    assert "could not be done (State PDMP down for maintenance)" in error.value.message_dict["pdmp"][0]


def test_no_rule_until_the_program_sets_the_days_and_not_for_naltrexone(rule, prescriber, patient, program):
    change(program, "regulatory.pdmp_rule", "refuse", acting_user=prescriber)
    program.__dict__.pop("_setting_values", None)
    assert order(prescriber, patient, timezone.now()).medication == "methadone"  # days not set: no rule
    rule("refuse", days=7)
    assert order(prescriber, patient, timezone.now(), med="naltrexone_er").medication == "naltrexone_er"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"state": "New York"}, "state"),
        ({"findings": ""}, "findings"),
        ({"not_done_reason": "down"}, "not_done_reason"),
    ],
)
def test_a_check_missing_what_is_required_is_refused(prescriber, patient, changes, field):
    data = {"state": "NY", "checked_at": timezone.now(), "findings": "Nothing else"} | changes
    with pytest.raises(ValidationError) as error:
        pdmp.record_check(acting_user=prescriber, patient=patient, **data)
    assert field in error.value.message_dict


def test_the_prescriber_records_a_check_on_the_page_and_the_order_goes_through(
    page, prescriber, patient, rule, program
):
    from django.urls import reverse

    rule("refuse", days=1)
    client = page(prescriber)
    url = reverse("regulatory:pdmp", args=[patient.pk])
    assert "No current PDMP check" in client.get(url).content.decode()
    now = timezone.localtime(timezone=program.tz)
    refused = client.post(url, {"state": "NY", "checked_at": now.strftime("%Y-%m-%dT%H:%M")})
    assert "Summarise the findings" in refused.content.decode()
    done = client.post(url, {"state": "NY", "checked_at": now.strftime("%Y-%m-%dT%H:%M"), "findings": "None found."})
    assert done.status_code == 302
    assert "Current check: NY" in client.get(url).content.decode()
    assert order(prescriber, patient, timezone.now()).medication == "methadone"
    assert "PDMP checks" in client.get(reverse("medication:page", args=[patient.pk])).content.decode()
