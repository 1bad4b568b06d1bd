"""Sessions: idle timeout and absolute lifetime (time moved by rewriting the session's timestamps),
a new session id at sign-in, sign-out and deactivation ending every session and API token, audited."""

import time

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from conftest import PASSWORD, api_client_for, make_user, verified_login
from waypoint.accounts import program_settings, services
from waypoint.accounts.models import ApiToken
from waypoint.accounts.models import BrowserSession as Session
from waypoint.accounts.roles import Role
from waypoint.accounts.sessions import SEEN_AT, SIGNED_IN_AT
from waypoint.privacy.models import AuditEvent


def move_clock(client, *, signed_in_ago=None, seen_ago=None):
    session = client.session
    now = time.time()
    if signed_in_ago is not None:
        session[SIGNED_IN_AT] = now - signed_in_ago
    if seen_ago is not None:
        session[SEEN_AT] = now - seen_ago
    session.save()


def signed_in(user):
    client = verified_login(Client(), user)
    assert client.get("/patients/").status_code == 200
    return client


def test_a_session_idle_for_fifteen_minutes_is_ended_and_sent_to_sign_in(nurse):
    client = signed_in(nurse)
    move_clock(client, seen_ago=15 * 60 + 1)
    response = client.get("/patients/")
    assert response.status_code == 302 and response.url.startswith("/login/")
    assert client.get("/patients/").status_code == 302  # stays ended
    event = AuditEvent.objects.filter(action="auth.session.timeout").get()
    assert event.actor == nurse and event.detail == {"reason": "idle"}


def test_a_session_idle_for_fourteen_minutes_lives_on(nurse):
    client = signed_in(nurse)
    move_clock(client, seen_ago=14 * 60)
    assert client.get("/patients/").status_code == 200


def test_the_idle_timeout_follows_the_program_setting(nurse, program, privacy_officer):
    program_settings.change(program, "security.idle_timeout_minutes", 5, acting_user=privacy_officer)
    client = signed_in(nurse)
    move_clock(client, seen_ago=6 * 60)
    assert client.get("/patients/").status_code == 302


def test_an_active_session_ends_at_twelve_hours_however_recent_its_last_request(nurse):
    client = signed_in(nurse)
    move_clock(client, signed_in_ago=12 * 3600, seen_ago=10)
    assert client.get("/patients/").status_code == 302
    assert AuditEvent.objects.get(action="auth.session.timeout").detail == {"reason": "absolute"}


def test_an_active_session_at_eleven_hours_lives_on(nurse):
    client = signed_in(nurse)
    move_clock(client, signed_in_ago=11 * 3600, seen_ago=10)
    assert client.get("/patients/").status_code == 200


def test_an_expired_session_cookie_is_refused_by_the_api_too(nurse):
    client = signed_in(nurse)
    move_clock(client, seen_ago=3600)
    assert client.get("/api/v1/patients/").status_code in (401, 403)


def test_signing_in_issues_a_new_session_id(nurse):
    client = Client()
    client.get("/login/")
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    response = client.post("/login/", {"username": "nurse", "password": PASSWORD})
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert AuditEvent.objects.filter(action="auth.sign_in", actor=nurse, outcome="success").exists()


def test_signing_out_ends_every_session_of_the_user_and_revokes_their_api_tokens(nurse, intake):
    desk, ward = signed_in(nurse), signed_in(nurse)
    other = signed_in(intake)
    api = api_client_for(nurse)
    assert api.get("/api/v1/patients/").status_code == 200
    desk.post("/logout/")
    assert ward.get("/patients/").status_code == 302
    assert api.get("/api/v1/patients/").status_code == 401
    assert not ApiToken.objects.filter(user=nurse).usable().exists()
    assert other.get("/patients/").status_code == 200  # another user's session is untouched
    event = AuditEvent.objects.get(action="account.sessions.end")
    assert event.detail["sessions"] == 2 and event.detail["tokens"] == 1 and event.detail["reason"] == "signed out"


@pytest.fixture
def admin(program):
    return make_user("admin", program, Role.ADMIN)


def test_deactivating_an_account_ends_its_sessions_and_tokens_and_it_can_no_longer_sign_in(nurse, admin):
    ward = signed_in(nurse)
    api = api_client_for(nurse)
    counts = services.deactivate(acting_user=admin, user=nurse, reason="left the program")
    assert counts == {"sessions": 1, "tokens": 1}
    assert ward.get("/patients/").status_code == 302
    assert api.get("/api/v1/patients/").status_code == 401
    assert Client().post("/login/", {"username": "nurse", "password": PASSWORD}).status_code == 200
    assert AuditEvent.objects.filter(action="account.deactivate", actor=admin, outcome="success").exists()


def test_only_an_administrator_of_the_users_program_may_deactivate_it(nurse, intake, north_nurse, north):
    north_admin = make_user("north-admin", north, Role.ADMIN)
    for actor in (intake, north_admin):
        with pytest.raises(PermissionDenied):
            services.deactivate(acting_user=actor, user=nurse, reason="no")
    nurse.refresh_from_db()
    assert nurse.is_active
    assert AuditEvent.objects.filter(action="account.deactivate", outcome="denied").count() == 2


def test_opening_the_kiosk_on_a_tablet_ends_only_that_session_not_the_nurses_others(nurse, patient):
    workstation, tablet = signed_in(nurse), signed_in(nurse)
    api = api_client_for(nurse)
    assert tablet.post(f"/patients/{patient.pk}/kiosk/").status_code == 302
    assert workstation.get("/patients/").status_code == 200
    assert api.get("/api/v1/patients/").status_code == 200


def test_the_boards_automatic_refresh_does_not_keep_an_unattended_session_alive(nurse):
    client = signed_in(nurse)
    move_clock(client, seen_ago=14 * 60)
    poll = {"HX-Request": "true", "X-Waypoint-Poll": "1"}
    assert client.get("/withdrawal/board/", headers=poll).status_code == 200  # still within 15 minutes
    assert time.time() - client.session[SEEN_AT] >= 14 * 60 - 5  # the poll did not count as activity
    move_clock(client, seen_ago=15 * 60 + 1)
    response = client.get("/withdrawal/board/", headers=poll)  # the whole page goes to sign in (HX-Redirect)
    assert response.status_code == 204 and response["HX-Redirect"].startswith("/login/")


def test_a_click_on_the_board_counts_as_activity(nurse):
    client = signed_in(nurse)
    move_clock(client, seen_ago=14 * 60)
    assert client.get("/withdrawal/board/").status_code == 200
    assert time.time() - client.session[SEEN_AT] < 5
