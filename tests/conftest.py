"""Fixtures of the cross-cutting tests: one patient with a record of every kind."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import naloxone_and_education
from waypoint.patients import services
from waypoint.privacy.services import record_consent
from waypoint.screening import services as screening
from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS
from waypoint.withdrawal import services as withdrawal

COWS = {
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


@dataclass
class Context:
    program: object
    patient: object
    episode: object
    assessment: object
    nurse: object
    consent: object
    follow_up: object


@pytest.fixture
def ctx(program, patient, nurse, counselor_off_team, north_nurse, privacy_officer):
    episode = services.admit(
        acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(days=2), level_code="3.7-WM"
    )
    assessment = withdrawal.record_assessment(
        acting_user=nurse,
        patient=patient,
        instrument="cows",
        responses=COWS,
        taken_at=timezone.now() - timedelta(hours=1),
    )
    consent = record_consent(
        acting_user=nurse,
        patient=patient,
        disclosing_party="Harbor",
        information=["episodes"],
        information_description="admissions",
        recipients=["Riverside Primary Care"],
        purposes=["treatment"],
        expiry="none",
        signed_by="Maria Rivera",
        signed_on=program.today(),  # the program's day, not the server's UTC date
        right_to_revoke_explained=True,
    )
    naloxone_and_education(patient, nurse, timezone.now() - timedelta(hours=2))  # transitions require them
    return Context(program, patient, episode, assessment, nurse, consent, screening_follow_up(patient, nurse))


def screening_follow_up(patient, nurse):
    screening.record_history(
        acting_user=nurse, patient=patient, uses=[{"substance": "heroin", "routes": ["injection"]}]
    )
    screening.record_screen(
        acting_user=nurse,
        patient=patient,
        taken_at=timezone.now() - timedelta(hours=1),
        answers=dict.fromkeys(HEROIN_COMPLICATIONS.keys, "absent"),
    )
    return patient.follow_ups.first()


@pytest.fixture
def team_counselor(program, team):
    """A counselor on the patient's care team (may keep and read SUD counseling notes)."""
    from conftest import make_user
    from waypoint.accounts.roles import Role

    return make_user("team-counselor", program, Role.COUNSELOR, team)
