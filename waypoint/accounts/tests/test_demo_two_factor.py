"""The demo two-factor shortcut (issue 24 item 16): while the database holds only the demo programs, a published
TOTP key signs any demo account in without setting up an authenticator; never once a real program exists."""

from django.test import Client
from django_otp.oath import totp

from conftest import PASSWORD, make_program, make_user
from waypoint.accounts.roles import Role
from waypoint.accounts.two_factor import DEMO_KEY_HEX, DEMO_KEY_TEXT
from waypoint.privacy.models import AuditEvent


def demo_code() -> str:
    return f"{totp(bytes.fromhex(DEMO_KEY_HEX)):06d}"


def demo_nurse():
    return make_user("nora", make_program("demo", "Harbor Recovery Center (demo)"), Role.NURSE)


def password_step(username) -> Client:
    client = Client()
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def test_with_only_demo_programs_the_sign_in_page_shows_the_published_key_and_its_code_signs_in(db):
    demo_nurse()
    page = Client().get("/login/").content.decode()
    assert "Demo programs only" in page and " ".join(DEMO_KEY_TEXT[i : i + 4] for i in range(0, 32, 4)) in page
    client = password_step("nora")
    assert client.get("/patients/").url.startswith("/login/verify/")  # no enrolment needed
    assert client.post("/login/verify/", {"token": demo_code()}).status_code == 302
    assert client.get("/patients/").status_code == 200
    assert AuditEvent.objects.filter(action="account.two_factor.demo").exists()


def test_once_a_real_program_exists_the_demo_key_is_neither_shown_nor_accepted(db):
    demo_nurse()
    earlier = password_step("nora")
    earlier.post("/login/verify/", {"token": demo_code()})  # signed in with the demo key
    assert earlier.get("/patients/").status_code == 200
    make_program("harbor", "Harbor Recovery")  # a real program is set up
    assert earlier.get("/patients/").status_code == 302  # that session is let in no more
    assert "Demo programs only" not in Client().get("/login/").content.decode()
    client = password_step("nora")
    assert client.get("/patients/").url.startswith("/account/two-factor/enrol/")  # must set up a real one
    assert client.post("/login/verify/", {"token": demo_code()}).status_code == 302
    assert client.get("/patients/").status_code == 302


def test_a_real_programs_staff_never_see_the_demo_key(nurse):
    assert "Demo programs only" not in Client().get("/login/").content.decode()
    client = password_step("nurse")
    assert client.get("/patients/").url.startswith("/account/two-factor/enrol/")
