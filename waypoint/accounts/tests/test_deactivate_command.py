"""`waypoint deactivate USERNAME --reason ...`: the operator's way to end an account at once."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from conftest import api_client_for, verified_login
from waypoint.privacy.models import AuditEvent


def test_deactivate_ends_the_accounts_sessions_and_tokens_and_is_audited(nurse):
    ward = verified_login(Client(), nurse)
    api = api_client_for(nurse)
    out = io.StringIO()
    call_command("deactivate", "nurse", "--reason", "left the program", stdout=out)
    assert "1 session(s) ended, 1 API token(s) revoked" in out.getvalue()
    assert ward.get("/patients/").status_code == 302
    assert api.get("/api/v1/patients/").status_code == 401
    assert AuditEvent.objects.filter(action="account.deactivate", actor=None).exists()


def test_deactivate_refuses_an_unknown_user(db):
    with pytest.raises(CommandError):
        call_command("deactivate", "nobody", "--reason", "x", stdout=io.StringIO())
