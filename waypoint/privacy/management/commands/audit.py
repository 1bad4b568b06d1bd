import json

from django.core.management.base import BaseCommand, CommandError

from waypoint.audit.signing import exported, imported, make_checkpoint, verify_checkpoints
from waypoint.audit.trail import verify
from waypoint.privacy.models import AuditCheckpoint, AuditVerification


class Command(BaseCommand):
    help = (
        "Audit trail tools. `waypoint audit verify` proves the hash chain intact and every signed checkpoint "
        "(stored, and any given back with --checkpoints FILE) consistent with it, then signs a new checkpoint (the "
        "result is kept, and shown as 'last verified' on the privacy officer's audit page). `waypoint audit "
        "checkpoint` signs the chain's head now and prints it; `waypoint audit checkpoints` prints every stored "
        "checkpoint, one JSON object a line, to keep outside the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("subcommand", choices=["verify", "checkpoint", "checkpoints"])
        parser.add_argument(
            "--checkpoints",
            dest="outside",
            metavar="FILE",
            help="with verify: checkpoints kept outside the database (JSON lines, as printed by checkpoint(s))",
        )

    def handle(self, *args, **options):
        if options["subcommand"] == "checkpoint":
            return self.checkpoint()
        if options["subcommand"] == "checkpoints":
            for checkpoint in AuditCheckpoint.objects.all():
                self.stdout.write(json.dumps(exported(checkpoint)))
            return None
        return self.verify(options.get("outside"))

    def checkpoint(self):
        checkpoint = make_checkpoint()
        if checkpoint is None:
            raise CommandError("the audit trail is empty: nothing to sign")
        self.stdout.write(json.dumps(exported(checkpoint)))

    def verify(self, outside_file):
        result = verify()
        problems = [] if not result.intact else verify_checkpoints(read_checkpoints(outside_file))
        if problems:
            first = min(problems, key=lambda p: p.checkpoint.last_event_id)
            result.first_bad_id, result.problem = first.checkpoint.last_event_id, str(first)
        AuditVerification.objects.create(
            checked=result.checked,
            intact=result.intact,
            first_bad_id=result.first_bad_id,
            problem=result.problem[:200],
        )
        if problems:
            raise CommandError("audit chain does NOT match its signed checkpoints: " + "; ".join(map(str, problems)))
        if not result.intact:
            raise CommandError(
                f"audit chain BROKEN at event #{result.first_bad_id}: {result.problem} "
                f"({result.checked} events before it verified)"
            )
        make_checkpoint()
        self.stdout.write(f"audit chain intact: {result.checked} events verified, every signed checkpoint holds")


def read_checkpoints(path) -> list[AuditCheckpoint]:
    if not path:
        return []
    try:
        with open(path, encoding="utf-8") as file:
            return [imported(json.loads(line)) for line in file if line.strip()]
    except (OSError, ValueError, KeyError) as error:
        raise CommandError(f"cannot read the checkpoints in {path}: {error}") from error
