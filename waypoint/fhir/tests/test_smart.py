"""SMART Backend Services: an external system registers its public keys, proves who it is with a signed JWT
assertion, and gets a short-lived access token limited to its scopes and, like every external system, to the
consented records. Every defect of an assertion is refused with its RFC 6749 error, and audited."""

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from waypoint.accounts.models import ApiToken
from waypoint.accounts.services import deactivate
from waypoint.fhir import smart
from waypoint.fhir.models import ExternalClient, RefusedTokenRequest, UsedAssertion
from waypoint.patients import services as patients
from waypoint.privacy.models import AuditEvent, Disclosure
from waypoint.withdrawal import services as withdrawal

from .conftest import register_external
from .test_part2 import consent_for

TOKEN_URL = "http://testserver/auth/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key():
    return ec.generate_private_key(ec.SECP384R1())


def public_jwk(private_key, kid):
    algorithm = (
        jwt.algorithms.RSAAlgorithm if isinstance(private_key, rsa.RSAPrivateKey) else jwt.algorithms.ECAlgorithm
    )
    key = json.loads(algorithm.to_jwk(private_key.public_key()))
    return key | {"kid": kid}


def assertion(private_key, *, alg="RS384", kid="rsa-1", iss="riverside-hie", now=None, **claims):
    now = int(time.time()) if now is None else now
    body = {"iss": iss, "sub": iss, "aud": TOKEN_URL, "exp": now + 240, "jti": str(uuid.uuid4())} | claims
    return jwt.encode(body, private_key, algorithm=alg, headers={"kid": kid})


def ask(client, signed, scope="system/Observation.rs", **form):
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": signed,
        "scope": scope,
    } | form
    return client.post("/auth/token", urlencode(data), content_type="application/x-www-form-urlencoded")


@pytest.fixture
def registered(program, privacy_officer, rsa_key, ec_key):
    """The external system with an RSA and an EC key registered by the privacy officer."""
    user = register_external(program)
    client = ExternalClient.objects.get(user=user)
    jwks = {"keys": [public_jwk(rsa_key, "rsa-1"), public_jwk(ec_key, "ec-1")]}
    return smart.set_keys(acting_user=privacy_officer, client=client, jwks=jwks)


@pytest.fixture
def consented(patient, nurse, program, team):
    """A patient with a withdrawal score under a consent naming the external system, and one without a consent."""
    withdrawal.record_assessment(
        acting_user=nurse, patient=patient, instrument="craving-nrs", responses={"craving": 6}, taken_at=timezone.now()
    )
    consent_for(patient, nurse, ["all_sud_records"])
    other = patients.register_patient(
        acting_user=nurse, program=program, care_team=team, mrn="W-2002", given_name="Ana", family_name="Cole",
        birth_date=datetime(1990, 1, 1, tzinfo=UTC).date(), sex_at_birth="female", pronouns="she/her",
    )  # fmt: skip
    withdrawal.record_assessment(
        acting_user=nurse, patient=other, instrument="craving-nrs", responses={"craving": 8}, taken_at=timezone.now()
    )
    return patient, other


def bearer(raw):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def token_for(client, key, scope="system/Observation.rs", **kwargs):
    response = ask(client, assertion(key, **kwargs), scope)
    assert response.status_code == 200, response.content
    return response.json()


def refused(response, error, status=None):
    assert response.status_code == (status or (401 if error == "invalid_client" else 400)), response.content
    assert response.json()["error"] == error
    assert "no-store" in response["Cache-Control"]
    return response.json()["error_description"]


# --- the token -------------------------------------------------------------------------------------------------


def test_an_rsa_and_an_ec_signed_assertion_each_get_a_short_lived_token_stored_hashed(
    client, registered, rsa_key, ec_key
):
    for key, alg, kid in ((rsa_key, "RS384", "rsa-1"), (ec_key, "ES384", "ec-1")):
        answer = token_for(client, key, alg=alg, kid=kid)
        assert answer["token_type"] == "bearer" and answer["expires_in"] == 300
        assert answer["scope"] == "system/Observation.rs"
        assert not ApiToken.objects.filter(digest=answer["access_token"]).exists()
        token = ApiToken.objects.get(prefix=answer["access_token"][:8])
        assert token.scope == "system/Observation.rs" and token.user == registered.user
        assert timedelta(seconds=295) < token.expires_at - timezone.now() <= timedelta(seconds=300)
    events = AuditEvent.objects.filter(action="fhir.smart.token", outcome="success")
    assert events.count() == 2 and {e.detail["kid"] for e in events} == {"rsa-1", "ec-1"}


