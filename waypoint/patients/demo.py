"""The demo programs: synthetic people only, deterministic, built through the same services as real work."""

import random
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from waypoint.accounts.demo import DEMO_SLUGS, is_demo_only  # noqa: F401  (the demo command asks here)
from waypoint.accounts.models import CareTeam, Membership, Program, ProgramLevel, User
from waypoint.accounts.roles import Role
from waypoint.placement.levels import level

from . import services
from .models import Episode, Patient

DEMO_PASSWORD = "waypoint-demo-2026"

STAFF = (
    ("nurse", "Nora", "Alvarez", Role.NURSE, "Harbor team"),
    ("prescriber", "Priya", "Shah", Role.PRESCRIBER, "Harbor team"),
    ("counselor", "Colin", "Baker", Role.COUNSELOR, "Bridge team"),
    ("intake", "Ines", "Moreau", Role.INTAKE, None),
    ("director", "Dana", "Okafor", Role.DIRECTOR, None),
    ("privacy", "Paul", "Lindqvist", Role.PRIVACY, None),
    ("admin", "Ada", "Kim", Role.ADMIN, None),
)
NORTH_STAFF = (("north-nurse", "Noah", "Berg", Role.NURSE, "North team"),)

# (code, capacity): the 3rd-edition levels the demo program offers.
DEMO_LEVELS = (("3.7-WM", 12), ("3.5", 24), ("2.5", 20), ("2.1", 30), ("1", 60), ("OTP", 80))
NORTH_LEVELS = (("3.7-WM", 8), ("3.5", 16), ("1", 40))

GIVEN = (
    "Maria",
    "James",
    "Aisha",
    "Daniel",
    "Keisha",
    "Tyler",
    "Rosa",
    "Marcus",
    "Emily",
    "Luis",
    "Hannah",
    "Jamal",
    "Sofia",
    "Kevin",
    "Brianna",
    "Andre",
    "Megan",
    "Jose",
    "Tanya",
    "Cody",
    "Alicia",
    "Derek",
    "Nicole",
    "Ramon",
    "Crystal",
    "Shawn",
    "Amber",
    "Victor",
    "Jasmine",
    "Travis",
)
FAMILY = (
    "Rivera",
    "Johnson",
    "Nguyen",
    "Smith",
    "Okoro",
    "Miller",
    "Garcia",
    "Brooks",
    "Walker",
    "Hernandez",
    "Carter",
    "Lopez",
    "Reed",
    "Patel",
    "Coleman",
    "Diaz",
    "Foster",
    "Jenkins",
    "Morales",
    "Price",
)
PRONOUNS = ("she/her", "he/him", "they/them")


def _program(slug, name, tz, levels) -> Program:
    program, _ = Program.objects.get_or_create(slug=slug, defaults={"name": name, "time_zone": tz})
    for code, capacity in levels:
        ProgramLevel.objects.get_or_create(program=program, code=code, defaults={"capacity": capacity})
    return program


def _staff(program, rows) -> dict[str, User]:
    users = {}
    for username, first, last, role, team in rows:
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": first, "last_name": last})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        Membership.objects.get_or_create(user=user, program=program, defaults={"role": role})
        if team:
            CareTeam.objects.get_or_create(program=program, name=team)[0].members.add(user)
        users[username] = user
    return users


# Paths through care: each a list of (level, days after admission); discharge (days, reason) or None.
PATHS = (
    ([("3.7-WM", 0)], None),
    ([("3.7-WM", 0), ("3.5", 5)], None),
    ([("3.7-WM", 0), ("3.5", 6), ("2.1", 34)], None),
    ([("3.5", 0), ("2.5", 28)], None),
    ([("2.1", 0)], None),
    ([("1", 0)], None),
    ([("OTP", 0)], None),
    ([("3.7-WM", 0), ("3.5", 5)], (40, "completed")),
    ([("3.7-WM", 0)], (2, "left_against_advice")),
    (None, None),  # registered, waiting for admission
)


# Other areas' demo steps right after an admission (e.g. screening records naloxone and education, which
# every later transition requires); the demo command appends them. Each: (episode, user, rng) -> None.
AFTER_ADMIT: list = []


