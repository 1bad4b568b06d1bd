"""Two-factor sign-in (TOTP, django-otp): the code step, enrolment with recovery codes, re-authentication before
any change, and the lockout on wrong codes. Codes are computed from the device's key with django-otp's TOTP."""

import re
import time

import pytest
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD, authenticator_of, totp_code, verified_login
from waypoint.accounts.models import RecoveryCode, RecoveryCodeDevice, recovery_digest
from waypoint.accounts.two_factor import PENDING_SESSION_KEY
from waypoint.privacy.models import AuditEvent


def password_step(username="nurse", password=PASSWORD) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302
    return client


def wrong_code(device) -> str:
    right = {
        f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + d):06d}" for d in (-1, 0, 1, 2)
    }
    return next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in right)


def enrol(client, user) -> list[str]:
    """Set up the authenticator of an account that has none, as a person would: the page, then a code."""
    page = client.get("/account/two-factor/enrol/")
    assert page.status_code == 200
    pending = TOTPDevice.objects.get(user=user, confirmed=False, pk=client.session[PENDING_SESSION_KEY])
    response = client.post("/account/two-factor/enrol/", {"token": totp_code(pending)})
    assert response.status_code == 200
    return re.findall(r"<code>([a-z0-9-]{19})</code>", response.content.decode())


def test_after_the_password_the_code_is_asked_and_the_right_code_lets_the_user_in(nurse):
    device = authenticator_of(nurse)
    client = password_step()
    response = client.get("/patients/")
    assert response.status_code == 302 and response.url == "/login/verify/?next=%2Fpatients%2F"
    assert client.get(response.url).status_code == 200
    response = client.post("/login/verify/", {"token": totp_code(device), "next": "/patients/"})
    assert response.status_code == 302 and response.url == "/patients/"
    assert client.get("/patients/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.two_factor", actor=nurse, outcome="success").exists()


def test_a_code_is_accepted_only_once(nurse):
    device = authenticator_of(nurse)
    code = totp_code(device)
    first = password_step()
    assert first.post("/login/verify/", {"token": code}).status_code == 302
    second = password_step()
    response = second.post("/login/verify/", {"token": code})
    assert response.status_code == 200 and b"That code is not right" in response.content
    assert second.get("/patients/").status_code == 302


def test_a_password_only_session_is_anonymous_to_the_api_and_a_bearer_token_needs_no_code(nurse, api):
    authenticator_of(nurse)
    assert password_step().get("/api/v1/patients/").status_code == 401
    assert api(nurse).get("/api/v1/patients/").status_code == 200


def test_an_account_without_an_authenticator_is_sent_to_enrol_first_and_sees_its_recovery_codes_once(nurse):
    client = password_step()
    response = client.get("/patients/")
    assert response.status_code == 302 and response.url.startswith("/account/two-factor/enrol/")
    page = client.get("/account/two-factor/enrol/").content.decode()
    assert "<svg" in page and "<script>" not in page.split("</head>")[1]
    pending = TOTPDevice.objects.get(user=nurse, confirmed=False)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    import base64

    assert base64.b32decode(secret) == pending.bin_key  # the key in text is the device's key
    reload = client.get("/account/two-factor/enrol/").content.decode()
    assert re.search(r'id="totp-secret">([A-Z2-7 ]+)<', reload).group(1).replace(" ", "") == secret  # kept
    wrong = client.post("/account/two-factor/enrol/", {"token": wrong_code(pending)})
    assert wrong.status_code == 200 and b"not right" in wrong.content
    with override_settings(OTP_TOTP_THROTTLE_FACTOR=0):
        codes = enrol(client, nurse)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(RecoveryCode.objects.filter(device__user=nurse).values_list("digest", flat=True))
    assert stored == {recovery_digest(c) for c in codes} and not stored & set(codes)  # only hashes kept
    assert client.get("/patients/").status_code == 200
    assert AuditEvent.objects.filter(action="account.two_factor.enrol", actor=nurse).exists()


def test_enrolment_is_no_way_around_an_existing_authenticator(nurse):
    authenticator_of(nurse)
    client = password_step()
    response = client.get("/account/two-factor/enrol/")
    assert response.status_code == 302 and response.url.startswith("/login/verify/")
    assert not TOTPDevice.objects.filter(user=nurse, confirmed=False).exists()
    assert client.post("/account/two-factor/enrol/", {"token": "123456"}).status_code == 302
    assert client.get("/account/two-factor/").status_code == 302


def test_a_recovery_code_signs_in_once(nurse):
    client = password_step()
    codes = enrol(client, nurse)
    client.post("/logout/")
    again = password_step()
    response = again.post("/login/verify/", {"token": codes[0].upper()})
    assert response.status_code == 302
    assert RecoveryCodeDevice.objects.get(user=nurse).remaining() == 9
    third = password_step()
    assert third.post("/login/verify/", {"token": codes[0]}).status_code == 200  # used: refused
    assert third.get("/patients/").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3, OTP_TOTP_THROTTLE_FACTOR=0)
