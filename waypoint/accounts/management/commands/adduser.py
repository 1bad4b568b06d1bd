import getpass
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from waypoint.accounts.models import CareTeam, Membership, Program, User
from waypoint.accounts.roles import Role
from waypoint.audit import trail as audit


class Command(BaseCommand):
    help = "Add a staff user to a program with a role. The password is read from a prompt, or from stdin."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--program", required=True, help="program slug")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--team", action="append", default=[], help="care team name (repeatable)")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def read_password(self) -> str:
        if sys.stdin.isatty():
            first = getpass.getpass("Password: ")
            if first != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
            return first
        return sys.stdin.readline().rstrip("\n")

    def handle(self, *args, username, program, role, team, first_name, last_name, **options):
        found = Program.objects.filter(slug=program).first()
        if found is None:
            raise CommandError(f"No program with slug {program!r}.")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"User {username!r} exists already.")
        teams = []
        for name in team:
            care_team = CareTeam.objects.filter(program=found, name=name).first()
            if care_team is None:
                raise CommandError(f"No care team {name!r} in {found.slug}.")
            teams.append(care_team)
        password = self.read_password()
        user = User(username=username, first_name=first_name, last_name=last_name)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError("Password refused: " + " ".join(error.messages)) from error
        with transaction.atomic():
            user.set_password(password)
            user.save()
            Membership.objects.create(user=user, program=found, role=role)
            for care_team in teams:
                care_team.members.add(user)
            audit.record(None, "user.create", program=found, obj=user, detail={"username": username, "role": role})
        self.stdout.write(f"Added {username} as {Role(role).label} in {found.slug}.")
