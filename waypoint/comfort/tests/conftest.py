from datetime import timedelta

import pytest
from django.utils import timezone

from waypoint.comfort import services

# Test values only (not clinical guidance): chosen so that each boundary is easy to reach.
ENTRIES = [
    {
        "symptom": "diarrhea",
        "drug": "loperamide",
        "route": "oral",
        "dose_min_mg": "1",
        "dose_max_mg": "4",
        "min_interval_minutes": 120,
        "max_24h_mg": "8",
        "follow_up_minutes": 60,
    },
    {
        "symptom": "adrenergic",
        "drug": "clonidine",
        "route": "oral",
        "dose_min_mg": "0.1",
        "dose_max_mg": "0.1",
        "min_interval_minutes": 240,
        "max_24h_mg": "0.4",
        "hold_systolic_below": 100,
        "hold_pulse_below": 55,
        "vitals_max_age_minutes": 60,
        "follow_up_minutes": 45,
    },
    {
        "symptom": "pain",
        "drug": "acetaminophen",
        "route": "oral",
        "dose_min_mg": "500",
        "dose_max_mg": "1000",
        "min_interval_minutes": 240,
        "max_24h_mg": "3000",
        "condition": "liver_disease",
        "condition_max_24h_mg": "2000",
        "follow_up_minutes": 60,
    },
]


@pytest.fixture
def protocol(program, prescriber):
    return services.sign_protocol(acting_user=prescriber, program=program, title="Test protocol", entries=ENTRIES)


@pytest.fixture
def order(protocol, patient, prescriber, admitted):
    return services.activate_order(
        acting_user=prescriber,
        patient=patient,
        entries={entry.pk: {} for entry in protocol.entries.all()},
        start_at=timezone.now() - timedelta(days=2),
    )


@pytest.fixture
def line(order):
    """line("loperamide") -> that drug's line in the active order set."""
    return lambda drug: order.lines.select_related("entry", "order").get(entry__drug=drug)


@pytest.fixture
def base():
    """A time a day ago, on the minute: doses are placed relative to it, all in the past."""
    return (timezone.now() - timedelta(hours=30)).replace(second=0, microsecond=0)


@pytest.fixture
def give(nurse, patient, line):
    def _give(drug, at, dose, **kwargs):
        return services.give_dose(acting_user=nurse, patient=patient, line=line(drug), at=at, dose=dose, **kwargs)

    return _give
