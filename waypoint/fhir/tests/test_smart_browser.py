"""Browser: the privacy officer registers an external system's public key on the External systems (FHIR) page; a
key set holding a private key is refused with the reason beside the field."""

import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import expect

from conftest import screenshot
from tests.test_browser_foundation import follow_nav, sign_in
from waypoint.fhir.models import ExternalClient

from .conftest import register_external

pytestmark = pytest.mark.browser


def test_the_privacy_officer_registers_an_external_systems_key(browser_page, live_server, privacy_officer, program):
    client = ExternalClient.objects.get(user=register_external(program))
    key = ec.generate_private_key(ec.SECP384R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key())) | {"kid": "riverside-2026"}
    private = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key)) | {"kid": "riverside-2026"}
    page = browser_page
    sign_in(page, live_server, "privacy")
    follow_nav(page, "External systems (FHIR)")
    expect(page.locator("h1")).to_contain_text("External systems (FHIR)")
    card = page.locator(f"#client-{client.pk}")
    expect(card).to_contain_text("none: this system cannot get a SMART access token yet")
    card.locator("textarea[name=jwks]").fill(json.dumps({"keys": [private]}))
    card.locator("button[type=submit]").click()
    card = page.locator(f"#client-{client.pk}")
    expect(card.locator(".error")).to_contain_text("private part")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "fhir-clients-refused-390")
    card.locator("textarea[name=jwks]").fill(json.dumps({"keys": [public]}))
    card.locator("button[type=submit]").click()
    expect(page.locator(f"#client-{client.pk}")).to_contain_text("riverside-2026 EC P-384 (ES384)")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "fhir-clients-1280")
    assert [k["kid"] for k in ExternalClient.objects.get(pk=client.pk).jwks["keys"]] == ["riverside-2026"]