def test_the_granted_scope_is_the_intersection_of_asked_and_allowed(client, registered, rsa_key):
    answer = token_for(client, rsa_key, scope="system/Observation.cruds system/Patient.read launch openid")
    assert answer["scope"] == "system/Observation.rs system/Patient.read"
    registered.allowed_scopes = "system/Observation.rs"
    registered.save()
    assert token_for(client, rsa_key, scope="system/*.read")["scope"] == "system/Observation.read"
    assert token_for(client, rsa_key, scope="system/Observation.s")["scope"] == "system/Observation.s"
    refused(ask(client, assertion(rsa_key), "system/Patient.rs"), "invalid_scope")
    refused(ask(client, assertion(rsa_key), "system/Observation.cud"), "invalid_scope")
    refused(ask(client, assertion(rsa_key), ""), "invalid_scope")
    registered.allowed_scopes = "system/*.rs"
    registered.save()
    assert token_for(client, rsa_key, scope="system/NotAType.rs system/Condition.rs")["scope"] == "system/Condition.rs"


def test_a_wrong_grant_type_or_assertion_type_is_refused(client, registered, rsa_key):
    refused(ask(client, assertion(rsa_key), grant_type="authorization_code"), "unsupported_grant_type")
    refused(ask(client, assertion(rsa_key), client_assertion_type="urn:x"), "invalid_client")
    refused(ask(client, ""), "invalid_client")
    refused(ask(client, "not-a-jwt"), "invalid_client")


def test_alg_none_and_hs256_with_the_public_key_as_secret_are_refused(client, registered, rsa_key):
    unsigned = jwt.encode(
        {"iss": "riverside-hie", "sub": "riverside-hie", "aud": TOKEN_URL, "exp": int(time.time()) + 60, "jti": "a"},
        None,
        algorithm="none",
        headers={"kid": "rsa-1"},
    )
    assert "not 'none'" in refused(ask(client, unsigned), "invalid_client")
    pem = rsa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}).encode())
    body = jwt.utils.base64url_encode(
        json.dumps(
            {"iss": "riverside-hie", "sub": "riverside-hie", "aud": TOKEN_URL, "exp": int(time.time()) + 60, "jti": "b"}
        ).encode()
    )
    import hashlib
    import hmac

    signature = jwt.utils.base64url_encode(hmac.new(pem, header + b"." + body, hashlib.sha256).digest())
    forged = (header + b"." + body + b"." + signature).decode()
    assert "not 'HS256'" in refused(ask(client, forged), "invalid_client")
    assert not ApiToken.objects.exclude(scope="").exists()


def test_an_unknown_kid_a_foreign_key_or_a_key_of_the_wrong_type_is_refused(client, registered, rsa_key, ec_key):
    assert "kid" in refused(ask(client, assertion(rsa_key, kid="rsa-9")), "invalid_client")
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused(ask(client, assertion(stranger, kid="rsa-1")), "invalid_client")
    refused(ask(client, assertion(ec_key, alg="ES384", kid="rsa-1")), "invalid_client")


def test_a_wrong_iss_sub_or_aud_is_refused(client, registered, rsa_key):
    assert "client_id" in refused(ask(client, assertion(rsa_key, iss="someone-else")), "invalid_client")
    assert "sub" in refused(ask(client, assertion(rsa_key, sub="nurse")), "invalid_client")
    assert "aud" in refused(ask(client, assertion(rsa_key, aud="http://testserver/fhir/")), "invalid_client")
    assert not ApiToken.objects.exclude(scope="").exists()


