"""Test personas and clients, shared by every test module.

Personas: `nurse` (on the patient's care team), `counselor_off_team` (same program, not on the team),
`intake` (program-wide role), `administrator` (settings, no charts), `north_nurse` (another program),
`anonymous` (no session, no token).
"""

import functools
import os
import shutil
from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from waypoint.accounts.models import ApiToken, CareTeam, Membership, Program, ProgramLevel, User
from waypoint.accounts.roles import Role

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API beside live_server

PASSWORD = "correct-horse-battery-9"
CHROMIUM = os.environ.get("WAYPOINT_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = os.path.join(os.path.dirname(__file__), "docs", "screenshots")
AXE = os.path.join(os.path.dirname(__file__), "node_modules", "axe-core", "axe.min.js")  # npm ci (make test)
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


@pytest.fixture(autouse=True, scope="session")
def clock_at_a_chosen_hour():
    """WAYPOINT_TEST_CLOCK (an ISO time, e.g. 2026-12-08T05:20Z: twenty past midnight in New York) runs the suite
    with the clock moved there and ticking, to find a test that holds only at some hours of the day. Unset (CI),
    the clock is the machine's."""
    at = os.environ.get("WAYPOINT_TEST_CLOCK")
    if not at:
        yield
        return
    import time_machine

    with time_machine.travel(at, tick=True):
        yield


@pytest.fixture(autouse=True)
def unscoped_test_body():
    """Fixtures and test bodies build and check rows of any program without a program scope. Requests made by a
    test still run scoped: the page middleware and the API view enter the signed-in user's scope, which switches
    the check back on for the request (waypoint.accounts.scoping)."""
    with scopes_disabled():
        yield


def make_program(slug, name, levels=(("3.7-WM", 10), ("3.5", 20), ("2.1", 30), ("1", 50))):
    program = Program.objects.create(slug=slug, name=name, time_zone="America/New_York")
    for code, capacity in levels:
        ProgramLevel.objects.create(program=program, code=code, capacity=capacity)
    return program


def make_user(username, program, role, team=None):
    user = User.objects.create_user(username=username, password=PASSWORD, first_name=username.title())
    Membership.objects.create(user=user, program=program, role=role)
    if team is not None:
        team.members.add(user)
    return user


@pytest.fixture
def program(db):
    return make_program("harbor", "Harbor Recovery")


@pytest.fixture
def north(db):
    return make_program("north", "North Ridge", levels=(("3.7-WM", 5), ("1", 10)))


@pytest.fixture
def team(program):
    return CareTeam.objects.create(program=program, name="Harbor team")


@pytest.fixture
def other_team(program):
    return CareTeam.objects.create(program=program, name="Bridge team")


@pytest.fixture
def nurse(program, team):
    return make_user("nurse", program, Role.NURSE, team)


@pytest.fixture
def counselor_off_team(program, other_team):
    return make_user("counselor", program, Role.COUNSELOR, other_team)


@pytest.fixture
def intake(program):
    return make_user("intake", program, Role.INTAKE)


@pytest.fixture
def privacy_officer(program):
    return make_user("privacy", program, Role.PRIVACY)


@pytest.fixture
def administrator(program):
    """Manages staff and settings (program settings, rule table versions); opens no chart."""
    return make_user("admin", program, Role.ADMIN)


@pytest.fixture
def prescriber(program, team):
    """A prescriber on the patient's care team (the only role that orders MOUD)."""
    return make_user("prescriber", program, Role.PRESCRIBER, team)


@pytest.fixture
def director(program):
    """The program director: program-wide, reads the outcome figures."""
    return make_user("director", program, Role.DIRECTOR)


@pytest.fixture
def north_nurse(north):
    north_team = CareTeam.objects.create(program=north, name="North team")
    return make_user("north-nurse", north, Role.NURSE, north_team)


def patient_fields(**overrides):
    fields = {
        "mrn": "W-1001",
        "given_name": "Maria",
        "family_name": "Rivera",
        "birth_date": date(1988, 4, 12),
        "sex_at_birth": "female",
        "pronouns": "she/her",
    }
    return fields | overrides


@pytest.fixture
def patient(program, team, nurse):
    from waypoint.patients import services

    return services.register_patient(acting_user=nurse, program=program, care_team=team, **patient_fields())


def naloxone_and_education(patient, nurse, at):
    """What every discharge and change of level of care requires (screening's transition check)."""
    from waypoint.screening import services as screening

    screening.dispense_naloxone(
        acting_user=nurse,
        patient=patient,
        dispensed_at=at,
        formulation="nasal_4mg",
        strength="4 mg per spray",
        quantity=2,
    )
    screening.record_education(acting_user=nurse, patient=patient, given_at=at)


def continuing_care_plan(**overrides) -> dict:
    """A complete continuing-care plan, which every discharge requires (waypoint.aftercare), with no dates in it."""
    return {
        "next_level": "2.1",
        "next_provider": "Harbor outpatient clinic",
        "no_appointment_reason": "The clinic books intake by phone; the patient calls on the first weekday.",
        "no_moud_reason": "Not on medication for opioid use disorder; declined after discussion.",
        "triggers": "Payday, seeing old friends",
        "coping_steps": "Call my sponsor, go to a meeting",
        "people_to_call": "My sister Ana",
    } | overrides


@pytest.fixture
def admitted(patient, nurse):
    """The patient, admitted three days ago to 3.7-WM, with naloxone and education recorded an hour later;
    returns the open episode."""
    from waypoint.patients import services

    episode = services.admit(
        acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(days=3), level_code="3.7-WM"
    )
    naloxone_and_education(patient, nurse, episode.admitted_at + timedelta(hours=1))
    return episode


@pytest.fixture
def north_patient(north, north_nurse):
    from waypoint.patients import services

    return services.register_patient(acting_user=north_nurse, program=north, **patient_fields(mrn="N-1"))


def api_client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        _, raw = ApiToken.issue(user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def api():
    """api(user) -> an APIClient that authenticates as that user with a bearer token (None: anonymous)."""
    return api_client_for


def authenticator_of(user):
    """The user's confirmed TOTP authenticator (django-otp), made if they have none yet."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).exclude(name="pending").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def verified_login(client, user):
    """Sign the test client in as `user` with both steps passed: Django's force_login for the password step,
    then django_otp.login with the user's real TOTP device for the second factor."""
    import django_otp
    from django.http import HttpRequest

    client.force_login(user)
    session = client.session
    request = HttpRequest()
    request.session, request.user = session, user
    django_otp.login(request, authenticator_of(user))
    session.save()
    return client


def totp_code(device) -> str:
    """A code the device accepts now, made with django-otp's own TOTP function from the device's key: the current
    time step, or the next one if the current step was already used (django-otp refuses a step twice)."""
    import time

    from django_otp.oath import totp

    while True:
        device.refresh_from_db()
        for ahead in range(device.tolerance + 1):
            at = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead)
            step = (int(time.time()) - device.t0) // device.step + device.drift + ahead
            if step > device.last_t:
                return f"{at:0{device.digits}d}"
        time.sleep(1)


@pytest.fixture
def page():
    """page(user) -> a Django test client signed in as that user, second factor passed (None: anonymous)."""
    from django.test import Client

    def signed_in(user, **client_kwargs):
        client = Client(**client_kwargs)
        if user is not None:
            verified_login(client, user)
        return client

    return signed_in


@pytest.fixture(scope="session")
def chromium_path():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        message = f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + ": browser tests are required in CI")
        pytest.skip(message)
    return CHROMIUM


