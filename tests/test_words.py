"""Words, not keys: no page of the demo shows a clinician a configuration key, a raw code, a file path or an issue
number. Every role signs in to the demo and follows every link it is shown (one page of each kind); the text a
person reads (not markup, not attribute values) is scanned."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from conftest import verified_login
from waypoint.accounts.models import User
from waypoint.accounts.program_settings import REGISTRY

ROLES = ("nurse", "prescriber", "counselor", "intake", "director", "privacy", "admin")
NOT_FOLLOWED = ("/logout/", "/kiosk", "/api/", "/fhir/", "/static/", "/login/", "/account/two-factor/")
PAGES_PER_ROLE = 120

SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")  # all_sud_records, none_recorded
FILE_PATH = re.compile(r"(?:\b[\w./-]+\.(?:py|json|md|txt)\b|\.\./shared|shared/reference)")
ISSUE_NUMBER = re.compile(r"(?i)\bissue\s*#?\d+")
# Pages whose subject is the raw record itself, for the roles that keep it (not clinicians): the administrator's
# settings and rule-table editors (the keys and JSON they edit) and the privacy officer's audit trail (the
# recorded action names, objects and details are the evidence).
RAW_RECORD_PAGES = {"admin": ("/settings/", "/placement/rules/edit/"), "privacy": ("/audit/",)}


class VisibleText(HTMLParser):
    """The text a person reads on the page, and the links they can follow."""

    def __init__(self):
        super().__init__()
        self.text, self.links, self._hidden = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        for readable in ("title", "aria-label", "placeholder", "alt"):
            if attributes.get(readable):
                self.text.append(attributes[readable])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.text.append(data)


def shape(path: str) -> str:
    """One page of each kind: /patients/12/ and /patients/31/ are the same page."""
    return re.sub(r"/\d+(?=/|$)", "/N", path)


def problems_in(text: str) -> list[str]:
    found = [key for key in REGISTRY if key in text]
    found += SNAKE_CASE.findall(text) + FILE_PATH.findall(text) + ISSUE_NUMBER.findall(text)
    return sorted(set(found))


def crawl(client, exempt=()) -> dict[str, list[str]]:
    """Follow every link from the home page (same site, GET, one page of each kind); {url: problems}."""
    queue, seen, findings = ["/"], set(), {}
    while queue and len(seen) < PAGES_PER_ROLE:
        url = queue.pop(0)
        if shape(urlsplit(url).path) in seen:
            continue
        seen.add(shape(urlsplit(url).path))
        response = client.get(url, follow=True)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        final = response.redirect_chain[-1][0] if response.redirect_chain else url
        page = VisibleText()
        page.feed(response.content.decode())
        problems = [] if urlsplit(final).path.startswith(exempt) else problems_in(" ".join(page.text))
        if problems:
            findings[url] = problems
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith(NOT_FOLLOWED):
                continue
            if parts.path.endswith((".csv", ".json", ".pdf")):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return findings


@pytest.fixture
def demo(db):
    call_command("demo", "--patients", "12", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.mark.parametrize("role", ROLES)
def test_no_page_shows_a_config_key_raw_code_file_path_or_issue_number(demo, role):
    client = verified_login(Client(), User.objects.get(username=role))
    assert crawl(client, RAW_RECORD_PAGES.get(role, ())) == {}
