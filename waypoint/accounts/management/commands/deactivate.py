from django.core.management.base import BaseCommand, CommandError

from waypoint.accounts import services
from waypoint.accounts.models import User


class Command(BaseCommand):
    help = "Deactivate a staff account: it can no longer sign in; its sessions end and its API tokens are revoked."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="why (kept in the audit trail)")

    def handle(self, *args, username, reason, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        counts = services.deactivate(acting_user=None, user=user, reason=reason)
        self.stdout.write(
            f"Deactivated {username}: {counts['sessions']} session(s) ended, {counts['tokens']} API token(s) revoked"
        )
