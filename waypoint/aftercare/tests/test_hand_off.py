"""The hand-off as a Part 2 disclosure: the plan goes to the receiving provider only under a consent naming that
provider (logged in the accounting of disclosures, with the notice); without one, the packet goes only to the
patient and the page says why."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import continuing_care_plan
from waypoint.aftercare import services
from waypoint.aftercare.models import ContinuingCarePlan
from waypoint.patients import services as patients
from waypoint.privacy import services as privacy
from waypoint.privacy.models import AuditEvent, Disclosure

PROVIDER = "Harbor outpatient clinic"  # the next provider of conftest's continuing_care_plan()


def consent(nurse, patient, recipients, expiry="none"):
    return privacy.record_consent(
        acting_user=nurse,
        patient=patient,
        disclosing_party="Harbor Recovery",
        information=["episodes"],
        information_description="The continuing-care plan and the discharge",
        recipients=recipients,
        general_designation=False,
        purposes=["treatment"],
        purpose_description="",
        expiry=expiry,
        expires_on=None,
        expiry_event="",
        signed_by="Maria Rivera",
        signer_is_patient=True,
        representative_authority="",
        signed_on=timezone.localdate(timezone=patient.program.tz) - timedelta(days=1),
        right_to_revoke_explained=True,
    )


@pytest.fixture
def plan(nurse, admitted):
    episode = patients.discharge(
        acting_user=nurse,
        episode=admitted,
        discharged_at=timezone.now() - timedelta(hours=1),
        reason="completed",
        plan=continuing_care_plan(),
    )
    return ContinuingCarePlan.objects.select_related("episode", "patient").get(episode=episode)


def test_with_a_consent_naming_the_provider_the_plan_is_disclosed_and_accounted(page, api, nurse, patient, plan):
    given = consent(nurse, patient, [PROVIDER])
    packet = reverse("aftercare:packet", args=[patient.pk, plan.pk])
    assert f"Send the plan to {PROVIDER}" in page(nurse).get(packet).content.decode()
    response = page(nurse).post(reverse("aftercare:send", args=[patient.pk, plan.pk]))
    assert response.status_code == 302
    disclosure = Disclosure.objects.get()
    assert (disclosure.recipient, disclosure.purpose, disclosure.consent, disclosure.information) == (
        PROVIDER,
        "treatment",
        given,
        ["episodes"],
    )
    assert disclosure.notice  # the Part 2 notice it carried
    assert list(privacy.accounting(patient)) == [disclosure]
    plan.refresh_from_db()
    assert plan.hand_off == disclosure
    assert AuditEvent.objects.filter(action="aftercare.plan.hand_off", outcome="success").exists()
    body = page(nurse).get(packet).content.decode()
    assert f"Sent to <strong>{PROVIDER}</strong>" in body and "Send the plan to" not in body
    read = api(nurse).get(f"/api/v1/patients/{patient.pk}/continuing-care/").json()
    assert read["plans"][0]["hand_off"]["disclosure"] == disclosure.pk
    assert read["plans"][0]["hand_off"]["recipient"] == PROVIDER
    with pytest.raises(ValidationError) as again:
        services.hand_off(nurse, plan)
    assert "already sent" in again.value.message_dict["hand_off"][0]


def test_without_a_consent_naming_the_provider_the_packet_goes_only_to_the_patient(page, nurse, patient, plan):
    consent(nurse, patient, ["Riverside Primary Care"])
    body = page(nurse).get(reverse("aftercare:packet", args=[patient.pk, plan.pk])).content.decode()
    assert "The packet goes only to the patient: no consent lets this program send the plan" in body
    assert "Send the plan to" not in body
    with pytest.raises(ValidationError) as refused:
        services.hand_off(nurse, plan)
    assert PROVIDER in refused.value.message_dict["hand_off"][0]
    assert not Disclosure.objects.exists()
    denied = AuditEvent.objects.get(action="aftercare.plan.hand_off")
    assert denied.outcome == "denied" and "goes only to the patient" in denied.detail["why"]
    response = page(nurse).post(reverse("aftercare:send", args=[patient.pk, plan.pk]), follow=True)
    assert "no consent lets this program send the plan" in response.content.decode()
    assert not Disclosure.objects.exists()


def test_a_consent_that_ended_with_the_treatment_does_not_cover_the_hand_off(nurse, patient, plan):
    consent(nurse, patient, [PROVIDER], expiry="end_of_treatment")
    assert "goes only to the patient" in services.hand_off_refusal(plan)


def test_a_next_provider_in_this_program_is_no_disclosure(nurse, patient, admitted):
    episode = patients.discharge(
        acting_user=nurse,
        episode=admitted,
        discharged_at=timezone.now() - timedelta(hours=1),
        reason="completed",
        plan=continuing_care_plan(provider_in_program=True),
    )
    consent(nurse, patient, [PROVIDER])
    assert "already in the patient's record here" in services.hand_off_refusal(episode.continuing_care_plan)


def test_another_programs_plan_is_404(page, north_nurse, patient, plan):
    assert page(north_nurse).post(reverse("aftercare:send", args=[patient.pk, plan.pk])).status_code == 404
