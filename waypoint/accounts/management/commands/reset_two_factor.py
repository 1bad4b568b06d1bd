from django.core.management.base import BaseCommand, CommandError

from waypoint.accounts import two_factor
from waypoint.accounts.models import User


class Command(BaseCommand):
    help = (
        "Remove a staff account's second factor (lost phone and recovery codes): its sessions end and it must "
        "set up a new authenticator at its next sign-in. Confirm the person's identity first."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="why, and how the identity was confirmed (audited)")

    def handle(self, *args, username, reason, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        two_factor.remove(acting_user=None, user=user, reason=reason)
        self.stdout.write(f"Second factor of {username} removed; they set up a new one at their next sign-in.")
