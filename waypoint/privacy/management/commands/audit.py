from django.core.management.base import BaseCommand, CommandError

from waypoint.privacy.audit import verify


class Command(BaseCommand):
    help = "Audit trail tools. `waypoint audit verify` proves the hash chain intact."

    def add_arguments(self, parser):
        parser.add_argument("subcommand", choices=["verify"])

    def handle(self, *args, **options):
        result = verify()
        if not result.intact:
            raise CommandError(
                f"audit chain BROKEN at event #{result.first_bad_id}: {result.problem} "
                f"({result.checked} events before it verified)"
            )
        self.stdout.write(f"audit chain intact: {result.checked} events verified")
