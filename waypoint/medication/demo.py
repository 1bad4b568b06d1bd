"""Demo MOUD and drug screens (synthetic, deterministic): buprenorphine inductions for patients in withdrawal
management, each dose placed after a COWS at or above the demo program's induction threshold and before a lower
one; methadone maintenance for opioid treatment program patients, with a missed dose; a few urine screens."""

import random
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from waypoint.accounts import program_settings
from waypoint.accounts.models import User
from waypoint.patients.models import LevelOfCareStay
from waypoint.withdrawal import board
from waypoint.withdrawal.models import Assessment

from . import services
from . import settings as ceilings


def _induction(prescriber, nurse, patient) -> int:
    cows = list(Assessment.objects.in_force().filter(patient=patient, instrument="cows").order_by("taken_at"))
    pairs = [(a, b) for a, b in zip(cows, cows[1:], strict=False) if a.total >= 8 and b.total < a.total][:3]
    if not pairs:
        return 0
    start = pairs[0][0].taken_at + timedelta(minutes=5)
    order = services.order_medication(
        acting_user=prescriber,
        patient=patient,
        medication="buprenorphine",
        dose=Decimal("4"),
        route="sublingual",
        times_per_day=12,
        min_interval_hours=1,
        frequency="as needed",
        phase="induction",
        start_at=start,
        instructions="Give when COWS is at or above the program threshold.",
    )
    for before, _after in pairs:
        services.record_administration(
            acting_user=nurse,
            patient=patient,
            order=order,
            status="given",
            dose="4",
            at=before.taken_at + timedelta(minutes=15),
        )
    return len(pairs)


def _maintenance(prescriber, nurse, patient, rng: random.Random, record_screen) -> None:
    now = timezone.now().replace(second=0, microsecond=0)
    order = services.order_medication(
        acting_user=prescriber,
        patient=patient,
        medication="methadone",
        dose=Decimal(rng.choice((60, 80, 90))),
        route="oral",
        times_per_day=1,
        phase="maintenance",
        start_at=now - timedelta(days=9, hours=2),
    )
    missed = rng.randrange(1, 7)
    nine_local = timezone.localtime(now, ZoneInfo(patient.program.time_zone)).replace(hour=9, minute=0)
    for days in range(8, 0, -1):
        at = nine_local - timedelta(days=days)  # once a program day, 24 h apart (the daily ceiling is any 24 hours)
        if days == missed:
            services.record_administration(
                acting_user=nurse,
                patient=patient,
                order=order,
                status="missed",
                at=at,
                note="Did not come to the dosing window.",
            )
        else:
            services.record_administration(
                acting_user=nurse, patient=patient, order=order, status="given", dose=order.dose, at=at
            )
    unexpected = rng.random() < 0.5
    record_screen(
        acting_user=nurse,
        patient=patient,
        collected_at=now - timedelta(days=3, hours=1),
        observed=True,
        results={
            "methadone": "positive",
            "fentanyl": "positive" if unexpected else "negative",
            "opiates": "negative",
            "cocaine": "negative",
            "benzodiazepines": "negative",
            "xylazine": "negative",
        },
    )


# Demo values, NOT clinical guidance: shared/reference/ publishes no maximum dose for any MOUD medication, so the
# demo programs show the ceilings at work with these numbers, labelled as demo values on every page showing them.
DEMO_CEILINGS_MG = {
    "buprenorphine": (16, 24),
    "buprenorphine_naloxone": (16, 24),
    "methadone": (120, 120),
    "naltrexone_er": (380, 380),
}
DEMO_CEILINGS_SOURCE = "Demo values — not clinical guidance. A real program sets its own from its protocol."


def set_demo_ceilings(program, acting_user: User) -> None:
    for code, (single, daily) in DEMO_CEILINGS_MG.items():
        program_settings.change(program, ceilings.MAX_DOSE[code].key, single, acting_user=acting_user)
        program_settings.change(program, ceilings.MAX_DAILY[code].key, daily, acting_user=acting_user)
    program_settings.change(program, ceilings.CEILINGS_SOURCE.key, DEMO_CEILINGS_SOURCE, acting_user=acting_user)


def build(program, rng: random.Random, record_screen) -> None:
    """`record_screen`: drug_screens.services.record_screen, passed in by the demo command (the drug screens app
    stands above this one: it reads the orders to judge a result expected)."""
    users = {m.role: m.user for m in program.memberships.select_related("user")}
    prescriber, nurse = users.get("prescriber"), users.get("nurse")
    if prescriber is None or nurse is None:
        return
    set_demo_ceilings(program, prescriber)
    stays = list(
        LevelOfCareStay.objects.filter(
            program=program, ended_at__isnull=True, level_code__in=board.board_levels(program)
        )
        .select_related("patient")
        .order_by("started_at")
    )
    inducted = 0
    for stay in stays:
        if inducted >= 3 or stay.patient.care_team_id not in set(prescriber.care_teams.values_list("id", flat=True)):
            continue
        if _induction(prescriber, nurse, stay.patient):
            inducted += 1
            record_screen(
                acting_user=nurse,
                patient=stay.patient,
                collected_at=stay.started_at + timedelta(hours=1),
                observed=True,
                results={
                    "opiates": "positive",
                    "fentanyl": "positive",
                    "xylazine": rng.choice(("positive", "negative")),
                    "buprenorphine": "negative",
                    "cocaine": "negative",
                    "benzodiazepines": "negative",
                },
            )
    otp = LevelOfCareStay.objects.filter(
        program=program, ended_at__isnull=True, level_code="OTP", started_at__lte=timezone.now() - timedelta(days=10)
    ).select_related("patient")
    for stay in otp[:3]:
        _maintenance(prescriber, nurse, stay.patient, rng, record_screen)
