from datetime import timedelta

import pytest
from django.utils import timezone

COWS_MILD = {  # total 9: mild
    "resting_pulse": 1,
    "sweating": 1,
    "restlessness": 1,
    "pupil_size": 1,
    "bone_joint_aches": 1,
    "runny_nose_tearing": 1,
    "gi_upset": 1,
    "tremor": 1,
    "yawning": 1,
    "anxiety_irritability": 0,
    "gooseflesh": 0,
}
COWS_SEVERE = {  # total 38: severe
    "resting_pulse": 4,
    "sweating": 4,
    "restlessness": 5,
    "pupil_size": 5,
    "bone_joint_aches": 4,
    "runny_nose_tearing": 4,
    "gi_upset": 5,
    "tremor": 2,
    "yawning": 2,
    "anxiety_irritability": 0,
    "gooseflesh": 3,
}
SOWS_ALL_1 = {
    key: 1
    for key in (
        "anxious",
        "yawning",
        "perspiring",
        "tearing",
        "nose_running",
        "goose_flesh",
        "shaking",
        "hot_flashes",
        "cold_flashes",
        "aches",
        "restless",
        "nauseous",
        "vomiting",
        "twitching",
        "stomach_cramps",
        "urge_to_use",
    )
}


def cows(total_from=COWS_MILD, **changes):
    return total_from | changes


@pytest.fixture
def record(nurse):
    """record(patient, responses=..., hours_ago=..., instrument="cows", **kwargs) through the service."""
    from waypoint.withdrawal import services

    def _record(patient, responses=None, hours_ago=1.0, instrument="cows", **kwargs):
        return services.record_assessment(
            acting_user=kwargs.pop("acting_user", nurse),
            patient=patient,
            instrument=instrument,
            responses=COWS_MILD if responses is None else responses,
            taken_at=timezone.now() - timedelta(hours=hours_ago),
            **kwargs,
        )

    return _record
