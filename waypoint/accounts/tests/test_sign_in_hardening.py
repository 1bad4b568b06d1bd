"""Lockout after repeated failed sign-ins (django-axes), and the password rules."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from conftest import PASSWORD, authenticator_of, totp_code
from waypoint.accounts.models import User
from waypoint.privacy.models import AuditEvent


def sign_in(password, username="nurse", address="127.0.0.1"):
    return Client(REMOTE_ADDR=address).post("/login/", {"username": username, "password": password})


@override_settings(AXES_FAILURE_LIMIT=3)
def test_after_three_failures_the_right_password_is_refused_while_locked_and_the_lock_is_audited(nurse):
    for _ in range(2):
        assert sign_in("wrong-password-123").status_code == 200
    locked = sign_in("wrong-password-123")
    assert locked.status_code == 429
    assert b"Sign-in locked" in locked.content
    refused = sign_in(PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in refused.client.session
    assert AuditEvent.objects.filter(action="auth.sign_in", outcome="failed").count() >= 3
    lock = AuditEvent.objects.filter(action="auth.lockout").first()
    assert lock is not None and lock.outcome == "denied" and lock.detail["username"] == "nurse"


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_lock_is_per_username_and_another_account_still_signs_in(nurse, intake):
    for _ in range(3):
        sign_in("wrong-password-123")
    assert sign_in(PASSWORD, username="intake").status_code == 302


def sign_in_fully(password=PASSWORD, username="nurse"):
    """Both steps: the password, then a code from the user's authenticator."""
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302
    device = authenticator_of(User.objects.get(username=username))
    return client.post("/login/verify/", {"token": totp_code(device)})


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_success_of_both_steps_before_the_limit_resets_the_count(nurse):
    for _ in range(2):
        sign_in("wrong-password-123")
    assert sign_in_fully().status_code == 302
    for _ in range(2):
        sign_in("wrong-password-123")
    assert sign_in(PASSWORD).status_code == 302


@pytest.mark.parametrize("length", [12, 64, 128])
def test_passwords_of_12_to_128_characters_are_accepted(length):
    validate_password(("Zq7-horse-lamp-" * 10)[:length])


@pytest.mark.parametrize("password", ["short-pw-9", ("Zq7-horse-lamp-" * 10)[:129], "q1w2e3r4t5y6", "qwerty123456"])
def test_too_short_too_long_and_common_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_passwords_are_stored_with_argon2(nurse):
    assert nurse.password.startswith("argon2$")


ATTACKER, CLINIC = "203.0.113.66", "127.0.0.1"


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_guesser_elsewhere_cannot_lock_a_nurse_out_of_the_clinic(nurse):
    for _ in range(3):
        sign_in("wrong-password-123", address=ATTACKER)
    assert sign_in(PASSWORD, address=ATTACKER).status_code == 429  # locked for the guesser's address
    assert sign_in(PASSWORD, address=CLINIC).status_code == 302  # the nurse at the clinic still signs in


@override_settings(AXES_FAILURE_LIMIT=3, WAYPOINT_ADDRESS_LOCKOUT_FAILURES=10)
def test_one_address_spraying_a_common_password_over_many_accounts_is_locked_out_and_audited(nurse):
    for number in range(10):
        sign_in("Summer2026!winter", username=f"staff{number}", address=ATTACKER)
    assert sign_in(PASSWORD, address=ATTACKER).status_code == 429  # even a right password, from that address
    assert sign_in(PASSWORD, address=CLINIC).status_code == 302
    failed = [e.detail["username"] for e in AuditEvent.objects.filter(action="auth.sign_in", outcome="failed")]
    assert sorted(name for name in failed if name.startswith("staff")) == [f"staff{n}" for n in range(10)]
    assert AuditEvent.objects.filter(action="auth.lockout", outcome="denied").exists()


@override_settings(AXES_FAILURE_LIMIT=3, WAYPOINT_ADDRESS_LOCKOUT_FAILURES=10)
def test_staff_behind_one_clinic_address_mistyping_now_and_then_are_not_locked_out(nurse):
    for number in range(9):
        sign_in("wrong-password-123", username=f"staff{number}", address=CLINIC)
    assert sign_in(PASSWORD, address=CLINIC).status_code == 302
