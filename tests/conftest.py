"""Fixtures of the cross-cutting tests: one patient with a record of every kind."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from waypoint.patients import services
from waypoint.privacy.services import record_consent
from waypoint.withdrawal import services as withdrawal

COWS = {"resting_pulse": 1, "sweating": 1, "restlessness": 1, "pupil_size": 1, "bone_joint_aches": 1,
        "runny_nose_tearing": 1, "gi_upset": 1, "tremor": 1, "yawning": 1, "anxiety_irritability": 0, "gooseflesh": 0}


@dataclass
class Context:
    program: object
    patient: object
    episode: object
    assessment: object
    nurse: object
    consent: object


@pytest.fixture
def ctx(program, patient, nurse, counselor_off_team, north_nurse, privacy_officer):
    episode = services.admit(acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(days=2),
                             level_code="3.7-WM")
    assessment = withdrawal.record_assessment(acting_user=nurse, patient=patient, instrument="cows", responses=COWS,
                                              taken_at=timezone.now() - timedelta(hours=1))
    consent = record_consent(acting_user=nurse, patient=patient, disclosing_party="Harbor", information=["episodes"],
                             information_description="admissions", recipients=["Riverside Primary Care"],
                             purposes=["treatment"], expiry="none", signed_by="Maria Rivera",
                             signed_on=timezone.localdate(), right_to_revoke_explained=True)
    return Context(program, patient, episode, assessment, nurse, consent)
