"""The consent and disclosure API: same validation, access and audit as the pages."""

from datetime import date, timedelta

import pytest

from waypoint.privacy.models import AuditEvent, Consent, Disclosure
from waypoint.privacy.settings import REDISCLOSURE_STATEMENT, SHORT_NOTICE

from .test_consents_and_disclosures import consent_data, program_today


def body(**changes):
    data = consent_data(**changes)
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in data.items()}


def consents_url(patient):
    return f"/api/v1/patients/{patient.pk}/consents/"


def disclosures_url(patient):
    return f"/api/v1/patients/{patient.pk}/disclosures/"


def test_a_consent_is_recorded_listed_and_revoked_through_the_api(api, nurse, patient):
    client = api(nurse)
    created = client.post(consents_url(patient), body(), format="json")
    assert created.status_code == 201
    consent = created.json()
    assert consent["is_tpo"] and consent["active"] and consent["redisclosure_statement"] == REDISCLOSURE_STATEMENT
    listed = client.get(consents_url(patient)).json()
    assert [c["id"] for c in listed] == [consent["id"]]
    revoked = client.post(
        f"{consents_url(patient)}{consent['id']}/revoke/",
        {"revoked_on": patient.program.today().isoformat(), "revocation_note": "letter"},
        format="json",
    )
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    again = client.post(
        f"{consents_url(patient)}{consent['id']}/revoke/",
        {"revoked_on": patient.program.today().isoformat(), "revocation_note": "letter"},
        format="json",
    )
    assert again.status_code == 400 and "revoked_on" in again.json()
    actions = list(AuditEvent.objects.filter(patient_id=patient.pk).values_list("action", flat=True))
    assert {"consent.create", "consent.list.read", "consent.revoke"} <= set(actions)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"information": []}, "information"),
        ({"information_description": " "}, "information_description"),
        ({"recipients": []}, "recipients"),
        ({"purposes": ["other"]}, "purpose_description"),
        ({"expiry": "date"}, "expires_on"),
        ({"expiry": "none", "purposes": ["other"], "purpose_description": "court"}, "expiry"),
        ({"signer_is_patient": False}, "representative_authority"),
        ({"right_to_revoke_explained": False}, "right_to_revoke_explained"),
        ({"signed_on": (program_today() + timedelta(days=2)).isoformat()}, "signed_on"),
        ({"recipients": ["x" * 201]}, "recipients"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_consent_missing_a_required_element_is_refused_naming_it(api, nurse, patient, changes, field):
    response = api(nurse).post(consents_url(patient), body(**changes), format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Consent.objects.exists()


def test_a_disclosure_needs_a_covering_consent_and_carries_the_notice(api, nurse, patient):
    client = api(nurse)
    refused = client.post(
        disclosures_url(patient),
        {"recipient": "Riverside Primary Care", "purpose": "treatment", "information": ["demographics"]},
        format="json",
    )
    assert refused.status_code == 400 and "No active consent" in refused.json()["consent"][0]
    client.post(consents_url(patient), body(), format="json")
    uncovered = client.post(
        disclosures_url(patient),
        {"recipient": "County Court", "purpose": "payment", "information": ["demographics"]},
        format="json",
    )
    message = uncovered.json()["consent"][0]
    assert uncovered.status_code == 400
    assert "recipient 'County Court'" in message and "purpose 'payment'" in message
    notes = client.post(
        disclosures_url(patient),
        {"recipient": "Riverside Primary Care", "purpose": "treatment", "information": ["counseling_notes"]},
        format="json",
    )
    assert notes.status_code == 400 and "counseling notes" in notes.json()["information"][0]  # a nurse keeps none
    made = client.post(
        disclosures_url(patient),
        {"recipient": "Riverside Primary Care", "purpose": "treatment", "information": ["demographics"]},
        format="json",
    )
    assert made.status_code == 201
    answer = made.json()
    assert answer["notice"] == SHORT_NOTICE and answer["disclosure"]["channel"] == "api"
    assert answer["record"] == {
        "demographics": [
            {
                "id": patient.pk,
                "mrn": "W-1001",
                "given_name": "Maria",
                "family_name": "Rivera",
                "birth_date": "1988-04-12",
                "sex_at_birth": "female",
            }
        ]
    }
    accounting = client.get(disclosures_url(patient)).json()
    assert [(d["recipient"], d["purpose"], d["information"]) for d in accounting] == [
        ("Riverside Primary Care", "treatment", ["demographics"])
    ]
    assert Disclosure.objects.count() == 1
    assert AuditEvent.objects.filter(action="disclosure.accounting.read", patient_id=patient.pk).exists()


def test_outside_the_care_team_and_program_the_patient_does_not_exist(
    api, patient, counselor_off_team, north_nurse, nurse
):
    for user in (counselor_off_team, north_nurse):
        client = api(user)
        assert client.get(consents_url(patient)).status_code == 404
        assert client.post(consents_url(patient), body(), format="json").status_code == 404
        assert client.get(disclosures_url(patient)).status_code == 404
    assert not Consent.objects.exists()
