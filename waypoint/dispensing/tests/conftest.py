from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from conftest import make_user
from waypoint.accounts.roles import Role
from waypoint.dispensing import services
from waypoint.medication import services as medication

NEW_YORK = ZoneInfo("America/New_York")
MORNING = datetime(2026, 3, 10, 8, 30, tzinfo=NEW_YORK)  # the test programs' time zone


@pytest.fixture
def clock():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def second_nurse(program, team):
    return make_user("nurse2", program, Role.NURSE, team)


@pytest.fixture
def lot(clock, program, nurse):
    return services.receive_stock(
        acting_user=nurse,
        program=program,
        medication_code="methadone",
        strength="10 mg/mL",
        lot_number="A123",
        quantity_mg=Decimal("10000"),
    ).lot


def order_methadone(prescriber, patient, **overrides):
    fields = {
        "medication": "methadone",
        "dose": Decimal("60"),
        "route": "oral",
        "times_per_day": 1,
        "start_at": MORNING - timedelta(days=20),
    }
    return medication.order_medication(acting_user=prescriber, patient=patient, **(fields | overrides))


@pytest.fixture
def order(clock, prescriber, patient):
    return order_methadone(prescriber, patient)


@pytest.fixture
def educated(clock, nurse, patient):
    """Safe-storage education recorded: the first take-home bottle may be issued."""
    return services.record_safe_storage(acting_user=nurse, patient=patient, note="Lock box, out of reach of children")
