"""42 CFR Part 2: consents with every required element, revocation, disclosures only under a covering consent."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conftest import continuing_care_plan, make_user, naloxone_and_education
from waypoint.accounts.roles import Role
from waypoint.patients import services as patients
from waypoint.privacy import services
from waypoint.privacy.models import AuditEvent, Consent, Disclosure
from waypoint.privacy.settings import REDISCLOSURE_STATEMENT, SHORT_NOTICE


def consent_data(**changes):
    data = {
        "disclosing_party": "Harbor Recovery",
        "information": ["all_sud_records"],
        "information_description": "Admissions, levels of care and withdrawal scores of the current episode",
        "recipients": ["Riverside Primary Care"],
        "general_designation": False,
        "purposes": ["treatment"],
        "purpose_description": "",
        "expiry": "end_of_treatment",
        "expires_on": None,
        "expiry_event": "",
        "signed_by": "Maria Rivera",
        "signer_is_patient": True,
        "representative_authority": "",
        "signed_on": timezone.localdate() - timedelta(days=1),
        "right_to_revoke_explained": True,
    }
    return data | changes


@pytest.fixture
def consent(nurse, patient):
    return services.record_consent(acting_user=nurse, patient=patient, **consent_data())


def test_a_tpo_consent_carries_the_redisclosure_statement(consent):
    assert consent.is_tpo and consent.redisclosure_statement == REDISCLOSURE_STATEMENT
    assert AuditEvent.objects.filter(action="consent.create", object_id=str(consent.pk)).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"information": []}, "information"),
        ({"information": ["everything"]}, "information"),
        ({"information_description": " "}, "information_description"),
        ({"disclosing_party": ""}, "disclosing_party"),
        ({"recipients": []}, "recipients"),
        ({"purposes": []}, "purposes"),
        ({"purposes": ["other"]}, "purpose_description"),
        (
            {"purposes": ["other"], "purpose_description": "research", "general_designation": True},
            "general_designation",
        ),
        ({"purposes": ["other"], "purpose_description": "court", "expiry": "none"}, "expiry"),
        ({"expiry": "date"}, "expires_on"),
        ({"expiry": "event"}, "expiry_event"),
        ({"signed_by": ""}, "signed_by"),
        ({"signer_is_patient": False}, "representative_authority"),
        ({"signed_on": None}, "signed_on"),
        ({"signed_on": timezone.localdate() + timedelta(days=3)}, "signed_on"),
        ({"right_to_revoke_explained": False}, "right_to_revoke_explained"),
    ],
)
def test_each_required_element_is_enforced_by_name(nurse, patient, changes, field):
    with pytest.raises(ValidationError) as refused:
        services.record_consent(acting_user=nurse, patient=patient, **consent_data(**changes))
    assert field in refused.value.message_dict
    assert not Consent.objects.exists()


def test_a_covered_disclosure_is_logged_with_the_part2_notice(nurse, patient, consent):
    disclosure = services.disclose(
        acting_user=nurse,
        patient=patient,
        recipient="riverside primary care",
        purpose="treatment",
        information=["episodes", "withdrawal_assessments"],
    )
    assert (disclosure.consent, disclosure.notice) == (consent, SHORT_NOTICE)
    assert list(services.accounting(patient)) == [disclosure]


@pytest.mark.parametrize(
    ("recipient", "purpose", "information", "missing"),
    [
        ("County Court", "treatment", ["episodes"], "recipient 'County Court'"),
        ("Riverside Primary Care", "payment", ["episodes"], "purpose 'payment'"),
        ("Riverside Primary Care", "treatment", ["counseling_notes"], "information counseling_notes"),
    ],
)
def test_an_uncovered_disclosure_is_refused_naming_what_is_missing(
    nurse, patient, consent, recipient, purpose, information, missing
):
    counselor = make_user("team-counselor", patient.program, Role.COUNSELOR, patient.care_team)  # keeps such notes
    with pytest.raises(ValidationError) as refused:
        services.disclose(
            acting_user=counselor, patient=patient, recipient=recipient, purpose=purpose, information=information
        )
    assert missing in refused.value.message_dict["consent"][0]
    assert not Disclosure.objects.exists()


def test_without_any_consent_nothing_is_disclosed(nurse, patient):
    with pytest.raises(ValidationError, match="No active consent"):
        services.disclose(
            acting_user=nurse, patient=patient, recipient="Anyone", purpose="treatment", information=["demographics"]
        )


def test_counseling_notes_are_disclosed_only_when_the_consent_names_them(nurse, patient):
    services.record_consent(
        acting_user=nurse, patient=patient, **consent_data(information=["all_sud_records", "counseling_notes"])
    )
    with pytest.raises(ValidationError, match="neither keeps nor reads SUD counseling notes"):
        services.disclose(
            acting_user=nurse,
            patient=patient,
            recipient="Riverside Primary Care",
            purpose="treatment",
            information=["counseling_notes"],
        )
    counselor = make_user("team-counselor", patient.program, Role.COUNSELOR, patient.care_team)
    disclosure = services.disclose(
        acting_user=counselor,
        patient=patient,
        recipient="Riverside Primary Care",
        purpose="treatment",
        information=["counseling_notes"],
    )
    assert disclosure.information == ["counseling_notes"]


def test_a_revocation_takes_effect_at_once(nurse, patient, consent):
    services.revoke_consent(
        acting_user=nurse, consent=consent, revoked_on=timezone.localdate(), note="Signed revocation letter received"
    )
    with pytest.raises(ValidationError, match="No active consent"):
        services.disclose(
            acting_user=nurse,
            patient=patient,
            recipient="Riverside Primary Care",
            purpose="treatment",
            information=["episodes"],
        )


def test_a_revocation_must_be_written_and_dated(nurse, consent):
    with pytest.raises(ValidationError) as refused:
        services.revoke_consent(acting_user=nurse, consent=consent, revoked_on=None, note="")
    assert set(refused.value.message_dict) == {"revoked_on", "revocation_note"}


def test_end_of_treatment_expires_the_consent_at_discharge(nurse, patient, consent):
    episode = patients.admit(
        acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(hours=5), level_code="3.5"
    )
    assert consent.is_active()
    naloxone_and_education(patient, nurse, timezone.now() - timedelta(hours=4))
    patients.discharge(
        acting_user=nurse,
        episode=episode,
        discharged_at=timezone.now(),
        reason="completed",
        plan=continuing_care_plan(),
    )
    assert not Consent.objects.get(pk=consent.pk).is_active()


def test_a_consent_past_its_date_is_not_active(nurse, patient):
    past = services.record_consent(
        acting_user=nurse,
        patient=patient,
        **consent_data(
            expiry="date",
            signed_on=timezone.localdate() - timedelta(days=30),
            expires_on=timezone.localdate() - timedelta(days=1),
        ),
    )
    assert not past.is_active()


def test_the_disclose_page_prints_only_under_consent_with_the_notice(page, nurse, patient, consent):
    client = page(nurse)
    refused = client.post(
        f"/patients/{patient.pk}/disclose/",
        {"recipient": "County Court", "purpose": "other", "information": ["episodes"]},
    )
    assert b"No active consent covers this disclosure" in refused.content
    printed = client.post(
        f"/patients/{patient.pk}/disclose/",
        {"recipient": "Riverside Primary Care", "purpose": "treatment", "information": ["episodes"]},
    )
    html = printed.content.decode()
    assert html.count(SHORT_NOTICE) == 2 and "Withdrawal assessments" not in html
    csv = client.get(f"/patients/{patient.pk}/disclosures.csv").content.decode()
    assert "Riverside Primary Care" in csv.splitlines()[1]


def test_the_consent_page_records_a_consent_with_errors_beside_the_fields(page, nurse, patient):
    response = page(nurse).post(
        f"/patients/{patient.pk}/consents/new/",
        {
            "information": ["all_sud_records"],
            "information_description": "x",
            "disclosing_party": "Harbor",
            "recipients": "Dr. Lee",
            "purposes": ["treatment"],
            "expiry": "none",
            "signed_by": "Maria Rivera",
            "signer_is_patient": "on",
            "signed_on": timezone.localdate().isoformat(),
        },
    )
    assert b'id="id_right_to_revoke_explained_error"' in response.content
    assert not Consent.objects.exists()
