from pathlib import Path
from subprocess import CalledProcessError

from django.core.management.base import BaseCommand, CommandError

from waypoint.reliability import backups


class Command(BaseCommand):
    help = "Back up the whole database to FILE (PostgreSQL: pg_dump custom format; SQLite: online backup)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            backups.backup(file)
        except CalledProcessError as failed:
            raise CommandError(f"backup failed: {failed.stderr.strip()}") from failed
        self.stdout.write(f"backup written: {file} ({file.stat().st_size:,} bytes)")
