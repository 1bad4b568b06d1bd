"""Demo placements and referrals: deterministic, synthetic, fast."""

import random
from datetime import timedelta

from django.utils import timezone

from waypoint.patients.models import Episode
from waypoint.placement import rules
from waypoint.placement.levels import levels_of

from . import referrals, rule_tables, services
from .models import Referral

NAMES = (
    "Alex Moreno",
    "Jordan Blake",
    "Casey Nguyen",
    "Riley Adams",
    "Sam Ortiz",
    "Taylor Brooks",
    "Morgan Reed",
    "Jamie Cole",
    "Avery Quinn",
    "Drew Patel",
    "Robin Shaw",
    "Kai Foster",
)


def build(program, nurse, rng: random.Random) -> None:
    now = timezone.now()
    codes = [lvl.code for lvl in levels_of(program.asam_edition)]
    offered = [lvl.code for lvl in program.levels.filter(active=True)] or codes[:1]
    flag_codes = [code for code, _ in referrals.flag_choices(program)]
    # The program adopts Waypoint's default rule table as its version 1 (saved by its administrator).
    admin = program.memberships.filter(role="admin").select_related("user").first()
    if admin is not None:
        table = rules.default_table(program.asam_edition)
        table["name"] = f"{program.name} placement rules (Waypoint's default, adopted)"
        rule_tables.save_version(
            acting_user=admin.user,
            program=program,
            table=table,
            note="Adopted Waypoint's default table after review by the clinical committee.",
        )
    # Placement assessments for the patients in care, most following the recommendation.
    for episode in Episode.objects.filter(program=program, discharged_at__isnull=True).select_related("patient")[:12]:
        ratings = {f"d{n}": rng.choice((0, 1, 1, 2, 2, 3)) for n in range(1, 7)}
        at = max(episode.admitted_at, now - timedelta(days=2))
        services.record_placement(
            acting_user=nurse, patient=episode.patient, ratings=ratings, notes={"d1": "Demo note"}, at=at
        )
    # Referrals: some waiting, some admitted earlier (synthetic history for the time-to-admission figures).
    for index, name in enumerate(NAMES):
        received = now - timedelta(days=rng.randint(1, 80), hours=rng.randint(0, 23))
        flags = rng.sample(flag_codes, k=rng.choice((0, 0, 1, 2))) if flag_codes else []
        if index % 3 == 0:
            referrals.create_referral(
                acting_user=nurse,
                program=program,
                name=name,
                contact=f"555-01{index:02d}",
                source=rng.choice(Referral.Source.values),
                received_at=received,
                requested_level=rng.choice(offered),
                priority_flags=flags,
                urgency=rng.choice(Referral.Urgency.values),
            )
        else:
            Referral.objects.create(
                program=program,
                name=name,
                contact=f"555-01{index:02d}",
                source=rng.choice(Referral.Source.values),
                received_at=received,
                requested_level=rng.choice(offered),
                priority_flags=flags,
                status=Referral.Status.ADMITTED if index % 3 == 1 else Referral.Status.CLOSED,
                outcome_at=min(now, received + timedelta(hours=rng.randint(2, 120))),
                outcome_reason="" if index % 3 == 1 else "No answer after three calls",
                created_by=nurse,
            )
