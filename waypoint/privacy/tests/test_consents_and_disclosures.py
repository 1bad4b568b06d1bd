"""42 CFR Part 2: consents with every required element, revocation, disclosures only under a covering consent."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from conftest import continuing_care_plan, make_user, naloxone_and_education
from waypoint.accounts.models import Program
from waypoint.accounts.roles import Role
from waypoint.patients import services as patients
from waypoint.privacy import services
from waypoint.privacy.models import AuditEvent, Consent, Disclosure
from waypoint.privacy.settings import REDISCLOSURE_STATEMENT, SHORT_NOTICE


def program_today():
    """The test programs' day (conftest's programs keep New York time), for values built before a fixture exists."""
    return Program(time_zone="America/New_York").today()


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
        "signed_on": program_today() - timedelta(days=1),
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
        ({"signed_on": program_today() + timedelta(days=3)}, "signed_on"),
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
        acting_user=nurse, consent=consent, revoked_on=patient.program.today(), note="Signed revocation letter received"
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
            signed_on=patient.program.today() - timedelta(days=30),
            expires_on=patient.program.today() - timedelta(days=1),
        ),
    )
    assert not past.is_active()


def test_a_consent_is_judged_on_the_programs_day_not_the_servers_date(nurse, patient):
    """A consent expiring "today" in New York still covers a disclosure at 02:30 UTC the next UTC day (21:30 in
    New York), and stops covering at New York's midnight; a revocation dated the server's (UTC) date is then still
    in the program's future."""
    new_york = patient.program.tz
    last_day = date(2026, 3, 10)
    with time_machine.travel(datetime(2026, 3, 1, 15, 0, tzinfo=new_york), tick=False):
        consent = services.record_consent(
            acting_user=nurse,
            patient=patient,
            **consent_data(expiry="date", signed_on=date(2026, 3, 1), expires_on=last_day),
        )
    disclose = {"acting_user": nurse, "patient": patient, "recipient": "Riverside Primary Care", "purpose": "treatment"}
    evening = datetime(2026, 3, 11, 2, 30, tzinfo=UTC)  # 21:30 on March 10 in New York; March 11 on the server
    with time_machine.travel(evening, tick=False):
        assert timezone.localdate() == date(2026, 3, 11) and patient.program.today() == last_day
        assert Consent.objects.get(pk=consent.pk).is_active()
        assert services.disclose(**disclose, information=["demographics"]).consent == consent
        with pytest.raises(ValidationError) as future:
            services.revoke_consent(acting_user=nurse, consent=consent, revoked_on=date(2026, 3, 11), note="letter")
        assert "revoked_on" in future.value.message_dict
    with time_machine.travel(datetime(2026, 3, 11, 0, 0, 1, tzinfo=new_york), tick=False):  # New York's midnight
        assert not Consent.objects.get(pk=consent.pk).is_active()
        with pytest.raises(ValidationError) as refused:
            services.disclose(**disclose, information=["demographics"])
        assert "No active consent" in refused.value.message_dict["consent"][0]
    assert Disclosure.objects.filter(patient=patient).count() == 1


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
            "signed_on": patient.program.today().isoformat(),
        },
    )
    assert b'id="id_right_to_revoke_explained_error"' in response.content
    assert not Consent.objects.exists()
