"""A staff witness where the program requires one: a consent signed on the kiosk is saved only when the staff
member who opened the kiosk confirms with their password; off by default."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conftest import PASSWORD, make_user
from waypoint.accounts.program_settings import REGISTRY, change
from waypoint.accounts.roles import Role
from waypoint.privacy.models import AuditEvent, Consent
from waypoint.regulatory import services
from waypoint.regulatory.models import ConsentSignature


@pytest.fixture
def tpo(privacy_officer, program):
    return services.start_tpo_text(acting_user=privacy_officer, program=program)


@pytest.fixture
def kiosk_client(page, nurse, patient):
    device = page(nurse)
    device.post(reverse("withdrawal:kiosk-open", args=[patient.pk]))
    return device


@pytest.fixture
def witness_required(program, administrator):
    change(program, "regulatory.consent_witness", True, acting_user=administrator)
    program.__dict__.pop("_setting_values", None)


def signing(tpo, **extra):
    return {"shown_sha256": tpo.sha256, "signer": "patient", "typed_name": "Maria Rivera", "attested": "on"} | extra


def test_off_by_default_with_its_origin_in_words():
    setting = REGISTRY["regulatory.consent_witness"]
    assert setting.default is False and "42 CFR 2.31" in setting.origin


def test_without_the_setting_no_witness_is_asked(kiosk_client, tpo):
    page = kiosk_client.get(reverse("kiosk-consent:sign", args=[tpo.pk])).content.decode()
    assert "Staff witness" not in page
    assert kiosk_client.post(reverse("kiosk-consent:sign", args=[tpo.pk]), signing(tpo)).status_code == 302
    assert ConsentSignature.objects.get().witnessed_by is None


def test_the_staff_who_opened_the_kiosk_witnesses_with_their_password(witness_required, kiosk_client, tpo, nurse):
    url = reverse("kiosk-consent:sign", args=[tpo.pk])
    assert "Staff witness" in kiosk_client.get(url).content.decode()
    for wrong in ("", "not-the-password"):
        refused = kiosk_client.post(url, signing(tpo, witness_password=wrong))
        assert refused.status_code == 200 and "A staff witness is required" in refused.content.decode()
    assert not Consent.objects.exists()
    assert AuditEvent.objects.filter(action="consent.sign", outcome="denied").count() == 2
    signed = kiosk_client.post(url, signing(tpo, witness_password=PASSWORD))
    assert signed.status_code == 302
    signature = ConsentSignature.objects.get()
    assert signature.witnessed_by == nurse
    assert AuditEvent.objects.get(action="consent.sign", outcome="success").detail["witness"] == nurse.pk
    copy = kiosk_client.get(signed["Location"]).content.decode()
    assert "Witnessed by" in copy


def test_another_staff_members_password_is_not_a_witness(witness_required, tpo, nurse, patient, program):
    from waypoint.withdrawal.services import open_kiosk

    other = make_user("other-nurse", program, Role.NURSE)
    kiosk = open_kiosk(acting_user=nurse, patient=patient)
    with pytest.raises(ValidationError) as refused:
        services.sign_consent(
            kiosk=kiosk,
            signed=services.SignatureInput(
                text_id=tpo.pk,
                shown_sha256=tpo.sha256,
                method="typed",
                typed_name="Maria Rivera",
                attested=True,
                witness=other,
            ),
        )
    assert "witness_password" in refused.value.message_dict
    assert not Consent.objects.exists()