# Every document gets axe-core and a flag that says "not checked since its content last changed" (a new page, an
# htmx swap, an error message added); check_accessibility runs axe-core when the flag is up.
MARK_CHANGES = """
window.__axeUnchecked = true;
new MutationObserver(() => { window.__axeUnchecked = true; })
  .observe(document, {subtree: true, childList: true});
"""
RUN_AXE = """
async (tags) => {
  if (!window.__axeUnchecked || typeof axe === "undefined") return null;
  if (!document.body || document.body.childElementCount === 0) return null;  // the browser's blank start page
  window.__axeUnchecked = false;
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) => ({
    rule: v.id, help: v.help, impact: v.impact, count: v.nodes.length,
    where: v.nodes.slice(0, 5).map((node) => node.target.join(" ") + ": " + node.failureSummary.split("\\n")[1]),
  }));
}
"""
USER_ACTIONS = ("click", "dblclick", "tap", "fill", "type", "press", "check", "uncheck", "set_checked")
USER_ACTIONS += ("select_option", "set_input_files")
PAGE_ACTIONS = USER_ACTIONS + ("goto", "go_back", "go_forward", "reload", "set_viewport_size")
LOCATOR_ACTIONS = USER_ACTIONS + ("press_sequentially",)


def check_accessibility(page):
    """Fail on any WCAG 2.1 A/AA violation axe-core finds in the page as it is now (each page once, again after
    its content changed)."""
    from playwright.sync_api import Error

    try:
        violations = page.evaluate(RUN_AXE, list(WCAG_21_AA))
    except Error as error:  # the page was leaving (a click that submits): check the page it arrives at
        if "context was destroyed" not in str(error) and "navigat" not in str(error):
            raise
        page.wait_for_load_state()
        violations = page.evaluate(RUN_AXE, list(WCAG_21_AA))
    if violations:
        found = "\n".join(
            f"- {v['rule']} ({v['impact']}, {v['count']}x): {v['help']}\n    " + "\n    ".join(v["where"])
            for v in violations
        )
        raise AssertionError(f"axe-core: WCAG 2.1 A/AA violations on {page.url}\n{found}")


def checked_first(action):
    """The Playwright action, after an axe-core check of the page it acts on: so every page a test visits is
    checked before the test moves on from it."""

    @functools.wraps(action)
    def act(self, *args, **kwargs):
        check_accessibility(getattr(self, "page", self))
        return action(self, *args, **kwargs)

    return act


@pytest.fixture
def browser_page(chromium_path, monkeypatch):
    """A Chromium page at 1280 x 860 on which every page visited is checked by axe-core (WCAG 2.1 A and AA)."""
    from playwright.sync_api import Locator, Page, sync_playwright

    if not os.path.exists(AXE):
        pytest.fail(f"axe-core is not installed at {AXE}: run `npm ci` (make test does)")
    for name in PAGE_ACTIONS:
        monkeypatch.setattr(Page, name, checked_first(getattr(Page, name)))
    for name in LOCATOR_ACTIONS:
        monkeypatch.setattr(Locator, name, checked_first(getattr(Locator, name)))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        context.add_init_script(path=AXE)
        context.add_init_script(MARK_CHANGES)
        page = context.new_page()
        yield page
        try:
            if not page.is_closed():
                check_accessibility(page)  # the page the test ended on
        finally:
            context.close()
            browser.close()


def screenshot(page, name: str) -> str:
    os.makedirs(SCREENSHOTS, exist_ok=True)
    path = os.path.join(SCREENSHOTS, f"{name}.png")
    page.screenshot(path=path, full_page=True)
    return path
