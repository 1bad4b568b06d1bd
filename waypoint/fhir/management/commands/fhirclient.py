from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from waypoint.accounts.models import Program
from waypoint.fhir.services import register_external_client
from waypoint.privacy.models import Purpose


class Command(BaseCommand):
    help = (
        "Register an external system (hospital, HIE, state system) as a FHIR client of a program. It receives "
        "only what patients' active consents name it for; issue its token with `waypoint apitoken USERNAME`."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--program", required=True, help="the program's slug")
        parser.add_argument("--recipient", required=True, help="the recipient name, exactly as consents name it")
        parser.add_argument("--purpose", default=Purpose.TREATMENT, choices=Purpose.values)

    def handle(self, *args, username, program, recipient, purpose, **options):
        found = Program.objects.filter(slug=program).first()
        if found is None:
            raise CommandError(f"No program {program!r}.")
        try:
            client = register_external_client(
                acting_user=None, program=found, username=username, recipient=recipient, purpose=purpose
            )
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from error
        self.stdout.write(f"Registered {client.user.username} for {found.slug}: {client}")
