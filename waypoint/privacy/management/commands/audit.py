from django.core.management.base import BaseCommand, CommandError

from waypoint.privacy.audit import verify
from waypoint.privacy.models import AuditVerification


class Command(BaseCommand):
    help = (
        "Audit trail tools. `waypoint audit verify` proves the hash chain intact (the result is kept, and "
        "shown as 'last verified' on the privacy officer's audit page)."
    )

    def add_arguments(self, parser):
        parser.add_argument("subcommand", choices=["verify"])

    def handle(self, *args, **options):
        result = verify()
        AuditVerification.objects.create(
            checked=result.checked, intact=result.intact, first_bad_id=result.first_bad_id, problem=result.problem[:200]
        )
        if not result.intact:
            raise CommandError(
                f"audit chain BROKEN at event #{result.first_bad_id}: {result.problem} "
                f"({result.checked} events before it verified)"
            )
        self.stdout.write(f"audit chain intact: {result.checked} events verified")
