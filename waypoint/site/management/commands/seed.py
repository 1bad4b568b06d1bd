from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from waypoint.audit import trail as audit
from waypoint.seed import run


class Command(BaseCommand):
    help = (
        "Generate deterministic synthetic patient histories for a program (created if absent) and load them "
        "in bulk: COPY on PostgreSQL, large batches on SQLite. Synthetic data only; one audit event per run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--program", required=True, help="program slug (created when it does not exist)")
        parser.add_argument("--patients", type=int, required=True)
        parser.add_argument("--days", type=int, required=True, help="length of the histories, ending now")
        parser.add_argument("--seed", type=int, default=1, help="random seed: same seed, same data")
        parser.add_argument(
            "--in-withdrawal",
            type=int,
            default=None,
            help="how many patients are in withdrawal management now (default 5%%)",
        )
        parser.add_argument(
            "--now",
            default=None,
            help="ISO-8601 end of the histories (default: the current time); fixes every timestamp",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="seed an existing program that `waypoint seed` did not create (test programs only)",
        )
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--otp",
            action="store_true",
            help="an opioid treatment program: every patient a methadone order with daily doses at the window and "
            "take-home bottles for closed Sundays over --days, on the stock ledger",
        )

    def handle(
        self, *args, program, patients, days, seed: int, in_withdrawal, now, force, no_progress, otp=False, **options
    ):
        audit.current_channel.set("command")
        if patients < 1 or days < 1:
            raise CommandError("--patients and --days must be at least 1.")
        when = None
        if now:
            when = datetime.fromisoformat(now)
            if when.tzinfo is None:
                raise CommandError("--now needs a UTC offset, e.g. 2026-01-01T12:00:00+00:00.")
        try:
            result = run.seed(
                program,
                patients=patients,
                days=days,
                seed=seed,
                in_withdrawal=in_withdrawal,
                now=when,
                force=force,
                progress=not no_progress,
            )
        except run.SeedRefused as refused:
            raise CommandError(str(refused)) from None
        if otp:
            from waypoint.accounts.models import Program
            from waypoint.seed.dosing import seed_otp

            dosed = seed_otp(Program.objects.get(slug=program), days=days, seed=seed, now=when)
            self.stdout.write(
                f"Dosing window: {dosed.patients} patients, {dosed.doses} observed doses, {dosed.bottles} take-home "
                f"bottles, {dosed.ledger_entries} ledger entries."
            )
        rows = ", ".join(f"{count} {name}" for name, count in result.rows.items() if count)
        self.stdout.write(
            f"Seeded {result.patients} synthetic patients into {program}: {rows} ({result.total_rows} "
            f"rows in {result.seconds:.1f} s, {result.rows_per_second:,.0f} rows/s)."
        )
