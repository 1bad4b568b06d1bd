"""Registering an external system as a FHIR client of a program."""

from django.core.exceptions import ValidationError
from django.db import transaction

from waypoint.accounts.models import Membership, Program, User
from waypoint.accounts.roles import STAFF_MANAGE, Role
from waypoint.audit import trail as audit
from waypoint.patients.access import require
from waypoint.privacy.models import Purpose

from .models import ExternalClient


@transaction.atomic
def register_external_client(
    *, acting_user: User | None, program: Program, username: str, recipient: str, purpose: str = Purpose.TREATMENT
) -> ExternalClient:
    """A new account with the role `external_system` in the program (no password: it signs in with API tokens
    only) and its recipient name and purpose, which a patient's consent must name for anything to reach it.

    `acting_user` None is the command line (`waypoint fhirclient`), run by whoever operates the server."""
    if acting_user is not None:
        require(acting_user, program.pk, STAFF_MANAGE)
    errors = {}
    if not username.strip() or User.objects.filter(username=username.strip()).exists():
        errors["username"] = "Give a username that is not taken."
    if not recipient.strip():
        errors["recipient"] = "Give the recipient name exactly as consents name it."
    if purpose not in Purpose.values:
        errors["purpose"] = f"Choose one of: {', '.join(Purpose.values)}."
    if errors:
        raise ValidationError(errors)
    user = User.objects.create_user(username=username.strip(), password=None, first_name=recipient.strip()[:150])
    Membership.objects.create(user=user, program=program, role=Role.EXTERNAL_SYSTEM)
    client = ExternalClient.objects.create(
        program=program, user=user, recipient=recipient.strip(), purpose=purpose, registered_by=acting_user
    )
    audit.record(
        acting_user,
        "fhir.client.register",
        program=program,
        obj=client,
        detail={"username": user.username, "recipient": client.recipient, "purpose": purpose},
    )
    return client
