"""Security headers on pages and API answers; HTTPS-only cookie flags and HSTS when WAYPOINT_HTTPS is set."""

import re
from pathlib import Path

import pytest
from django.test import Client, override_settings

import waypoint
from tests.test_settings import settings_with

TEMPLATES = sorted(Path(waypoint.__file__).parent.glob("*/templates/**/*.html"))


def assert_hardened(response):
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_page_is_served_with_csp_frame_referrer_and_nosniff_headers(page, nurse):
    response = page(nurse).get("/patients/")
    assert response.status_code == 200
    assert_hardened(response)


def test_the_sign_in_page_is_served_with_the_same_headers(db):
    assert_hardened(Client().get("/login/"))


def test_an_api_answer_is_served_with_the_same_headers(api, nurse):
    response = api(nurse).get("/api/v1/patients/")
    assert response.status_code == 200
    assert_hardened(response)


def test_an_api_refusal_is_served_with_the_same_headers(api, db):
    response = api(None).get("/api/v1/patients/")
    assert response.status_code == 401
    assert_hardened(response)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_template_has_inline_script_style_or_event_handlers(template):
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script> body"
    assert not re.search(r"\sstyle\s*=", text), "inline style attribute"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert "javascript:" not in text and "hx-on" not in text


def test_the_session_and_csrf_cookies_are_http_only_or_same_site_on_a_plain_install(db):
    from django.conf import settings

    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


def load_settings(monkeypatch, https: str):
    return settings_with(monkeypatch, WAYPOINT_HTTPS=https, SECRET_KEY="k" * 50, WAYPOINT_AUDIT_KEY="a" * 32)


def test_with_waypoint_https_the_cookies_are_secure_and_hsts_is_a_year(monkeypatch):
    settings = load_settings(monkeypatch, "true")
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE and settings.SESSION_COOKIE_HTTPONLY
    assert settings.SECURE_HSTS_SECONDS == 31536000
    assert settings.SECURE_SSL_REDIRECT is True
    assert settings.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


def test_without_waypoint_https_no_hsts_and_cookies_are_not_marked_secure(monkeypatch):
    settings = load_settings(monkeypatch, "false")
    assert not settings.SESSION_COOKIE_SECURE and not settings.CSRF_COOKIE_SECURE
    assert settings.SECURE_HSTS_SECONDS == 0 and settings.SECURE_SSL_REDIRECT is False


@override_settings(SECURE_HSTS_SECONDS=31536000, SESSION_COOKIE_SECURE=True)
def test_over_https_the_answer_carries_hsts_and_the_session_cookie_is_secure_and_http_only(nurse):
    from conftest import PASSWORD

    client = Client()
    client.get("/login/", secure=True)
    response = client.post("/login/", {"username": "nurse", "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] and cookie["httponly"]


def assert_not_stored(response):
    directives = {part.strip() for part in response.headers["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives


def test_a_chart_page_is_never_stored_by_a_browser_or_proxy(page, nurse, patient):
    response = page(nurse).get(patient.get_absolute_url())
    assert response.status_code == 200
    assert_not_stored(response)


def test_an_api_answer_with_patient_data_is_never_stored(api, nurse, patient):
    response = api(nurse).get(f"/api/v1/patients/{patient.pk}/")
    assert response.status_code == 200
    assert_not_stored(response)


def test_a_fhir_answer_is_never_stored(api, nurse, patient):
    response = api(nurse).get(f"/fhir/Patient/{patient.pk}")
    assert response.status_code == 200
    assert_not_stored(response)


def test_a_csv_export_of_disclosures_is_never_stored(page, nurse, patient):
    response = page(nurse).get(f"/patients/{patient.pk}/disclosures.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert_not_stored(response)


def test_signing_out_asks_the_browser_to_clear_what_it_kept(page, nurse):
    response = page(nurse).post("/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'


def test_opening_the_kiosk_on_a_staff_device_clears_the_staff_cache_but_keeps_the_kiosk_cookie(page, nurse, patient):
    response = page(nurse).post(f"/patients/{patient.pk}/kiosk/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
