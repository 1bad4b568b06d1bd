from pathlib import Path
from subprocess import CalledProcessError

from django.core.management.base import BaseCommand, CommandError

from waypoint.reliability import backups


class Command(BaseCommand):
    help = (
        "Restore a `waypoint backup` FILE into the configured database (meant for a new, empty database: "
        "what is there is replaced). Then run `waypoint audit verify`."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--yes", action="store_true", help="confirm: the database's contents are replaced")

    def handle(self, *args, file: Path, yes: bool, **options):
        if not yes:
            raise CommandError("This replaces the database's contents: add --yes to confirm.")
        try:
            backups.restore(file)
        except FileNotFoundError as missing:
            raise CommandError(f"no backup file at {missing}") from missing
        except CalledProcessError as failed:
            raise CommandError(f"restore failed: {failed.stderr.strip()}") from failed
        self.stdout.write(f"restored from {file}; now run `waypoint audit verify`")
