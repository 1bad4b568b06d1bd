"""FHIR Consent for consents signed on the kiosk: the exact text version signed as sourceAttachment (the text, its
title and version, the version's date, the SHA-1 of Attachment.hash and the SHA-256 the signature is bound to), the
staff witness, and a status that is what disclosure enforces on the program's day. Strictly validated."""

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import time_machine

from waypoint.accounts.program_settings import change
from waypoint.fhir.kinds.privacy import TEXT_SHA256, WITNESS
from waypoint.regulatory import services
from waypoint.regulatory.models import ConsentSignature
from waypoint.withdrawal.services import open_kiosk

from .test_api import body, ids


def signed(privacy_officer, nurse, patient, *, witness=None, **terms):
    text = services.create_consent_text(
        acting_user=privacy_officer,
        program=patient.program,
        kind="specific",
        title="Sharing with Riverside Primary Care",
        body="You allow us to share your treatment records with your primary care doctor.",
        terms={
            "disclosing_party": patient.program.name,
            "information": ["all_sud_records"],
            "information_description": "My treatment records",
            "recipients": ["Riverside Primary Care"],
            "purposes": ["treatment"],
            "expiry": "date",
            "valid_days": 30,
        }
        | terms,
    )
    kiosk = open_kiosk(acting_user=nurse, patient=patient)
    consent = services.sign_consent(
        kiosk=kiosk,
        signed=services.SignatureInput(
            text_id=text.pk,
            shown_sha256=text.sha256,
            method="typed",
            typed_name="Maria Rivera",
            attested=True,
            witness=witness,
        ),
    )
    return text, consent


def test_the_signed_text_version_is_the_source_attachment(api, privacy_officer, nurse, patient):
    text, consent = signed(privacy_officer, nurse, patient)
    resource = body(api(nurse).get(f"/fhir/Consent/consent-{consent.pk}"))  # strictly validated
    attachment = resource["sourceAttachment"]
    exact = text.full_text.encode("utf-8")
    assert base64.b64decode(attachment["data"]) == exact and attachment["size"] == len(exact)
    assert attachment["hash"] == base64.b64encode(hashlib.sha1(exact).digest()).decode()  # noqa: S324
    assert attachment["extension"] == [{"url": TEXT_SHA256, "valueString": text.sha256}]
    assert text.sha256 == ConsentSignature.objects.get(consent=consent).text_sha256
    assert attachment["title"] == "Sharing with Riverside Primary Care (version 1)"
    assert datetime.fromisoformat(attachment["creation"]) == text.created_at
    assert resource["status"] == "active" and "extension" not in resource  # no witness asked for


def test_the_witness_is_in_the_consent_witness_extension(api, privacy_officer, administrator, nurse, patient, program):
    change(program, "regulatory.consent_witness", True, acting_user=administrator)
    program.__dict__.pop("_setting_values", None)
    nurse.first_name, nurse.last_name = "Ana", "Lopes"
    nurse.save()
    _, consent = signed(privacy_officer, nurse, patient, witness=nurse)
    resource = body(api(nurse).get(f"/fhir/Consent/consent-{consent.pk}"))
    assert resource["extension"] == [{"url": WITNESS, "valueReference": {"display": "Ana Lopes"}}]


def test_search_by_patient_and_date_and_a_status_judged_on_the_programs_day(api, privacy_officer, nurse, patient):
    new_york = patient.program.tz
    with time_machine.travel(datetime(2026, 3, 1, 15, 0, tzinfo=new_york), tick=False):
        _, consent = signed(privacy_officer, nurse, patient)  # valid 30 days: through March 31 in New York
    client = api(nurse)
    assert consent.expires_on.isoformat() == "2026-03-31"
    with time_machine.travel(datetime(2026, 4, 1, 2, 30, tzinfo=UTC), tick=False):  # 22:30 March 31 in New York
        bundle = body(client.get(f"/fhir/Consent?patient={patient.pk}&date=2026-03-01"))
        assert ids(bundle) == [f"consent-{consent.pk}"]
        assert bundle["entry"][0]["resource"]["status"] == "active"
        assert bundle["entry"][0]["resource"]["sourceAttachment"]["title"].endswith("(version 1)")
    with time_machine.travel(datetime(2026, 4, 1, 0, 0, 1, tzinfo=new_york), tick=False):
        resource = body(client.get(f"/fhir/Consent/consent-{consent.pk}"))
        assert resource["status"] == "inactive"
    assert ids(body(client.get(f"/fhir/Consent?patient={patient.pk}&date=2026-03-02"))) == []
    assert consent.signed_on + timedelta(days=30) == consent.expires_on
