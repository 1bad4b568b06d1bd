"""Settings are read strictly: a mistyped value or a missing production secret stops start-up, naming the variable."""

import importlib.util
import os
import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import waypoint

SETTINGS = Path(waypoint.__file__).parent / "settings.py"


def settings_with(monkeypatch, **env):
    """The settings module as a fresh start-up with these environment variables would build it."""
    for name in ("WAYPOINT_ENVIRONMENT", "WAYPOINT_HTTPS", "SECRET_KEY", "WAYPOINT_AUDIT_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("settings_under_test", SETTINGS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("mistyped", ["ture", "yse", "2", "enabled"])
def test_a_mistyped_boolean_stops_start_up_naming_the_variable(monkeypatch, mistyped):
    with pytest.raises(ImproperlyConfigured, match=f"WAYPOINT_HTTPS='{mistyped}'"):
        settings_with(monkeypatch, WAYPOINT_HTTPS=mistyped)


@pytest.mark.parametrize(
    ("value", "meaning"), [("true", True), ("On", True), ("1", True), ("false", False), ("0", False)]
)
def test_the_usual_spellings_of_yes_and_no_are_understood(monkeypatch, value, meaning):
    assert settings_with(monkeypatch, DEBUG=value).DEBUG is meaning


def test_a_number_that_is_not_a_number_stops_start_up_naming_the_variable(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="WAYPOINT_LOCKOUT_FAILURES='five'"):
        settings_with(monkeypatch, WAYPOINT_LOCKOUT_FAILURES="five")


def test_an_unknown_environment_stops_start_up(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="WAYPOINT_ENVIRONMENT='prod'"):
        settings_with(monkeypatch, WAYPOINT_ENVIRONMENT="prod")


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is not set"):
        settings_with(monkeypatch, WAYPOINT_ENVIRONMENT="production")


def test_a_site_behind_tls_counts_as_production_and_needs_its_secret_key(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is not set"):
        settings_with(monkeypatch, WAYPOINT_HTTPS="true")


def test_production_refuses_to_start_without_the_audit_signing_key(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="WAYPOINT_AUDIT_KEY is not set"):
        settings_with(monkeypatch, WAYPOINT_ENVIRONMENT="production", SECRET_KEY="k" * 50)


def test_production_uses_the_secret_key_it_is_given(monkeypatch):
    settings = settings_with(
        monkeypatch, WAYPOINT_ENVIRONMENT="production", SECRET_KEY="k" * 50, WAYPOINT_AUDIT_KEY="a" * 32
    )
    assert settings.PRODUCTION and settings.SECRET_KEY == "k" * 50 and settings.WAYPOINT_AUDIT_KEY == "a" * 32


def test_development_needs_no_configuration(monkeypatch):
    settings = settings_with(monkeypatch)
    assert not settings.PRODUCTION and len(settings.SECRET_KEY) >= 50


def test_hsts_covers_the_subdomains_behind_tls(monkeypatch):
    settings = settings_with(monkeypatch, WAYPOINT_HTTPS="true", SECRET_KEY="k" * 50, WAYPOINT_AUDIT_KEY="a" * 32)
    assert settings.SECURE_HSTS_SECONDS == 31536000 and settings.SECURE_HSTS_INCLUDE_SUBDOMAINS is True


def test_files_the_service_creates_are_readable_by_the_service_user_only(monkeypatch, tmp_path):
    settings_with(monkeypatch)
    (tmp_path / "created").write_text("x")
    assert stat.S_IMODE(os.stat(tmp_path / "created").st_mode) == 0o600


def test_passkeys_answer_to_the_address_the_environment_names(monkeypatch):
    for name in ("WAYPOINT_PASSKEY_RP_ID", "WAYPOINT_PASSKEY_RP_NAME", "WAYPOINT_PASSKEY_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    development = settings_with(monkeypatch)
    assert development.OTP_WEBAUTHN_RP_ID == "localhost"
    assert development.OTP_WEBAUTHN_ALLOWED_ORIGINS == ["http://localhost:8000"]
    assert development.OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is False  # a second factor, never instead of the password
    site = settings_with(
        monkeypatch,
        WAYPOINT_PASSKEY_RP_ID="waypoint.clinic.example",
        WAYPOINT_PASSKEY_RP_NAME="Harbor Recovery",
        WAYPOINT_PASSKEY_ORIGINS="https://waypoint.clinic.example, https://intake.waypoint.clinic.example",
    )
    assert site.OTP_WEBAUTHN_RP_ID == "waypoint.clinic.example"
    assert site.OTP_WEBAUTHN_RP_NAME == "Harbor Recovery"
    assert site.OTP_WEBAUTHN_ALLOWED_ORIGINS == [
        "https://waypoint.clinic.example",
        "https://intake.waypoint.clinic.example",
    ]
