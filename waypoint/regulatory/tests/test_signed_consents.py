"""Signed, versioned consents: the signature is bound to the hash of the exact text shown; an edited text needs
a new signature; an expired consent stops disclosure at once; consents near expiry are listed."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from waypoint.accounts.program_settings import change
from waypoint.privacy import services as privacy
from waypoint.privacy.models import AuditEvent, Consent, Disclosure
from waypoint.privacy.settings import REDISCLOSURE_STATEMENT
from waypoint.regulatory import services
from waypoint.regulatory.models import ConsentSignature, ConsentText, ImmutableError
from waypoint.regulatory.services import SignatureInput
from waypoint.withdrawal.services import open_kiosk

RECIPIENT = "Riverside Primary Care"


def specific_terms(program, **changes):
    return {
        "disclosing_party": program.name,
        "information": ["all_sud_records"],
        "information_description": "My admissions and withdrawal scores",
        "recipients": [RECIPIENT],
        "general_designation": False,
        "purposes": ["treatment"],
        "purpose_description": "",
        "expiry": "date",
        "valid_days": 90,
        "expiry_event": "",
    } | changes


@pytest.fixture
def text(privacy_officer, program):
    return services.create_consent_text(
        acting_user=privacy_officer,
        program=program,
        kind="specific",
        title="Sharing with my primary care doctor",
        body="This lets us send your records to your primary care doctor.",
        terms=specific_terms(program),
    )


@pytest.fixture
def kiosk(nurse, patient):
    return open_kiosk(acting_user=nurse, patient=patient)


def typed(text, **changes):
    fields = {"text_id": text.pk, "shown_sha256": text.sha256, "method": "typed", "typed_name": "Maria Rivera"}
    return SignatureInput(**(fields | {"attested": True} | changes))


def test_the_hash_is_the_sha256_of_the_exact_text_shown_and_it_states_every_required_element(text, program):
    assert text.sha256 == hashlib.sha256(text.full_text.encode()).hexdigest()
    for element in (program.name, "My admissions and withdrawal scores", RECIPIENT, "Treatment", "90 days after"):
        assert element in text.full_text
    assert "revoke this consent at any time" in text.full_text and "in writing" in text.full_text


def test_a_signature_on_the_kiosk_binds_the_signer_to_the_text_hash(text, kiosk, patient):
    consent = services.sign_consent(kiosk=kiosk, signed=typed(text))
    signature = consent.signature
    assert signature.text == text and signature.text_sha256 == text.sha256 and signature.intact
    assert (signature.method, signature.typed_name, signature.attested) == ("typed", "Maria Rivera", True)
    assert consent.patient == patient and consent.signed_by == "Maria Rivera" and consent.recipients == [RECIPIENT]
    program_today = patient.program.today()  # the date signed is the program's day
    assert consent.signed_on == program_today and consent.expires_on == program_today + timedelta(days=90)
    event = AuditEvent.objects.get(action="consent.sign", outcome="success")
    assert event.detail["sha256"] == text.sha256 and event.patient_id == patient.pk


def test_a_signature_cannot_be_changed_and_a_text_version_cannot_be_edited_in_place(text, kiosk):
    consent = services.sign_consent(kiosk=kiosk, signed=typed(text))
    with pytest.raises(ImmutableError):
        text.body = "Something else"
        text.save()
    with pytest.raises(ImmutableError):
        consent.signature.save()


def test_a_text_altered_behind_the_versioning_no_longer_matches_its_signature(text, kiosk):
    consent = services.sign_consent(kiosk=kiosk, signed=typed(text))
    ConsentText.objects.filter(pk=text.pk).update(full_text=text.full_text + " And to anyone else.")
    assert not ConsentSignature.objects.get(consent=consent).intact


def test_an_edited_text_needs_a_new_signature(text, kiosk, privacy_officer, program):
    old = services.sign_consent(kiosk=kiosk, signed=typed(text))
    revised = services.revise_consent_text(
        acting_user=privacy_officer,
        text=text,
        title=text.title,
        body=text.body,
        terms=specific_terms(program, recipients=[RECIPIENT, "Riverside Pharmacy"]),
        note="Add the pharmacy",
    )
    assert (revised.version, revised.series) == (2, text.series) and revised.sha256 != text.sha256
    # The old signature stays bound to version 1; it does not reach the pharmacy named only in version 2.
    assert old.signature.text == text and old.signature.intact
    with pytest.raises(ValidationError):
        privacy.covering_consent(kiosk.patient, "Riverside Pharmacy", "treatment", {"all_sud_records"})
    # A form shown at version 1 cannot be signed any more, even with the new hash: read version 2 and sign it.
    for stale in (typed(text), typed(text, shown_sha256=revised.sha256), typed(revised, shown_sha256=text.sha256)):
        with pytest.raises(ValidationError) as error:
            services.sign_consent(kiosk=kiosk, signed=stale)
        assert "changed after it was shown" in error.value.message_dict["text"][0]
    assert AuditEvent.objects.filter(action="consent.sign", outcome="denied").count() == 3
    (item,) = services.consents_to_review(program, patient=kiosk.patient)
    assert item.consent == old and "version 2 needs a new signature" in item.why
    new = services.sign_consent(kiosk=kiosk, signed=typed(revised))
    assert new.signature.text == revised and new.recipients == [RECIPIENT, "Riverside Pharmacy"]
    assert privacy.covering_consent(kiosk.patient, "Riverside Pharmacy", "treatment", {"all_sud_records"}) == new


def test_a_consent_signed_on_a_revised_text_is_listed_for_review(text, kiosk, privacy_officer, administrator, program):
    change(program, "regulatory.consent_review_days", 1, acting_user=administrator)
    consent = services.sign_consent(kiosk=kiosk, signed=typed(text))
    assert services.consents_to_review(program) == []
    services.revise_consent_text(
        acting_user=privacy_officer, text=text, title=text.title, body="Clearer words.", terms=text.terms, note="words"
    )
    (item,) = services.consents_to_review(program)
    assert item.consent == consent and "version 2 needs a new signature" in item.why


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"typed_name": " "}, "typed_name"),
        ({"attested": False}, "attested"),
        ({"method": "drawn"}, "method"),
        ({"signer_is_patient": False}, "representative_name"),
        ({"signer_is_patient": False, "representative_name": "Ana Rivera"}, "representative_authority"),
    ],
)
def test_a_signature_missing_an_element_is_refused_and_nothing_is_saved(text, kiosk, changes, field):
    with pytest.raises(ValidationError) as error:
        services.sign_consent(kiosk=kiosk, signed=typed(text, **changes))
    assert field in error.value.message_dict
    assert not Consent.objects.exists() and not ConsentSignature.objects.exists()
    assert AuditEvent.objects.filter(action="consent.sign", outcome="denied").count() == 1


def test_a_guardian_signs_for_the_patient(text, kiosk):
    consent = services.sign_consent(
        kiosk=kiosk,
        signed=typed(
            text,
            typed_name="Ana Rivera",
            signer_is_patient=False,
            representative_name="Ana Rivera",
            representative_authority="Legal guardian (court order)",
        ),
    )
    assert consent.signed_by == "Ana Rivera" and not consent.signer_is_patient
    assert consent.representative_authority == "Legal guardian (court order)"
    assert consent.signature.signer_name == "Ana Rivera"


def test_a_drawn_signature_when_the_program_chose_it(text, kiosk, administrator, program):
    change(program, "regulatory.signature_method", "drawn", acting_user=administrator)
    with pytest.raises(ValidationError) as error:
        services.sign_consent(kiosk=kiosk, signed=typed(text, method="drawn", drawing="<script>"))
    assert "drawing" in error.value.message_dict
    consent = services.sign_consent(
        kiosk=kiosk, signed=typed(text, method="drawn", typed_name="", drawing="M 10 20 L 30 40 L 50 22.5")
    )
    assert consent.signature.method == "drawn" and consent.signature.drawing == "M 10 20 L 30 40 L 50 22.5"
    assert consent.signed_by == "Maria Rivera"  # the patient's name


def test_another_programs_text_is_not_offered(north, north_nurse, kiosk, privacy_officer):
    from conftest import make_user
    from waypoint.accounts.roles import Role

    officer = make_user("north-officer", north, Role.PRIVACY)
    foreign = services.start_tpo_text(acting_user=officer, program=north)
    with pytest.raises(ValidationError) as error:
        services.sign_consent(kiosk=kiosk, signed=typed(foreign))
    assert "not offered" in error.value.message_dict["text"][0]


def test_the_2024_single_tpo_consent_states_the_required_statements(privacy_officer, program, kiosk):
    text = services.start_tpo_text(acting_user=privacy_officer, program=program)
    assert text.kind == "tpo"
    assert "all of these future uses and disclosures until you take it back in writing" in text.full_text
    assert "may not be used against you in civil, criminal, administrative or legislative proceedings" in text.full_text
    assert REDISCLOSURE_STATEMENT in text.full_text
    assert "None: it lasts until you revoke it in writing." in text.full_text
    consent = services.sign_consent(kiosk=kiosk, signed=typed(text))
    assert consent.is_tpo and consent.general_designation and consent.expiry == "none"
    assert consent.redisclosure_statement == REDISCLOSURE_STATEMENT
    # One consent covers treatment, payment and operations for any recipient by the general designation.
    for purpose in ("treatment", "payment", "health_care_operations"):
        assert privacy.covering_consent(kiosk.patient, "Any Hospital", purpose, {"all_sud_records"}) == consent


def test_an_expired_consent_stops_disclosure_at_once(text, kiosk, nurse, program):
    consent = services.sign_consent(kiosk=kiosk, signed=typed(text))
    patient = kiosk.patient
    last_day = consent.expires_on
    disclose = {"acting_user": nurse, "patient": patient, "recipient": RECIPIENT, "purpose": "treatment"}
    tz = patient.program.tz  # the last day and the next are the program's days
    with time_machine.travel(timezone.datetime.combine(last_day, timezone.datetime.max.time(), tzinfo=tz)):
        assert privacy.disclose(**disclose, information=["demographics"]).consent == consent
    next_day = last_day + timedelta(days=1)
    with time_machine.travel(timezone.datetime.combine(next_day, timezone.datetime.min.time(), tzinfo=tz)):
        with pytest.raises(ValidationError) as error:
            privacy.disclose(**disclose, information=["demographics"])
        assert "No active consent" in error.value.message_dict["consent"][0]
    assert Disclosure.objects.count() == 1
    assert AuditEvent.objects.filter(action="disclosure.create", outcome="denied").count() == 1


def test_consents_near_expiry_are_listed_within_the_program_window(text, kiosk, administrator, program):
    consent = services.sign_consent(kiosk=kiosk, signed=typed(text))  # expires in 90 days
    today = program.today()
    assert services.consents_to_review(program, on=today) == []  # window 30 days
    (item,) = services.consents_to_review(program, on=consent.expires_on - timedelta(days=30))
    assert item.consent == consent and "in 30 days" in item.why
    assert services.consents_to_review(program, on=consent.expires_on - timedelta(days=31)) == []
    (item,) = services.consents_to_review(program, on=consent.expires_on)
    assert "today" in item.why
    assert services.consents_to_review(program, on=consent.expires_on + timedelta(days=1)) == []  # expired: gone
    change(program, "regulatory.consent_review_days", 90, acting_user=administrator)
    assert [i.consent for i in services.consents_to_review(program, on=today)] == [consent]