def test_wrong_codes_lock_the_account_like_wrong_passwords(nurse):
    device = authenticator_of(nurse)
    client = password_step()
    for _ in range(2):
        assert client.post("/login/verify/", {"token": wrong_code(device)}).status_code == 200
    locked = client.post("/login/verify/", {"token": wrong_code(device)})
    assert locked.status_code == 429 and b"Sign-in locked" in locked.content
    assert "_auth_user_id" not in client.session  # the half-signed-in session is ended
    assert client.post("/login/", {"username": "nurse", "password": PASSWORD}).status_code == 429
    failed = AuditEvent.objects.filter(action="auth.sign_in", outcome="failed", detail__step="second factor")
    assert failed.count() == 3
    assert AuditEvent.objects.filter(action="auth.lockout", detail__username="nurse").exists()


@override_settings(AXES_FAILURE_LIMIT=3, OTP_TOTP_THROTTLE_FACTOR=0)
def test_signing_in_again_with_the_password_does_not_reset_the_count_of_wrong_codes(nurse):
    device = authenticator_of(nurse)
    first = password_step()
    for _ in range(2):
        first.post("/login/verify/", {"token": wrong_code(device)})
    second = password_step()  # the right password alone must not wipe the failures
    assert second.post("/login/verify/", {"token": wrong_code(device)}).status_code == 429


def test_django_otp_throttles_a_right_code_straight_after_a_wrong_one(nurse):
    device = authenticator_of(nurse)
    client = password_step()
    client.post("/login/verify/", {"token": wrong_code(device)})
    assert client.post("/login/verify/", {"token": totp_code(device)}).status_code == 200  # within 1 s: refused


