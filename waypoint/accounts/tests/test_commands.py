"""The `waypoint` command's staff subcommands: adduser, apitoken."""

import io
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from waypoint.accounts.models import ApiToken, User


def run(*args, stdin=""):
    out = io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command(*args, stdout=out)
    finally:
        sys.stdin = old_stdin
    return out.getvalue()


def test_adduser_reads_the_password_from_stdin(program, team):
    output = run(
        "adduser",
        "rosa",
        "--program",
        "harbor",
        "--role",
        "counselor",
        "--team",
        "Harbor team",
        stdin="a-long-enough-passphrase\n",
    )
    assert "Added rosa as Counselor in harbor" in output
    user = User.objects.get(username="rosa")
    assert user.check_password("a-long-enough-passphrase")
    assert user.password.startswith("argon2")
    assert user.memberships.get().role == "counselor" and team in user.care_teams.all()


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--program", "nowhere", "--role", "nurse"], "a-long-enough-passphrase\n", "No program"),
        (["--program", "harbor", "--role", "nurse"], "short\n", "Password refused"),
        (["--program", "harbor", "--role", "nurse"], "password1234\n", "Password refused"),
        (["--program", "harbor", "--role", "nurse", "--team", "Nope"], "a-long-enough-passphrase\n", "No care team"),
    ],
)
def test_adduser_refuses_bad_input_and_creates_nobody(program, args, stdin, message):
    with pytest.raises(CommandError, match=message):
        run("adduser", "rosa", *args, stdin=stdin)
    assert not User.objects.filter(username="rosa").exists()


def test_adduser_refuses_an_unknown_role(program):
    with pytest.raises(CommandError):
        run("adduser", "rosa", "--program", "harbor", "--role", "janitor", stdin="a-long-enough-passphrase\n")


def test_apitoken_prints_only_a_token_that_works_and_is_stored_hashed(nurse, patient):
    raw = run("apitoken", "nurse").strip()
    assert raw.startswith("wp_") and "\n" not in raw
    stored = ApiToken.objects.get(user=nurse)
    assert raw not in (stored.digest, stored.prefix)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 200


def test_a_revoked_or_unknown_token_is_401(nurse, patient):
    raw = run("apitoken", "nurse").strip()
    ApiToken.objects.update(revoked_at=timezone.now())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/patients/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Bearer wp_made-up")
    assert client.get("/api/v1/patients/").status_code == 401


def test_the_console_script_is_the_management_command():
    result = subprocess.run([sys.executable, "-m", "waypoint", "help", "audit"], capture_output=True, text=True)
    assert result.returncode == 0 and "verify" in result.stdout