def test_exp_exactly_five_minutes_ahead_is_accepted_and_one_second_more_refused(client, registered, rsa_key):
    now = datetime(2026, 12, 7, 15, 0, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        t = int(now.timestamp())
        refused(ask(client, assertion(rsa_key, exp=t + 301, now=t)), "invalid_client")
        assert ask(client, assertion(rsa_key, exp=t + 300, now=t)).status_code == 200
        assert "expired" in refused(ask(client, assertion(rsa_key, exp=t, now=t)), "invalid_client")
        assert "expired" in refused(ask(client, assertion(rsa_key, exp=t - 1, now=t)), "invalid_client")


def test_a_replayed_jti_is_refused_and_kept_only_until_the_assertion_expires(client, registered, rsa_key):
    signed = assertion(rsa_key, jti="once")
    assert ask(client, signed).status_code == 200
    assert "replay" in refused(ask(client, signed), "invalid_client")
    assert "replay" in refused(ask(client, assertion(rsa_key, jti="once")), "invalid_client")
    assert UsedAssertion.objects.filter(jti="once").count() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert ask(client, assertion(rsa_key, jti="fresh")).status_code == 200
        assert not UsedAssertion.objects.filter(jti="once").exists()


def test_every_refusal_is_audited_with_its_error(client, registered, rsa_key):
    refused(ask(client, assertion(rsa_key, aud="http://elsewhere/token")), "invalid_client")
    event = AuditEvent.objects.get(action="fhir.smart.token", outcome="denied")
    assert event.detail["error"] == "invalid_client" and "aud" in event.detail["reason"]
    assert event.actor == registered.user and event.program_id == registered.program_id


def test_an_address_past_the_refusal_limit_is_answered_429_unchecked_until_the_cool_off_ends(
    client, registered, rsa_key, settings
):
    settings.SMART_TOKEN_FAILURES = 3
    settings.SMART_TOKEN_COOLOFF_MINUTES = 15
    started = timezone.now()
    with time_machine.travel(started, tick=False):
        for _ in range(2):
            refused(ask(client, assertion(rsa_key, aud="http://elsewhere/token")), "invalid_client")
        assert not AuditEvent.objects.filter(action="fhir.smart.throttle").exists()
        refused(ask(client, assertion(rsa_key, aud="http://elsewhere/token")), "invalid_client")  # the third: limit
        # from now on even a valid assertion is not looked at: 429, nothing written, nothing audited
        audited = AuditEvent.objects.count()
        tokens = ApiToken.objects.count()
        throttled = ask(client, assertion(rsa_key))
        assert throttled.status_code == 429
        assert (
            throttled.json()["error"] == "invalid_request"
            and "Too many refused" in throttled.json()["error_description"]
        )
        assert throttled["Retry-After"] == str(15 * 60 + 1) and "no-store" in throttled["Cache-Control"]
        assert AuditEvent.objects.count() == audited and ApiToken.objects.count() == tokens
        assert RefusedTokenRequest.objects.count() == 3
    start = AuditEvent.objects.get(action="fhir.smart.throttle")  # the throttle's start, audited once
    assert start.outcome == "denied" and start.detail["refused"] == 3 and start.detail["address"] == "127.0.0.1"
    with time_machine.travel(started + timedelta(minutes=14, seconds=59), tick=False):
        assert ask(client, assertion(rsa_key)).status_code == 429
    with time_machine.travel(started + timedelta(minutes=15, seconds=1), tick=False):
        assert ask(client, assertion(rsa_key)).status_code == 200
        refused(ask(client, assertion(rsa_key, aud="http://elsewhere/token")), "invalid_client")
        assert RefusedTokenRequest.objects.count() == 1  # the old refusals are dropped


def test_another_address_is_not_throttled_by_one_that_is(client, registered, rsa_key, settings):
    settings.SMART_TOKEN_FAILURES = 2
    for _ in range(2):
        refused(ask(client, assertion(rsa_key, aud="http://elsewhere/token")), "invalid_client")
    assert ask(client, assertion(rsa_key)).status_code == 429
    elsewhere = APIClient(REMOTE_ADDR="10.0.0.7")
    assert ask(elsewhere, assertion(rsa_key)).status_code == 200


# --- what the token reaches ------------------------------------------------------------------------------------


def test_an_observation_token_reads_consented_observations_only_and_is_refused_patient(
    client, registered, rsa_key, consented
):
    patient, other = consented
    api = bearer(token_for(client, rsa_key)["access_token"])
    bundle = api.get("/fhir/Observation?_count=500").json()
    subjects = {e["resource"]["subject"]["reference"] for e in bundle["entry"] if e["search"]["mode"] == "match"}
    assert subjects == {f"Patient/{patient.pk}"}
    observation = next(e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "match")
    assert api.get(f"/fhir/Observation/{observation['id']}").status_code == 200
    assert Disclosure.objects.filter(patient=patient, disclosed_by=registered.user).exists()
    assert not Disclosure.objects.filter(patient=other).exists()
    for url in (
        f"/fhir/Patient/{patient.pk}",
        "/fhir/Patient",
        "/fhir/$export",
        f"/fhir/Group/program-{patient.program_id}",
    ):
        response = api.get(url, HTTP_PREFER="respond-async")
        assert response.status_code == 403, url
        outcome = response.json()
        assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == "forbidden"
    assert api.get("/api/v1/patients/").status_code == 401  # a SMART token opens the FHIR API only


def test_read_needs_r_and_search_needs_s(client, registered, rsa_key, consented):
    patient, _ = consented
    search_only = bearer(token_for(client, rsa_key, scope="system/Patient.s")["access_token"])
    assert search_only.get("/fhir/Patient").status_code == 200
    assert search_only.get(f"/fhir/Patient/{patient.pk}").status_code == 403
    read_only = bearer(token_for(client, rsa_key, scope="system/Patient.r")["access_token"])
    assert read_only.get(f"/fhir/Patient/{patient.pk}").status_code == 200
    assert read_only.get("/fhir/Patient").status_code == 403
    v1 = bearer(token_for(client, rsa_key, scope="system/*.read")["access_token"])
    assert v1.get(f"/fhir/Patient/{patient.pk}").status_code == 200
    assert v1.get("/fhir/Observation").status_code == 200
    kick_off = v1.get("/fhir/$export", HTTP_PREFER="respond-async", HTTP_ACCEPT="application/fhir+json")
    assert kick_off.status_code == 202, kick_off.content  # an export crosses types: system/*.read covers it


def test_a_non_consented_record_is_not_released(client, registered, rsa_key, consented):
    _, other = consented
    api = bearer(token_for(client, rsa_key, scope="system/*.rs")["access_token"])
    assert api.get(f"/fhir/Patient/{other.pk}").status_code == 404
    ids = {
        e["resource"]["id"] for e in api.get("/fhir/Patient").json().get("entry", []) if e["search"]["mode"] == "match"
    }
    assert str(other.pk) not in ids


def test_an_expired_access_token_is_refused(client, registered, rsa_key, consented):
    api = bearer(token_for(client, rsa_key)["access_token"])
    assert api.get("/fhir/Observation").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=301)):
        response = api.get("/fhir/Observation")
        assert response.status_code == 401 and response.json()["resourceType"] == "OperationOutcome"


