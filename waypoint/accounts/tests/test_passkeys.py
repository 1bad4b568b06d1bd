"""Passkeys (django-otp-webauthn) as the second factor: a verified person names and registers one, sees it listed,
removes it only after the password and a current code; at the code step a passkey passes the second factor exactly
as a code does (new session id, the same audit event with the device type, failures counted toward the lockout).
The passkey is a real key pair (soft_authenticator.py) checked by the package's real WebAuthn verification."""

import json
import time

import pytest
from django.test import Client, override_settings
from django_otp_webauthn.models import WebAuthnCredential

from conftest import PASSWORD, authenticator_of, totp_code
from waypoint.accounts import two_factor
from waypoint.accounts.tests.soft_authenticator import SoftPasskey
from waypoint.accounts.tests.test_two_factor import password_step, wrong_code
from waypoint.privacy.models import AuditEvent

BASE = "/account/passkeys/"


def post_json(client: Client, path: str, data: dict | None = None):
    return client.post(BASE + path, json.dumps(data or {}), content_type="application/json")


def register(client: Client, name: str = "Work laptop", passkey: SoftPasskey | None = None):
    """Name the passkey on the page, then the two calls the package's script makes."""
    passkey = passkey or SoftPasskey()
    assert client.post("/account/two-factor/passkeys/new/", {"name": name}).status_code == 200
    options = post_json(client, "registration/begin/")
    assert options.status_code == 200, options.content
    return passkey, post_json(client, "registration/complete/", passkey.register(options.json()))


def use_passkey(client: Client, passkey: SoftPasskey):
    options = post_json(client, "authentication/begin/")
    assert options.status_code == 200, options.content
    return post_json(client, "authentication/complete/", passkey.sign_in(options.json()))


def events(action: str, **filters):
    return AuditEvent.objects.filter(action=action, **filters)


# Registration and listing


def test_a_verified_nurse_names_a_passkey_registers_it_and_sees_it_listed(page, nurse):
    client = page(nurse)
    _, response = register(client, "Work laptop")
    assert response.status_code == 200 and response.json()["redirect_url"] == "/account/two-factor/"
    credential = WebAuthnCredential.objects.get(user=nurse)
    assert credential.name == "Work laptop" and credential.confirmed
    assert "Work laptop" in client.get("/account/two-factor/").content.decode()
    added = events("account.two_factor.passkey.add", actor=nurse).get()
    assert added.detail == {"passkey": "Work laptop"}


def test_a_passkey_must_be_named_first(page, nurse):
    client = page(nurse)
    response = client.post("/account/two-factor/passkeys/new/", {"name": "   "})
    assert response.status_code == 200 and "id_name_error" in response.content.decode()
    assert post_json(client, "registration/begin/").status_code == 400
    assert not WebAuthnCredential.objects.exists()


def test_a_password_only_session_cannot_register_a_passkey(nurse):
    authenticator_of(nurse)
    client = password_step()
    assert client.post("/account/two-factor/passkeys/new/", {"name": "Attacker"}).status_code == 302
    assert post_json(client, "registration/begin/").status_code == 302  # sent to the code step
    assert not WebAuthnCredential.objects.exists()


def test_a_passkey_made_for_another_address_is_refused_and_nothing_is_kept(page, nurse):
    client = page(nurse)
    _, response = register(client, passkey=SoftPasskey(origin="https://waypoint.example.evil"))
    assert response.status_code >= 400
    assert not WebAuthnCredential.objects.exists()
    assert events("account.two_factor.passkey.add", actor=nurse).get().outcome == "failed"  # the refusal recorded


def test_the_list_shows_only_ones_own_passkeys(page, nurse, north_nurse):
    register(page(north_nurse), "North laptop")
    assert "North laptop" not in page(nurse).get("/account/two-factor/").content.decode()


# Removal


