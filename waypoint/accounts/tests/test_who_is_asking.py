"""Who is asking, in one round trip (issue 17): the bearer token or the session, its user, their memberships and care
teams are one query; nothing of it is kept from one request to the next, so a revoked token, a deactivated user, an
ended membership or a removal from a care team takes effect on the very next request; reads take no lock."""

import re

import django_otp
import pytest
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import make_user, verified_login
from tests.conftest import COWS
from waypoint.accounts.models import ApiToken, BrowserSession, Membership, RecoveryCodeDevice
from waypoint.accounts.roles import Role

# A query that asks who is asking: one FROM a token, session, user, membership or care-team table. (Clinical
# queries may JOIN the user table, e.g. a flowsheet row's recording user: those are not counted.)
WHO = re.compile(
    r'\bFROM "(accounts_apitoken|accounts_browsersession|django_session|accounts_user|accounts_membership'
    r"|accounts_careteam_members|accounts_careteam|accounts_program"
    r'|otp_totp_totpdevice|accounts_recoverycodedevice|django_otp_webauthn_webauthncredential)"'
)


def who_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if WHO.search(q["sql"])]


def token_client(user) -> tuple[Client, ApiToken]:
    token, raw = ApiToken.issue(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), token


@pytest.fixture
def assessment(admitted, nurse):
    from waypoint.withdrawal import services

    return services.record_assessment(
        acting_user=nurse,
        patient=admitted.patient,
        instrument="cows",
        responses=COWS,
        taken_at=timezone.now(),
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/patients/{pk}/",
        "/api/v1/patients/{pk}/assessments/",
        "/fhir/Patient/{pk}",
        "/fhir/Observation?patient={pk}",
    ],
)
def test_an_authenticated_api_or_fhir_read_asks_who_is_asking_once(path, patient, nurse, team):
    client, _ = token_client(nurse)
    url = path.format(pk=patient.pk)
    assert client.get(url).status_code == 200  # warm: the URL and template caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    asked = who_queries(captured)
    assert len(asked) == 1, asked
    # the one query: token, user, memberships with their programs, care teams
    for table in ("accounts_apitoken", "accounts_user", "accounts_membership", "accounts_program"):
        assert f'"{table}"' in asked[0]
    assert "accounts_careteam_members" in asked[0]


def test_a_signed_in_page_asks_who_is_asking_once(patient, nurse):
    client = verified_login(Client(), nurse)
    url = f"/patients/{patient.pk}/"
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    asked = who_queries(captured)
    assert len(asked) == 1, asked
    for table in ("accounts_browsersession", "accounts_user", "accounts_membership", "accounts_program"):
        assert f'"{table}"' in asked[0]
    assert '"otp_totp_totpdevice"' in asked[0]  # the second factor the session passed, read with it