def test_removing_the_key_revokes_its_tokens_on_the_very_next_request(
    client, registered, rsa_key, ec_key, privacy_officer, consented
):
    by_rsa = bearer(token_for(client, rsa_key)["access_token"])
    by_ec = bearer(token_for(client, ec_key, alg="ES384", kid="ec-1")["access_token"])
    smart.set_keys(acting_user=privacy_officer, client=registered, jwks={"keys": [public_jwk(ec_key, "ec-1")]})
    assert by_rsa.get("/fhir/Observation").status_code == 401
    assert by_ec.get("/fhir/Observation").status_code == 200
    refused(ask(client, assertion(rsa_key)), "invalid_client")
    event = AuditEvent.objects.filter(action="fhir.client.keys").latest("pk")
    assert event.detail["removed"] == ["rsa-1"] and event.detail["tokens_revoked"] == 1


def test_a_deactivated_client_is_refused_on_the_very_next_request(client, registered, rsa_key, consented):
    api = bearer(token_for(client, rsa_key)["access_token"])
    deactivate(acting_user=None, user=registered.user, reason="contract ended")
    assert api.get("/fhir/Observation").status_code == 401
    assert "deactivated" in refused(ask(client, assertion(rsa_key)), "invalid_client")


# --- registering the keys --------------------------------------------------------------------------------------


