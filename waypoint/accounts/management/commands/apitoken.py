from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from waypoint.accounts.models import ApiToken, User
from waypoint.audit import trail as audit


class Command(BaseCommand):
    help = "Issue an API token for a user and print it (only the token, once: it is stored hashed)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=90, help="days until it expires (default 90)")
        parser.add_argument("--label", default="")

    def handle(self, *args, username, days, label, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        if not 1 <= days <= 365:
            raise CommandError("--days must be between 1 and 365.")
        with transaction.atomic():
            token, raw = ApiToken.issue(user, days=days, label=label)
            audit.record(None, "apitoken.issue", obj=token, detail={"username": username, "prefix": token.prefix})
        self.stdout.write(raw)
