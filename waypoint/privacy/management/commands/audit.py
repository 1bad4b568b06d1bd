import json
import signal
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Min
from django.utils import timezone

from waypoint.accounts.models import Program
from waypoint.audit import sequencer
from waypoint.audit.signing import exported, imported, make_checkpoint, verify_checkpoints
from waypoint.audit.trail import verify
from waypoint.privacy.models import AuditCheckpoint, AuditEvent, AuditVerification
from waypoint.privacy.settings import UNSEALED_MINUTES


class Command(BaseCommand):
    help = (
        "Audit trail tools. `waypoint audit seal` links the events written since into their program's hash chain "
        "and signs a checkpoint per chain (`--follow`: keep doing so, as a process beside the server). "
        "`waypoint audit verify` proves every chain intact and every signed checkpoint (the newest stored of each "
        "chain, and any given back with --checkpoints FILE) consistent with it, reports the events waiting to be "
        "sealed and fails when one waited longer than the program allows; then it signs every chain's head (the "
        "result is kept, and shown on the privacy officer's audit page). `waypoint audit checkpoint` signs every "
        "chain's head now and prints them; `waypoint audit checkpoints` prints every stored checkpoint, one JSON "
        "object a line, to keep outside the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("subcommand", choices=["seal", "verify", "checkpoint", "checkpoints"])
        parser.add_argument(
            "--checkpoints",
            dest="outside",
            metavar="FILE",
            help="with verify: checkpoints kept outside the database (JSON lines, as printed by checkpoint(s))",
        )
        parser.add_argument("--follow", action="store_true", help="with seal: keep sealing until stopped")
        parser.add_argument("--interval", type=float, default=0.5, help="with seal --follow: seconds between rounds")
        parser.add_argument("--batch", type=int, default=sequencer.BATCH, help="with seal: events per batch")

    def handle(self, *args, **options):
        if options["subcommand"] == "seal":
            return self.seal(options["follow"], options["interval"], options["batch"])
        if options["subcommand"] == "checkpoint":
            return self.checkpoint()
        if options["subcommand"] == "checkpoints":
            for checkpoint in AuditCheckpoint.objects.all():
                self.stdout.write(json.dumps(exported(checkpoint)))
            return None
        return self.verify(options.get("outside"))

    def seal(self, follow: bool, interval: float, batch: int):
        if not follow:
            sealed = sequencer.seal_all(batch)
            self.stdout.write(f"audit trail: {sealed} events sealed")
            return
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
        self.stdout.write(f"audit sequencer: sealing every {interval} s until stopped")
        sequencer.follow(
            interval,
            batch,
            should_stop=lambda: bool(stopping),
            on_error=lambda error: self.stderr.write(f"audit sequencer: the database failed ({error}); trying again"),
        )

    def checkpoint(self):
        checkpoints = make_checkpoint()
        if not checkpoints:
            raise CommandError("no audit event is sealed yet: nothing to sign (run `waypoint audit seal`)")
        for checkpoint in checkpoints:
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
        self.stdout.write(
            f"audit chain intact: {result.checked} events verified in {result.chains} chains, every signed "
            "checkpoint holds"
        )
        late = overdue()
        if result.unsealed:
            oldest = result.oldest_unsealed_at
            waited = int((timezone.now() - oldest).total_seconds())
            self.stdout.write(
                f"{result.unsealed} events wait to be sealed, the oldest since {oldest:%Y-%m-%d %H:%M:%S} UTC "
                f"({waited} seconds)"
            )
        if late:
            raise CommandError("; ".join(late) + ". Is the sequencer (`waypoint audit seal --follow`) running?")


def overdue(now=None) -> list[str]:
    """The programs (and the events of no program) whose oldest unsealed event waited longer than allowed."""
    now = now or timezone.now()
    waiting = (
        AuditEvent.objects.filter(hash__isnull=True)
        .values("program_id")
        .annotate(count=Count("id"), oldest=Min("at"))
        .order_by("program_id")
    )
    programs = Program.objects.in_bulk([row["program_id"] for row in waiting if row["program_id"]])
    found = []
    for row in waiting:
        program = programs.get(row["program_id"])
        minutes = UNSEALED_MINUTES.get(program) if program is not None else UNSEALED_MINUTES.default
        waited = now - row["oldest"]
        if waited > timedelta(minutes=minutes):
            waited_minutes = int(waited.total_seconds() // 60)
            whose = f"of {program.name}" if program is not None else "of no program"
            found.append(
                f"{row['count']} audit events {whose} wait to be sealed, the oldest for {waited_minutes} "
                f"minutes, longer than {UNSEALED_MINUTES.describe(minutes)} ({UNSEALED_MINUTES.origin})"
            )
    return found


def read_checkpoints(path) -> list[AuditCheckpoint]:
    if not path:
        return []
    try:
        with open(path, encoding="utf-8") as file:
            return [imported(json.loads(line)) for line in file if line.strip()]
    except (OSError, ValueError, KeyError) as error:
        raise CommandError(f"cannot read the checkpoints in {path}: {error}") from error
