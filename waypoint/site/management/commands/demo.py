import random

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from waypoint.accounts.models import Program
from waypoint.accounts.scoping import scopes_disabled
from waypoint.audit import trail as audit
from waypoint.comfort import demo as comfort_demo
from waypoint.drug_screens import services as drug_screen_services
from waypoint.fhir import demo as fhir_demo
from waypoint.medication import demo as medication_demo
from waypoint.patients import demo
from waypoint.placements import demo as placements_demo
from waypoint.screening import demo as screening_demo
from waypoint.treatment import demo as treatment_demo
from waypoint.withdrawal import demo as withdrawal_demo


class Command(BaseCommand):
    help = "Create the demo programs with synthetic staff and patients (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="run even though the database holds programs other than the demo ones"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the database already holds any program"
        )
        parser.add_argument("--patients", type=int, default=40)

    def handle(self, *args, force, if_empty, patients, **options):
        audit.current_channel.set("command")
        if if_empty and Program.objects.exists():
            if Program.objects.filter(slug="demo").exists():
                self.print_logins()
            return
        if not demo.is_demo_only() and not force:
            raise CommandError(
                "This database holds programs other than the demo ones (real data?). "
                "Refusing to add demo data; pass --force if you really mean it."
            )
        with transaction.atomic(), scopes_disabled():  # sanctioned: the demo builds both demo programs' records
            created = self.build(patients)
        self.stdout.write("Demo data created." if created else "Demo data already present.")
        self.print_logins()

    def build(self, patients: int) -> bool:
        if screening_demo.after_admit not in demo.AFTER_ADMIT:
            demo.AFTER_ADMIT.append(screening_demo.after_admit)
        created = demo.build(patients=patients)
        if created:
            rng = random.Random(2026)
            for program in Program.objects.filter(slug__in=demo.DEMO_SLUGS):
                membership = program.memberships.filter(role="nurse").first()
                assert membership is not None  # the demo gives every demo program a nurse
                nurse = membership.user
                withdrawal_demo.build(program, nurse, rng)
                placements_demo.build(program, nurse, rng)
                medication_demo.build(program, rng, drug_screen_services.record_screen)
                comfort_demo.build(program, rng)
                fhir_demo.build(program, nurse, rng)
            demo_program = Program.objects.get(slug="demo")
            treatment_demo.build(demo_program, {m.user.username: m.user for m in demo_program.memberships.all()}, rng)
        return created

    def print_logins(self):
        self.stdout.write(f"\nDemo logins (password for all: {demo.DEMO_PASSWORD}):")
        for username, role, program in demo.logins():
            self.stdout.write(f"  {username:<12} {role:<20} {program}")
        self.stdout.write(
            f"FHIR external system (no password; token: waypoint apitoken {fhir_demo.DEMO_CLIENT}): "
            f"{fhir_demo.DEMO_CLIENT}, recipient {fhir_demo.DEMO_RECIPIENT!r}, demo"
        )