def test_only_a_privacy_officer_or_an_administrator_registers_keys_and_a_refusal_is_audited(
    administrator, nurse, registered, rsa_key
):
    smart.set_keys(acting_user=administrator, client=registered, jwks={"keys": [public_jwk(rsa_key, "rsa-2")]})
    with pytest.raises(PermissionDenied):
        smart.set_keys(acting_user=nurse, client=registered, jwks={"keys": []})
    assert AuditEvent.objects.filter(action="fhir.client.keys", actor=nurse, outcome="denied").exists()
    assert [k["kid"] for k in ExternalClient.objects.get(pk=registered.pk).jwks["keys"]] == ["rsa-2"]


def test_a_key_set_with_a_private_key_no_kid_or_a_wrong_curve_is_refused_naming_jwks(
    registered, privacy_officer, rsa_key
):
    private = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key)) | {"kid": "p"}
    p256 = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key()))
    for jwks in ({"keys": [private]}, {"keys": [public_jwk(rsa_key, "")]}, {"keys": [p256 | {"kid": "e"}]}, "[]", "x"):
        with pytest.raises(ValidationError) as error:
            smart.set_keys(acting_user=privacy_officer, client=registered, jwks=jwks)
        assert "jwks" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        smart.set_keys(acting_user=privacy_officer, client=registered, jwks={"keys": []}, allowed_scopes="patient/*.rs")
    assert "allowed_scopes" in error.value.message_dict


# --- discovery -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/.well-known/smart-configuration", "/fhir/.well-known/smart-configuration"])
def test_the_smart_configuration_is_published(client, db, url):
    config = client.get(url).json()
    assert config["token_endpoint"] == TOKEN_URL
    assert config["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert config["token_endpoint_auth_signing_alg_values_supported"] == ["RS384", "ES384"]
    assert config["grant_types_supported"] == ["client_credentials"]
    assert {"system/*.rs", "system/Observation.rs", "system/Patient.read"} <= set(config["scopes_supported"])
    assert set(config["capabilities"]) == {"client-confidential-asymmetric", "permission-v2", "permission-v1"}


def test_the_capability_statement_names_smart_and_the_token_endpoint(client, db):
    security = client.get("/fhir/metadata").json()["rest"][0]["security"]
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    [oauth] = security["extension"]
    assert oauth["url"] == "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
    assert oauth["extension"] == [{"url": "token", "valueUri": TOKEN_URL}]


# --- the page and the API ----------------------------------------------------------------------------------------


def test_the_privacy_officer_registers_keys_on_the_page_and_a_bad_key_set_is_named(
    page, privacy_officer, registered, rsa_key
):
    browser = page(privacy_officer)
    listing = browser.get("/fhir-clients/")
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "Riverside Primary Care" in text and "riverside-hie" in text and "rsa-1" in text
    assert "http://testserver/auth/token" in text
    jwks = json.dumps({"keys": [public_jwk(rsa_key, "rsa-new")]})
    saved = browser.post(
        f"/fhir-clients/{registered.pk}/keys/", {"jwks": jwks, "jwks_url": "", "allowed_scopes": "system/*.rs"}
    )
    assert saved.status_code == 302
    assert [k["kid"] for k in ExternalClient.objects.get(pk=registered.pk).jwks["keys"]] == ["rsa-new"]
    private = json.dumps({"keys": [json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key)) | {"kid": "p"}]})
    bad = browser.post(f"/fhir-clients/{registered.pk}/keys/", {"jwks": private, "allowed_scopes": "system/*.rs"})
    assert bad.status_code == 400 and "private part" in bad.content.decode()
    assert [k["kid"] for k in ExternalClient.objects.get(pk=registered.pk).jwks["keys"]] == ["rsa-new"]


