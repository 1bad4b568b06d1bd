"""The demo's external system receives the consented demo patients over FHIR, and nobody else's."""

import io

from django.core.management import call_command

from waypoint.fhir.demo import DEMO_CLIENT
from waypoint.fhir.models import ExternalClient
from waypoint.privacy.models import Consent

from .validation import assert_valid


def test_the_demo_external_system_sees_only_the_consented_patients(db, api):
    call_command("demo", "--patients", "8", stdout=io.StringIO())
    client = ExternalClient.objects.get(user__username=DEMO_CLIENT)
    consented = {
        c.patient_id for c in Consent.objects.filter(program=client.program) if client.recipient in c.recipients
    }
    assert len(consented) == 3
    bundle = api(client.user).get("/fhir/Patient").json()
    assert_valid(bundle)
    assert {int(e["resource"]["id"]) for e in bundle["entry"] if e["search"]["mode"] == "match"} == consented
    observations = api(client.user).get("/fhir/Observation?_count=500").json()
    assert_valid(observations)
    assert {
        e["resource"]["subject"]["reference"] for e in observations.get("entry", []) if e["search"]["mode"] == "match"
    } <= {f"Patient/{pk}" for pk in consented}
