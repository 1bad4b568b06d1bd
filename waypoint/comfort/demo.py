"""The demo programs' comfort-medication protocol: example values only, signed as a demo protocol, so every page that
shows it says "demo — not clinical guidance". A real program's medical director writes and signs its own."""

import random
from datetime import timedelta

from django.utils import timezone

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
    nurse = users.get("nurse")
    for n, stay in enumerate([s for s in stays.order_by("started_at") if s.patient.care_team_id in teams][:2]):
        order = services.activate_order(
            acting_user=prescriber,
            patient=stay.patient,
            entries={entry.pk: {} for entry in protocol.entries.all()},
            start_at=stay.started_at,
        )
        if nurse is not None:
            give_demo_doses(nurse, order, DEMO_DOSES[n % len(DEMO_DOSES)])
    return protocol


# What the nurses did on the unit today (minutes before now), so the MAR and the board show doses given, held and
# refused, follow-ups recorded, due and overdue. Each: (minutes ago, drug, status, dose mg or reason, follow-up
# outcome and minutes after the dose, or None: not recorded yet).
DEMO_DOSES = (
    (
        (300, "loperamide", "given", "4", ("eased", 45)),
        (180, "ondansetron", "held", "Nausea settled before the dose; patient ate breakfast", None),
        (120, "acetaminophen", "given", "500", None),  # follow-up overdue
        (35, "loperamide", "given", "2", None),  # follow-up due
    ),
    (
        (360, "trazodone", "refused", "Patient wants to try sleeping without it tonight", None),
        (150, "clonidine", "held", "Systolic 88 on the vitals before the dose (protocol hold)", None),
        (90, "ondansetron", "given", "4", ("unchanged", 45)),
        (20, "acetaminophen", "given", "1000", None),  # follow-up due
    ),
)


def give_demo_doses(nurse, order, plan) -> None:
    """The plan's doses through the dose service (every check applies); those before the order's start are left out."""
    lines = {line.entry.drug: line for line in order.lines.select_related("entry", "order")}
    now = timezone.now().replace(second=0, microsecond=0)
    for minutes, drug, status, value, follow_up in plan:
        at = now - timedelta(minutes=minutes)
        if at <= order.start_at or drug not in lines:
            continue
        given = status == "given"
        dose = services.give_dose(
            acting_user=nurse,
            patient=order.patient,
            line=lines[drug],
            at=at,
            dose=value if given else None,
            status=status,
            reason="" if given else value,
        )
        if follow_up is not None:
            outcome, after = follow_up
            services.record_follow_up(acting_user=nurse, dose=dose, outcome=outcome, at=at + timedelta(minutes=after))