def _patients(program: Program, users: dict[str, User], count: int, rng: random.Random, mrn_prefix: str) -> None:
    clinician = users.get("intake") or next(iter(users.values()))
    teams = {team.name: team for team in CareTeam.objects.filter(program=program)}
    any_team = next(iter(teams.values()))
    # The residential team (the demo nurse's) looks after 24-hour care; the Bridge team after outpatients.
    residential, outpatient = teams.get("Harbor team", any_team), teams.get("Bridge team", any_team)
    now = timezone.now().replace(second=0, microsecond=0)
    offered = set(ProgramLevel.objects.filter(program=program).values_list("code", flat=True))
    paths = [p for p in PATHS if p[0] is None or all(code in offered for code, _ in p[0])]
    for n in range(count):
        steps, discharge = paths[n % len(paths)]
        in_24h_care = steps is None or level(program.asam_edition, steps[-1][0]).has_beds
        sex = rng.choice(("female", "male"))
        patient = services.register_patient(
            acting_user=clinician,
            program=program,
            mrn=f"{mrn_prefix}-{1000 + n}",
            given_name=rng.choice(GIVEN),
            family_name=rng.choice(FAMILY),
            birth_date=date(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 38)),
            sex_at_birth=sex,
            pronouns=rng.choice(PRONOUNS),
            phone=f"555-01{rng.randrange(10, 99)}",
            city=rng.choice(("Springfield", "Riverton", "Fairview")),
            state="OH",
            allergies=rng.choice(("No known allergies", "Penicillin (rash)", "No known allergies", "Sulfa")),
            alerts=rng.choice(("", "", "", "Prior overdose (2024)", "Fall risk")),
            emergency_contact_name=rng.choice(("Lena", "Mark", "Gloria", "Sam")) + " " + rng.choice(FAMILY),
            emergency_contact_relationship=rng.choice(("mother", "partner", "brother", "friend")),
            care_team=residential if in_24h_care else outpatient,
        )
        if steps is None:
            continue
        length = max(day for _, day in steps) + (discharge[0] if discharge else rng.randrange(1, 20))
        admitted = now - timedelta(days=length, hours=rng.randrange(0, 12))
        episode = services.admit(
            acting_user=clinician,
            patient=patient,
            admitted_at=admitted,
            level_code=steps[0][0],
            reason="Demo admission",
        )
        for step in AFTER_ADMIT:
            step(episode, clinician, rng)
        for code, day in steps[1:]:
            services.transfer(
                acting_user=users.get("nurse", clinician),
                episode=episode,
                at=admitted + timedelta(days=day),
                level_code=code,
                reason="Step-down: withdrawal complete, stable",
            )
        if discharge:
            services.discharge(
                acting_user=clinician,
                episode=episode,
                discharged_at=admitted + timedelta(days=discharge[0]),
                reason=discharge[1],
                plan=_demo_plan(program, admitted + timedelta(days=discharge[0]), discharge[1]),
            )


def _demo_plan(program, discharged_at, reason: str) -> dict:
    """A plausible continuing-care plan for a demo discharge (every discharge records one)."""
    if reason == Episode.DischargeReason.AGAINST_ADVICE:
        return {"offered": "Outpatient follow-up here and a medication bridge were offered; declined for now."}
    return {
        "next_level": "2.1",
        "next_provider": "Harbor outpatient clinic (this program)",
        "provider_in_program": True,
        "appointment_at": discharged_at + timedelta(days=2),
        "appointment_place": "Outpatient clinic, front desk",
        "moud_continued_by": "This program's prescriber",
        "moud_next_due": timezone.localtime(discharged_at, program.tz).date() + timedelta(days=1),
        "triggers": "Being alone in the evening; money in my pocket",
        "coping_steps": "Call my sponsor, go to the evening group, walk",
        "people_to_call": "My sponsor; my brother",
    }


@transaction.atomic
def build(patients: int = 40, north_patients: int = 6, seed: int = 2026) -> bool:
    """Create the demo programs, staff and patients; returns False when they already existed."""
    demo = _program("demo", "Harbor Recovery Center (demo)", "America/New_York", DEMO_LEVELS)
    north = _program("demo-north", "North Ridge Treatment (demo)", "America/Chicago", NORTH_LEVELS)
    demo_users = _staff(demo, STAFF)
    north_users = _staff(north, NORTH_STAFF)
    CareTeam.objects.get_or_create(program=demo, name="Bridge team")
    # sanctioned (not visible_patients): the demo command asks whether it ran before
    if Patient.objects.filter(program=demo).exists():
        return False
    rng = random.Random(seed)
    _patients(demo, demo_users, patients, rng, "W")
    _patients(north, north_users, north_patients, rng, "N")
    return True


def logins() -> list[tuple[str, str, str]]:
    rows = []
    for username, _, _, role, _ in STAFF + NORTH_STAFF:
        program = "demo-north" if username.startswith("north") else "demo"
        rows.append((username, Role(role).label, program))
    return rows
