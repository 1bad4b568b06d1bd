"""Registering an external system: the command, the service's checks, and what the new account can reach."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from waypoint.accounts.models import Membership
from waypoint.accounts.roles import Role
from waypoint.fhir.access import ExternalReader, reader_for
from waypoint.fhir.models import ExternalClient
from waypoint.fhir.services import register_external_client
from waypoint.privacy.models import AuditEvent


def test_the_command_registers_an_external_system_with_an_audit_event(program, capsys):
    call_command(
        "fhirclient",
        "state-hie",
        "--program",
        program.slug,
        "--recipient",
        "State HIE",
        "--purpose",
        "health_care_operations",
    )
    client = ExternalClient.objects.get(user__username="state-hie")
    assert (client.recipient, client.purpose) == ("State HIE", "health_care_operations")
    assert Membership.objects.get(user=client.user).role == Role.EXTERNAL_SYSTEM
    assert not client.user.has_usable_password()
    assert AuditEvent.objects.filter(action="fhir.client.register", object_id=str(client.pk)).exists()
    assert isinstance(reader_for(client.user, program), ExternalReader)


def test_the_command_refuses_a_taken_username_or_an_unknown_program(program, nurse):
    with pytest.raises(CommandError, match="username"):
        call_command("fhirclient", "nurse", "--program", program.slug, "--recipient", "X")
    with pytest.raises(CommandError, match="No program"):
        call_command("fhirclient", "new", "--program", "nowhere", "--recipient", "X")


def test_only_an_administrator_registers_one_from_the_application(program, nurse):
    with pytest.raises(PermissionDenied):
        register_external_client(acting_user=nurse, program=program, username="x", recipient="X")
    with pytest.raises(ValidationError) as error:
        register_external_client(acting_user=None, program=program, username="y", recipient=" ", purpose="fun")
    assert set(error.value.message_dict) == {"recipient", "purpose"}
