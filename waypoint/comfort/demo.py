"""The demo programs' comfort-medication protocol: example values only, signed as a demo protocol, so every page that
shows it says "demo — not clinical guidance". A real program's medical director writes and signs its own."""

import random

from waypoint.patients.models import LevelOfCareStay
from waypoint.withdrawal import board

from . import services
from .models import Protocol

DEMO_TITLE = "Demo comfort-medication protocol"
# Example values for the demo only, within the label maxima of shared/reference/withdrawal-medications.md.
DEMO_ENTRIES = [
    {"symptom": "diarrhea", "drug": "loperamide", "route": "oral", "dose_min_mg": "2", "dose_max_mg": "4",
     "min_interval_minutes": 120, "max_24h_mg": "8", "follow_up_minutes": 60},
    {"symptom": "nausea_vomiting", "drug": "ondansetron", "route": "oral", "dose_min_mg": "4", "dose_max_mg": "4",
     "min_interval_minutes": 480, "max_24h_mg": "12", "follow_up_minutes": 45},
    {"symptom": "pain", "drug": "acetaminophen", "route": "oral", "dose_min_mg": "500", "dose_max_mg": "1000",
     "min_interval_minutes": 360, "max_24h_mg": "3000", "condition": "liver_disease", "condition_max_24h_mg": "2000",
     "follow_up_minutes": 60},
    {"symptom": "adrenergic", "drug": "clonidine", "route": "oral", "dose_min_mg": "0.1", "dose_max_mg": "0.1",
     "min_interval_minutes": 240, "max_24h_mg": "0.4", "hold_systolic_below": 90, "hold_pulse_below": 55,
     "vitals_max_age_minutes": 60, "follow_up_minutes": 60},
    {"symptom": "trouble_sleeping", "drug": "trazodone", "route": "oral", "dose_min_mg": "50", "dose_max_mg": "50",
     "min_interval_minutes": 1440, "max_24h_mg": "50", "follow_up_minutes": 60},
]  # fmt: skip


def build(program, rng: random.Random) -> Protocol | None:
    users = {m.role: m.user for m in program.memberships.select_related("user")}
    prescriber = users.get("prescriber")
    if prescriber is None or Protocol.objects.filter(program=program).exists():
        return None
    protocol = services.sign_protocol(
        acting_user=prescriber, program=program, title=DEMO_TITLE, entries=DEMO_ENTRIES, is_demo=True
    )
    teams = set(prescriber.care_teams.values_list("id", flat=True))
    stays = LevelOfCareStay.objects.filter(
        program=program, ended_at__isnull=True, level_code__in=board.board_levels(program)
    ).select_related("patient")
    for stay in [s for s in stays.order_by("started_at") if s.patient.care_team_id in teams][:2]:
        services.activate_order(
            acting_user=prescriber,
            patient=stay.patient,
            entries={entry.pk: {} for entry in protocol.entries.all()},
            start_at=stay.started_at,
        )
    return protocol