def test_the_api_replaces_keys_and_answers_400_naming_the_field_with_nothing_saved(
    api, privacy_officer, registered, ec_key, north_nurse
):
    officer = api(privacy_officer)
    url = f"/api/v1/fhir-clients/{registered.pk}/keys/"
    before = officer.get(url).json()
    assert before["client_id"] == "riverside-hie" and len(before["jwks"]["keys"]) == 2
    answer = officer.put(url, {"jwks": {"keys": [public_jwk(ec_key, "ec-2")]}}, format="json")
    assert answer.status_code == 200 and [k["kid"] for k in answer.json()["jwks"]["keys"]] == ["ec-2"]
    refused_put = officer.put(url, {"jwks": {"keys": []}, "allowed_scopes": "user/*.rs"}, format="json")
    assert refused_put.status_code == 400 and "allowed_scopes" in refused_put.json()
    assert officer.put(url, {"jwks": {"keys": [{"kid": "x"}]}}, format="json").json().keys() == {"jwks"}
    assert [k["kid"] for k in ExternalClient.objects.get(pk=registered.pk).jwks["keys"]] == ["ec-2"]
    assert api(north_nurse).get(url).status_code == 404


# --- as an outside client would ----------------------------------------------------------------------------------


def test_an_outside_client_over_http_discovers_the_endpoint_gets_a_token_and_reads(
    live_server, registered, ec_key, consented
):
    import requests

    base = live_server.url
    config = requests.get(f"{base}/fhir/.well-known/smart-configuration", timeout=10).json()
    token_url = config["token_endpoint"]
    assert token_url == f"{base}/auth/token"
    now = int(time.time())
    signed = jwt.encode(
        {"iss": "riverside-hie", "sub": "riverside-hie", "aud": token_url, "exp": now + 240, "jti": str(uuid.uuid4())},
        ec_key,
        algorithm="ES384",
        headers={"kid": "ec-1"},
    )
    answer = requests.post(
        token_url,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": signed,
            "scope": "system/Observation.rs system/Patient.rs",
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    token = answer.json()
    assert token["scope"] == "system/Observation.rs system/Patient.rs" and token["token_type"] == "bearer"
    headers = {"Authorization": f"Bearer {token['access_token']}", "Accept": "application/fhir+json"}
    patient, other = consented
    bundle = requests.get(f"{base}/fhir/Observation", headers=headers, timeout=10).json()
    assert {e["resource"]["subject"]["reference"] for e in bundle["entry"] if e["search"]["mode"] == "match"} == {
        f"Patient/{patient.pk}"
    }
    assert requests.get(f"{base}/fhir/Patient/{patient.pk}", headers=headers, timeout=10).status_code == 200
    assert requests.get(f"{base}/fhir/Patient/{other.pk}", headers=headers, timeout=10).status_code == 404
    replay = requests.post(
        token_url,
        data={"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE, "client_assertion": signed,
              "scope": "system/Observation.rs"},
        timeout=10,
    )  # fmt: skip
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"


def test_the_key_set_url_is_fetched_only_when_the_server_allows_it(
    client, registered, privacy_officer, settings, monkeypatch
):
    """No network in tests: urlopen is replaced by the key set the system would publish."""
    import io
    import urllib.request

    fresh = ec.generate_private_key(ec.SECP384R1())
    published = json.dumps({"keys": [public_jwk(fresh, "ec-at-url")]}).encode()
    opened = []

    def urlopen(request, timeout):
        opened.append(request.full_url)
        return io.BytesIO(published)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    smart.set_keys(
        acting_user=privacy_officer,
        client=registered,
        jwks=registered.jwks,
        jwks_url="https://riverside.example.org/jwks.json",
    )
    settings.SMART_JWKS_URL_FETCH = False
    refused(ask(client, assertion(fresh, alg="ES384", kid="ec-at-url")), "invalid_client")
    assert opened == []
    settings.SMART_JWKS_URL_FETCH = True
    assert ask(client, assertion(fresh, alg="ES384", kid="ec-at-url")).status_code == 200
    assert opened == ["https://riverside.example.org/jwks.json"]
    with pytest.raises(ValidationError) as error:
        smart.set_keys(acting_user=privacy_officer, client=registered, jwks=registered.jwks, jwks_url="http://x.org/k")
    assert "jwks_url" in error.value.message_dict
