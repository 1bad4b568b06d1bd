"""The pages: signing a consent on the kiosk, its printed copy, the consents to renew, the breach register."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_user, patient_fields
from waypoint.accounts.program_settings import change
from waypoint.accounts.roles import Role
from waypoint.patients import services as patients
from waypoint.privacy.models import AuditEvent, Consent
from waypoint.regulatory import services
from waypoint.regulatory.models import Breach, ConsentSignature
from waypoint.withdrawal.services import open_kiosk
from waypoint.withdrawal.views import KIOSK_SESSION_KEY


@pytest.fixture
def tpo(privacy_officer, program):
    return services.start_tpo_text(acting_user=privacy_officer, program=program)


@pytest.fixture
def kiosk_client(page, nurse, patient):
    device = page(nurse)
    device.post(reverse("withdrawal:kiosk-open", args=[patient.pk]))
    return device


def test_the_patient_reads_and_signs_on_the_kiosk_and_gets_a_copy(kiosk_client, tpo, patient):
    listing = kiosk_client.get(reverse("kiosk-consent:list"))
    assert tpo.title in listing.content.decode()
    shown = kiosk_client.get(reverse("kiosk-consent:sign", args=[tpo.pk]))
    html = shown.content.decode()
    assert "until you take it back in writing" in html and tpo.sha256 in html
    refused = kiosk_client.post(
        reverse("kiosk-consent:sign", args=[tpo.pk]),
        {"shown_sha256": tpo.sha256, "signer": "patient", "typed_name": "Maria Rivera"},
    )
    assert refused.status_code == 200 and "Tick the box" in refused.content.decode()
    assert not Consent.objects.exists()
    signed = kiosk_client.post(
        reverse("kiosk-consent:sign", args=[tpo.pk]),
        {"shown_sha256": tpo.sha256, "signer": "patient", "typed_name": "Maria Rivera", "attested": "on"},
    )
    consent = Consent.objects.get()
    assert signed.status_code == 302 and signed["Location"] == reverse("kiosk-consent:copy", args=[consent.pk])
    copy = kiosk_client.get(signed["Location"]).content.decode()
    assert "Maria Rivera" in copy and tpo.sha256 in copy and "matches the text above" in copy
    assert ConsentSignature.objects.get().text_sha256 == tpo.sha256


def test_a_form_revised_while_it_was_on_screen_is_refused(kiosk_client, tpo, privacy_officer):
    revised = services.revise_consent_text(
        acting_user=privacy_officer, text=tpo, title=tpo.title, body="New words.", terms=tpo.terms, note="words"
    )
    response = kiosk_client.post(
        reverse("kiosk-consent:sign", args=[tpo.pk]),
        {"shown_sha256": tpo.sha256, "signer": "patient", "typed_name": "Maria Rivera", "attested": "on"},
    )
    assert "changed after it was shown" in response.content.decode() and not Consent.objects.exists()
    assert revised.title in kiosk_client.get(reverse("kiosk-consent:list")).content.decode()


def test_a_copy_from_another_kiosk_session_is_not_shown(page, nurse, patient, tpo, kiosk_client):
    kiosk_client.post(
        reverse("kiosk-consent:sign", args=[tpo.pk]),
        {"shown_sha256": tpo.sha256, "signer": "patient", "typed_name": "Maria Rivera", "attested": "on"},
    )
    consent = Consent.objects.get()
    other = page(nurse)
    other.post(reverse("withdrawal:kiosk-open", args=[patient.pk]))
    assert other.get(reverse("kiosk-consent:copy", args=[consent.pk])).status_code == 404


def test_the_chart_shows_the_signed_copy_and_the_consent_to_renew(page, nurse, patient, privacy_officer, program):
    text = services.create_consent_text(
        acting_user=privacy_officer,
        program=program,
        kind="specific",
        title="To my doctor",
        body="Plain words.",
        terms={
            "disclosing_party": program.name,
            "information": ["episodes"],
            "information_description": "Admissions",
            "recipients": ["Riverside Primary Care"],
            "purposes": ["treatment"],
            "expiry": "date",
            "valid_days": 10,
        },
    )
    kiosk = open_kiosk(acting_user=nurse, patient=patient)
    consent = services.sign_consent(
        kiosk=kiosk,
        signed=services.SignatureInput(
            text_id=text.pk, shown_sha256=text.sha256, method="typed", typed_name="Maria Rivera", attested=True
        ),
    )
    client = page(nurse)
    chart = client.get(patient.get_absolute_url()).content.decode()
    assert "Consents to renew" in chart and f"({consent.expires_on:%Y-%m-%d})" in chart
    privacy_page = client.get(reverse("privacy:patient", args=[patient.pk])).content.decode()
    assert reverse("regulatory:signed-copy", args=[patient.pk, consent.pk]) in privacy_page
    copy = client.get(reverse("regulatory:signed-copy", args=[patient.pk, consent.pk])).content.decode()
    assert text.sha256 in copy and "Maria Rivera" in copy
    assert AuditEvent.objects.filter(action="consent.copy.read", patient_id=patient.pk).exists()


def test_the_renewal_list_shows_only_the_readers_program(page, nurse, patient, north, north_nurse, privacy_officer):
    north_patient = patients.register_patient(
        acting_user=north_nurse, program=north, care_team=None, **patient_fields(mrn="N-77", family_name="Okonkwo")
    )
    from waypoint.privacy.services import record_consent

    for who, person in ((nurse, patient), (north_nurse, north_patient)):
        record_consent(
            acting_user=who,
            patient=person,
            disclosing_party="x",
            information=["episodes"],
            information_description="admissions",
            recipients=["Riverside"],
            purposes=["treatment"],
            expiry="date",
            expires_on=person.program.today() + timedelta(days=5),
            signed_by="Someone",
            signed_on=person.program.today(),
            right_to_revoke_explained=True,
        )
    html = page(privacy_officer).get(reverse("regulatory:review")).content.decode()
    assert patient.mrn in html and "N-77" not in html and "Okonkwo" not in html
    north_officer = make_user("north-officer", north, Role.PRIVACY)
    html = page(north_officer).get(reverse("regulatory:review")).content.decode()
    assert "N-77" in html and patient.mrn not in html


def test_the_privacy_officer_records_a_breach_and_sees_its_notification_list(
    page, privacy_officer, nurse, patient, program
):
    client = page(privacy_officer)
    start = timezone.localtime(timezone=program.tz) - timedelta(days=2)
    today = program.today()
    response = client.post(
        reverse("regulatory:breach-new"),
        {
            "title": "Lost laptop",
            "discovered_on": today.isoformat(),
            "description": "Left on a bus.",
            "information_involved": "Charts opened that week.",
            "window_start": start.strftime("%Y-%m-%dT%H:%M"),
            "window_end": (start + timedelta(days=2, minutes=2)).strftime("%Y-%m-%dT%H:%M"),
            "involved_users": [nurse.pk],
        },
    )
    breach = Breach.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("regulatory:breach", args=[breach.pk])
    html = client.get(response["Location"]).content.decode()
    assert "Notification list: 1 patient" in html and patient.mrn in html  # the nurse registered the patient
    due = (breach.discovered_on + timedelta(days=60)).strftime("%Y-%m-%d")
    assert due in html
    client.post(
        response["Location"],
        {
            "action": "notice",
            "recipient": "individual",
            "patient": patient.pk,
            "sent_on": today.isoformat(),
            "how": "First-class mail",
        },
    )
    client.post(response["Location"], {"action": "closed"})
    breach.refresh_from_db()
    assert breach.status == "closed"


def test_the_drawn_signature_page_when_the_program_chose_it(kiosk_client, tpo, administrator, program):
    change(program, "regulatory.signature_method", "drawn", acting_user=administrator)
    html = kiosk_client.get(reverse("kiosk-consent:sign", args=[tpo.pk])).content.decode()
    assert "signature-pad" in html and "typed_name" not in html
    kiosk_client.post(
        reverse("kiosk-consent:sign", args=[tpo.pk]),
        {"shown_sha256": tpo.sha256, "signer": "patient", "drawing": "M 1 2 L 3 4"},
    )
    assert ConsentSignature.objects.get().drawing == "M 1 2 L 3 4"
    assert KIOSK_SESSION_KEY in kiosk_client.session