def test_removing_a_passkey_needs_the_password_and_a_current_code(page, nurse):
    client = page(nurse)
    register(client, "Work laptop")
    credential = WebAuthnCredential.objects.get(user=nurse)
    url = f"/account/two-factor/passkeys/{credential.pk}/remove/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"password": PASSWORD, "token": wrong_code(authenticator_of(nurse))})
    assert response.status_code == 200 and "id_token_error" in response.content.decode()
    assert WebAuthnCredential.objects.filter(pk=credential.pk).exists()
    assert events("account.two_factor.reauthenticate", actor=nurse, outcome="failed").exists()

    time.sleep(1.1)  # django-otp's throttle: 1 s after a wrong code
    response = client.post(url, {"password": PASSWORD, "token": totp_code(authenticator_of(nurse))})
    assert response.status_code == 302 and response.url == "/account/two-factor/"
    assert not WebAuthnCredential.objects.filter(pk=credential.pk).exists()
    assert events("account.two_factor.passkey.remove", actor=nurse).get().detail == {"passkey": "Work laptop"}


def test_another_persons_passkey_cannot_be_removed(page, nurse, north_nurse):
    register(page(north_nurse), "North laptop")
    theirs = WebAuthnCredential.objects.get(user=north_nurse)
    client = page(nurse)
    url = f"/account/two-factor/passkeys/{theirs.pk}/remove/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"password": PASSWORD, "token": totp_code(authenticator_of(nurse))}).status_code == 404
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()


def test_removing_the_second_factor_removes_the_passkeys_too(page, nurse):
    register(page(nurse))
    two_factor.remove(acting_user=nurse, user=nurse, reason="lost phone")
    assert not WebAuthnCredential.objects.filter(user=nurse).exists()


# Signing in with a passkey


def test_without_a_passkey_the_code_step_offers_none(nurse):
    authenticator_of(nurse)
    page_text = password_step().get("/login/verify/").content.decode()
    assert "passkey-verification" not in page_text and "otp_webauthn" not in page_text


def test_a_passkey_passes_the_code_step_as_a_code_does(page, nurse):
    passkey, _ = register(page(nurse))
    client = password_step()
    code_page = client.get("/login/verify/?next=/patients/").content.decode()
    assert "Use your passkey" in code_page
    assert 'src="/static/django_otp_webauthn/otp_webauthn_auth.js"' in code_page  # the package's own file, no CDN
    key_after_password = client.session.session_key
    response = post_json(client, "authentication/begin/")
    assert response.status_code == 200
    response = client.post(
        BASE + "authentication/complete/?next=/patients/",
        json.dumps(passkey.sign_in(response.json())),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["redirect_url"] == "/patients/"
    assert client.session.session_key != key_after_password  # a new session id, as after a code
    assert client.get("/patients/").status_code == 200
    event = events("auth.two_factor", actor=nurse, outcome="success").get()
    assert event.detail == {"device": "WebAuthnCredential", "passkey": "Work laptop"}


def test_a_passkey_cannot_replace_the_password(nurse):
    authenticator_of(nurse)
    assert post_json(Client(), "authentication/begin/").status_code == 302  # to the sign-in page


def test_another_accounts_passkey_fails_and_counts_toward_the_lockout(page, nurse, north_nurse):
    authenticator_of(nurse)
    register(page(nurse))
    theirs, _ = register(page(north_nurse), "North laptop")
    client = password_step()
    response = use_passkey(client, theirs)
    assert response.status_code >= 400
    assert client.get("/patients/").status_code == 302  # still at the code step
    assert events("auth.sign_in", outcome="failed", detail__step="passkey").count() == 1


@override_settings(AXES_FAILURE_LIMIT=2)
def test_failed_passkeys_lock_the_account_like_wrong_codes(page, nurse, north_nurse):
    register(page(nurse))
    theirs, _ = register(page(north_nurse), "North laptop")
    client = password_step()
    use_passkey(client, theirs)
    use_passkey(client, theirs)
    assert events("auth.lockout", detail__username="nurse").exists()
    assert not client.session.get("_auth_user_id")  # the session ended
    assert client.post("/login/", {"username": "nurse", "password": PASSWORD}).status_code == 429


@pytest.mark.parametrize("step", ["begin", "complete"])
def test_a_verified_session_has_no_passkey_step(page, nurse, step):
    client = page(nurse)
    register(client)
    assert post_json(client, f"authentication/{step}/").status_code == 403
