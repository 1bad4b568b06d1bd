"""Failed sign-ins: an account is locked from one address, and an address is locked across accounts (django-axes).

ASVS 5.0 V6.3.1 (brute force and password spraying). Two counts, over the cool-off time:

- the failures of one username from one address (password, second-factor code or re-authentication): past
  AXES_FAILURE_LIMIT that username is refused from that address. Someone guessing elsewhere cannot lock a nurse
  out of the clinic's own workstation;
- the failures from one address over every username: past WAYPOINT_ADDRESS_LOCKOUT_FAILURES (default 30, well above
  a clinic's staff mistyping behind one shared address) that address is refused for every account, which stops
  trying one common password against every account.

Every failure and every lockout is audited (accounts/sessions.py).
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum

# The counts axes keeps, in this order (settings.AXES_LOCKOUT_PARAMETERS).
LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]


def address_limit() -> int:
    return settings.WAYPOINT_ADDRESS_LOCKOUT_FAILURES


class AccountAndAddressHandler(AxesDatabaseHandler):
    """Locked when this username failed too often from this address, or this address failed too often overall."""

    def get_failures(self, request, credentials=None) -> int:
        per_account, per_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if per_address >= address_limit():
            return max(per_account, get_failure_limit(request, credentials))
        return per_account