def reauthenticate(client, action, password=PASSWORD, token=""):
    return client.post("/account/two-factor/", {"action": action, "password": password, "token": token})


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_new_recovery_codes_need_the_password_and_a_current_code(nurse):
    client = password_step()
    old = enrol(client, nurse)
    device = authenticator_of(nurse)
    wrong_password = reauthenticate(client, "recovery", password="not-my-password-1", token=totp_code(device))
    assert wrong_password.status_code == 200 and b"password is not right" in wrong_password.content
    wrong_token = reauthenticate(client, "recovery", token=wrong_code(device))
    assert wrong_token.status_code == 200 and b"code is not right" in wrong_token.content
    assert set(RecoveryCode.objects.values_list("digest", flat=True)) == {recovery_digest(c) for c in old}
    response = reauthenticate(client, "recovery", token=totp_code(device))
    new = re.findall(r"<code>([a-z0-9-]{19})</code>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert set(RecoveryCode.objects.values_list("digest", flat=True)) == {recovery_digest(c) for c in new}
    assert AuditEvent.objects.filter(action="account.two_factor.reauthenticate", outcome="failed").count() == 2


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_a_new_authenticator_replaces_the_old_one_only_once_confirmed(nurse):
    client = password_step()
    enrol(client, nurse)
    old = authenticator_of(nurse)
    response = reauthenticate(client, "replace", token=totp_code(old))
    assert response.status_code == 302 and response.url == "/account/two-factor/enrol/"
    assert client.get("/account/two-factor/enrol/").status_code == 200
    pending = TOTPDevice.objects.get(user=nurse, confirmed=False)
    assert TOTPDevice.objects.filter(pk=old.pk, confirmed=True).exists()  # still works meanwhile
    response = client.post("/account/two-factor/enrol/", {"token": totp_code(pending)})
    assert response.status_code == 302 and response.url == "/account/two-factor/"
    assert list(TOTPDevice.objects.filter(user=nurse).values_list("pk", flat=True)) == [pending.pk]
    assert client.get("/patients/").status_code == 200  # this session is verified with the new device


def test_removing_the_second_factor_signs_the_user_out_everywhere_and_enrolment_comes_next(nurse):
    other = verified_login(Client(), nurse)
    client = verified_login(Client(), nurse)
    response = reauthenticate(client, "remove", token=totp_code(authenticator_of(nurse)))
    assert response.status_code == 302 and response.url == "/login/"
    assert not TOTPDevice.objects.filter(user=nurse).exists()
    assert other.get("/patients/").status_code == 302 and client.get("/patients/").status_code == 302
    assert password_step().get("/patients/").url.startswith("/account/two-factor/enrol/")
    assert AuditEvent.objects.filter(action="account.two_factor.remove", actor=nurse).exists()


def test_reauthentication_failures_count_toward_the_lockout(nurse):
    client = verified_login(Client(), nurse)
    with override_settings(AXES_FAILURE_LIMIT=2):
        reauthenticate(client, "recovery", password="guess-number-one", token="123456")
        response = reauthenticate(client, "recovery", password="guess-number-two", token="123456")
    assert response.status_code == 429
    assert client.get("/patients/").status_code == 302


@pytest.mark.parametrize("path", ["/login/verify/", "/account/two-factor/enrol/", "/account/two-factor/"])
def test_the_two_factor_pages_are_not_for_anonymous_visitors(db, path):
    response = Client().get(path)
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_an_operator_resets_a_lost_second_factor_from_the_command_line(nurse):
    import io

    from django.core.management import call_command

    ward = verified_login(Client(), nurse)
    call_command(
        "reset_two_factor", "nurse", "--reason", "lost phone, identity checked in person", stdout=io.StringIO()
    )
    assert not TOTPDevice.objects.filter(user=nurse).exists()
    assert ward.get("/patients/").status_code == 302
    assert AuditEvent.objects.filter(
        action="account.two_factor.remove", actor=None, detail__reason__startswith="lost phone"
    ).exists()


def test_signing_out_before_the_second_factor_ends_only_that_session(nurse, api):
    authenticator_of(nurse)
    ward = verified_login(Client(), nurse)
    token_client = api(nurse)
    guesser = password_step()
    assert guesser.post("/logout/").status_code == 302
    assert guesser.get("/patients/").status_code == 302
    assert ward.get("/patients/").status_code == 200  # the real person's session and token live on
    assert token_client.get("/api/v1/patients/").status_code == 200


def shown_secret(client) -> str:
    page = client.get("/account/two-factor/enrol/").content.decode()
    return re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")


def test_two_password_only_sessions_of_one_account_see_different_secrets(nurse):
    real_user, intruder = password_step(), password_step()
    assert shown_secret(real_user) != shown_secret(intruder)
    assert shown_secret(real_user) == shown_secret(real_user)  # kept across reloads of the same session


def test_after_enrolment_another_session_that_knew_the_password_can_neither_verify_nor_reach_patients(nurse, patient):
    real_user, intruder = password_step(), password_step()
    shown_secret(intruder)
    enrol(real_user, nurse)
    device = authenticator_of(nurse)
    assert intruder.get(patient.get_absolute_url()).status_code == 302
    response = intruder.post("/login/verify/", {"token": totp_code(device)})
    assert response.status_code == 302 and response.url.startswith("/login/")
    assert intruder.get(patient.get_absolute_url()).url.startswith("/login/")
    assert real_user.get(patient.get_absolute_url()).status_code == 200
    assert TOTPDevice.objects.filter(user=nurse).count() == 1  # the intruder's pending secret is gone too


def test_the_session_id_changes_when_the_second_factor_is_passed(nurse):
    device = authenticator_of(nurse)
    client = password_step()
    after_password = client.cookies["sessionid"].value
    assert client.post("/login/verify/", {"token": totp_code(device)}).status_code == 302
    assert client.cookies["sessionid"].value != after_password
    assert client.get("/patients/").status_code == 200


def test_the_session_id_changes_when_enrolment_is_confirmed(nurse):
    client = password_step()
    after_password = client.cookies["sessionid"].value
    enrol(client, nurse)
    assert client.cookies["sessionid"].value != after_password


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_the_session_id_changes_when_the_password_and_a_code_are_given_again(nurse):
    """Re-authentication before a change to the second factor is authentication too (ASVS 5.0 7.2.4): a new session
    id, whatever the change; a failed one keeps the session as it was."""
    device = authenticator_of(nurse)
    client = sign_in_with(totp_code(device))
    before = client.cookies["sessionid"].value
    assert reauthenticate(client, "recovery", password="not-my-password-1", token=totp_code(device)).status_code == 200
    assert client.cookies["sessionid"].value == before
    response = reauthenticate(client, "recovery", token=totp_code(device))
    assert response.status_code == 200 and len(re.findall(r"<code>([a-z0-9-]{19})</code>", response.content.decode()))
    assert client.cookies["sessionid"].value != before
    assert client.get("/patients/").status_code == 200


def sign_in_with(token) -> Client:
    client = password_step()
    assert client.post("/login/verify/", {"token": token}).status_code == 302
    return client


def notices(client) -> str:
    return client.get("/patients/", follow=True).content.decode()


def test_a_recovery_code_used_is_shown_to_the_person_at_their_next_sign_in(nurse):
    codes = enrol(password_step(), nurse)
    device = authenticator_of(nurse)
    sign_in_with(codes[3])  # someone who found the printed codes
    after = sign_in_with(totp_code(device))
    assert "A recovery code was used to sign in to your account" in notices(after)
    later = sign_in_with(totp_code(device))
    assert "A recovery code was used" not in notices(later)  # told once, at the sign-in that followed


def test_a_code_is_refused_once_a_later_code_within_the_same_window_was_used(nurse):
    import time_machine

    device = authenticator_of(nurse)
    with time_machine.travel(1_900_000_005, tick=False):  # a fixed time, well inside one 30-second step
        now_step = (int(time.time()) - device.t0) // device.step
        current, next_step = (
            f"{totp(device.bin_key, device.step, device.t0, device.digits, ahead):06d}" for ahead in (0, 1)
        )
        assert (
            device.tolerance >= 1 and now_step > 0 and current != next_step
        )  # both codes lie inside the window django-otp accepts
        assert password_step().post("/login/verify/", {"token": next_step}).status_code == 302
        refused = password_step().post("/login/verify/", {"token": current})
        assert refused.status_code == 200 and b"That code is not right" in refused.content