def one_page_request(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response, who_queries(captured)


def test_a_session_passed_with_a_recovery_code_reads_that_device_with_the_session(patient, nurse):
    client = Client()
    client.force_login(nurse)
    session = client.session
    request = HttpRequest()
    request.session, request.user = session, nurse
    codes = RecoveryCodeDevice.objects.create(user=nurse, name="Recovery codes", confirmed=True)
    django_otp.login(request, codes)
    session.save()
    url = f"/patients/{patient.pk}/"
    assert client.get(url).status_code == 200
    response, asked = one_page_request(client, url)
    assert response.status_code == 200
    assert len(asked) == 1 and '"accounts_recoverycodedevice"' in asked[0], asked


def test_a_removed_authenticator_takes_effect_on_the_very_next_request(patient, nurse):
    page = verified_login(Client(), nurse)
    assert page.get(f"/patients/{patient.pk}/").status_code == 200
    TOTPDevice.objects.filter(user=nurse).delete()
    response = page.get(f"/patients/{patient.pk}/")
    assert response.status_code == 302 and response.url.startswith("/account/two-factor/")  # to set up a new one


def test_an_unconfirmed_authenticator_no_longer_passes_on_the_very_next_request(patient, nurse):
    page = verified_login(Client(), nurse)
    assert page.get(f"/patients/{patient.pk}/").status_code == 200
    TOTPDevice.objects.filter(user=nurse).update(confirmed=False)
    response = page.get(f"/patients/{patient.pk}/")
    assert response.status_code == 302 and response.url.startswith("/account/two-factor/")


def test_a_session_saved_before_the_device_columns_still_finds_its_device(patient, nurse):
    """Sessions saved before migration accounts 0009 name their device only in the session data: django-otp reads it."""
    page = verified_login(Client(), nurse)
    BrowserSession.objects.filter(user=nurse).update(totp_device=None)
    response, asked = one_page_request(page, f"/patients/{patient.pk}/")
    assert response.status_code == 200
    assert len(asked) == 2 and '"otp_totp_totpdevice"' in asked[1], asked


def test_a_revoked_token_fails_on_the_very_next_request(patient, nurse):
    client, token = token_client(nurse)
    assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 401
    assert client.get(f"/fhir/Patient/{patient.pk}").status_code == 401


def test_an_expired_token_fails_on_the_very_next_request(patient, nurse):
    client, token = token_client(nurse)
    assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 401


def test_a_deactivated_user_is_nobody_on_the_very_next_request(patient, nurse):
    api, _ = token_client(nurse)
    page = verified_login(Client(), nurse)
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    assert page.get(f"/patients/{patient.pk}/").status_code == 200
    type(nurse).objects.filter(pk=nurse.pk).update(is_active=False)
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 401
    response = page.get(f"/patients/{patient.pk}/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_an_ended_membership_takes_effect_on_the_very_next_request(patient, nurse):
    api, _ = token_client(nurse)
    page = verified_login(Client(), nurse)
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    assert page.get(f"/patients/{patient.pk}/").status_code == 200
    Membership.objects.filter(user=nurse).delete()
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 404
    assert api.get(f"/fhir/Patient/{patient.pk}").status_code in (403, 404)
    assert page.get(f"/patients/{patient.pk}/").status_code in (403, 404)


def test_a_changed_role_takes_effect_on_the_very_next_request(patient, nurse):
    api, _ = token_client(nurse)
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    Membership.objects.filter(user=nurse).update(role=Role.ADMIN)  # settings, no charts
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 404


def test_a_removal_from_the_care_team_takes_effect_on_the_very_next_request(patient, nurse, team):
    api, _ = token_client(nurse)
    page = verified_login(Client(), nurse)
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    assert api.get(f"/fhir/Patient/{patient.pk}").status_code == 200
    assert page.get(f"/patients/{patient.pk}/").status_code == 200
    team.members.remove(nurse)
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 404
    assert api.get(f"/fhir/Patient/{patient.pk}").status_code == 404
    assert page.get(f"/patients/{patient.pk}/").status_code == 404
    team.members.add(nurse)  # and back on the team: seen again at once
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 200


def test_a_user_of_two_programs_on_two_teams_is_read_whole(patient, nurse, north, program, other_team):
    """The one query returns a row per (membership, care team): folded back, nothing is doubled or lost."""
    from waypoint.accounts.asking import load

    Membership.objects.create(user=nurse, program=north, role=Role.NURSE)
    other_team.members.add(nurse)
    token, raw = ApiToken.issue(nurse)
    from waypoint.accounts.models import hash_token

    found = load(ApiToken.objects.usable().filter(digest=hash_token(raw)), "user")
    assert found is not None
    loaded_token, user = found
    assert loaded_token.pk == token.pk and loaded_token.user is user and user.pk == nurse.pk
    assert [(m.program.slug, m.role) for m in user._waypoint_memberships] == [
        (program.slug, Role.NURSE),
        (north.slug, Role.NURSE),
    ]
    assert user._waypoint_care_team_ids == frozenset(nurse.care_teams.values_list("pk", flat=True))
    assert len(user._waypoint_care_team_ids) == 2


def test_the_question_compiled_once_answers_each_request_with_its_own_values(nurse, program):
    """The SELECT is compiled once per shape of question (`asking._prepared_rows`); each request's own token and
    time are its parameters: a second user's token finds that user, the first's still the first, an unknown or a
    revoked token nobody; and the rows are those the ORM's own `values()` reads."""
    from waypoint.accounts.asking import _lookups, _prepared_rows, load
    from waypoint.accounts.models import hash_token

    other = make_user("other-nurse", program, Role.NURSE)
    first, first_raw = ApiToken.issue(nurse)
    second, second_raw = ApiToken.issue(other)

    def asked(raw):
        return ApiToken.objects.usable().filter(digest=hash_token(raw))

    for _ in range(2):  # the second round runs the compiled SQL only
        assert load(asked(second_raw), "user")[1].pk == other.pk
        assert load(asked(first_raw), "user")[1].pk == nurse.pk
        assert load(asked("not-a-token"), "user") is None
    lookups = [*_lookups(ApiToken, "user", ()), "user__care_teams"]
    assert _prepared_rows(asked(first_raw), lookups) == list(asked(first_raw).values(*lookups).order_by())
    ApiToken.objects.filter(pk=second.pk).update(revoked_at=timezone.now())
    assert load(asked(second_raw), "user") is None


def test_a_user_of_no_program_authenticates_and_sees_nothing(patient, program):
    lone = make_user("lone", program, Role.NURSE)
    Membership.objects.filter(user=lone).delete()
    client, _ = token_client(lone)
    assert client.get("/api/v1/patients/").status_code in (200, 403)
    assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 404


LOCKS = re.compile(r"FOR UPDATE|FOR SHARE|pg_advisory|LOCK TABLE", re.IGNORECASE)


def test_reads_take_no_lock(assessment, patient, nurse):
    """GET requests (API, FHIR read and search, chart pages, the board) take no row, table or advisory lock; their
    audit event is one INSERT (waypoint.audit)."""
    api, _ = token_client(nurse)
    page = verified_login(Client(), nurse)
    reads = [
        (api, f"/api/v1/patients/{patient.pk}/"),
        (api, f"/api/v1/patients/{patient.pk}/assessments/"),
        (api, f"/fhir/Patient/{patient.pk}"),
        (api, f"/fhir/Observation?patient={patient.pk}"),
        (page, f"/patients/{patient.pk}/"),
        (page, "/withdrawal/board/"),
    ]
    for client, url in reads:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200, url
        locking = [q["sql"] for q in captured.captured_queries if LOCKS.search(q["sql"])]
        assert locking == [], (url, locking)
