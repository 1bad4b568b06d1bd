"""Attacks a clinical system must shrug off: stored XSS in every free-text field, cross-site request forgery."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.test_permission_matrix import MATRIX
from waypoint.patients import services as patients
from waypoint.privacy import services as privacy
from waypoint.withdrawal import services as withdrawal

PAYLOAD = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def poisoned(ctx, nurse, counselor_off_team):
    """Every free-text field a user can type, filled with a script payload."""
    text_fields = ("given_name", "family_name", "preferred_name", "gender_identity", "pronouns",
                   "preferred_language", "phone", "address_line", "city", "state", "emergency_contact_name",
                   "emergency_contact_relationship", "emergency_contact_phone", "allergies", "alerts")
    patients.update_patient(acting_user=nurse, patient=ctx.patient, **{f: PAYLOAD[:30] if f in (
        "pronouns", "phone", "emergency_contact_phone", "state", "preferred_language") else PAYLOAD
        for f in text_fields})
    patients.transfer(acting_user=nurse, episode=ctx.episode, at=timezone.now() - timedelta(minutes=30),
                      level_code="3.5", reason=PAYLOAD)
    withdrawal.record_assessment(acting_user=nurse, patient=ctx.patient, instrument="craving-nrs",
                                 responses={"craving": 4}, taken_at=timezone.now() - timedelta(minutes=20),
                                 note=PAYLOAD, late_entry_reason=PAYLOAD)
    withdrawal.mark_entered_in_error(acting_user=nurse, assessment=ctx.assessment, reason=PAYLOAD)
    consent = privacy.record_consent(
        acting_user=nurse, patient=ctx.patient, disclosing_party=PAYLOAD, information=["all_sud_records"],
        information_description=PAYLOAD, recipients=[PAYLOAD], purposes=["treatment"], expiry="event",
        expiry_event=PAYLOAD, signed_by=PAYLOAD, signer_is_patient=False, representative_authority=PAYLOAD,
        signed_on=timezone.localdate(), right_to_revoke_explained=True)
    privacy.disclose(acting_user=nurse, patient=ctx.patient, recipient=PAYLOAD, purpose="treatment",
                     information=["demographics"])
    privacy.break_the_glass(acting_user=counselor_off_team, program=ctx.program, mrn=ctx.patient.mrn,
                            reason=PAYLOAD)
    return ctx, consent


def pages_showing_the_payload(ctx):
    pk = ctx.patient.pk
    return [reverse("patients:list"), reverse("patients:chart", args=[pk]), reverse("patients:edit", args=[pk]),
            reverse("patients:census"), reverse("withdrawal:board"), reverse("withdrawal:flowsheet", args=[pk]),
            reverse("privacy:patient", args=[pk])]


def test_no_page_runs_a_stored_script(page, nurse, privacy_officer, counselor_off_team, poisoned):
    ctx, _ = poisoned
    checked = 0
    for url in pages_showing_the_payload(ctx):
        html = page(nurse).get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        checked += "&lt;script&gt;alert" in html
    report = page(privacy_officer).get(reverse("privacy:break-glass-report")).content.decode()
    assert "<script>alert" not in report and "&lt;script&gt;alert" in report
    banner = page(counselor_off_team).get(ctx.patient.get_absolute_url()).content.decode()
    assert "<script>alert" not in banner and "&lt;script&gt;alert" in banner
    assert checked >= 5  # the payload was really on those pages, escaped


def test_the_print_view_of_a_disclosure_escapes_user_text(page, nurse, poisoned):
    ctx, _ = poisoned
    html = page(nurse).post(reverse("privacy:disclose", args=[ctx.patient.pk]), {
        "recipient": PAYLOAD, "purpose": "treatment", "information": ["all_sud_records"]}).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


def test_the_api_returns_user_text_as_data_not_markup(api, nurse, poisoned):
    ctx, _ = poisoned
    response = api(nurse).get(f"/api/v1/patients/{ctx.patient.pk}/")
    assert response["Content-Type"] == "application/json" and response.json()["alerts"] == PAYLOAD


def state_changing_pages():
    for name, case in MATRIX.items():
        if case.method == "POST" and not case.api:
            yield pytest.param(name, id=name)


@pytest.mark.parametrize("name", list(state_changing_pages()))
def test_every_state_changing_page_refuses_a_forged_request(name, ctx, nurse):
    case = MATRIX[name]
    forger = Client(enforce_csrf_checks=True)
    forger.force_login(nurse)
    response = forger.post(case.url(ctx), case.data(ctx) if case.data else {})
    assert response.status_code == 403


def test_moud_and_drug_screen_free_text_is_escaped_on_every_page_that_shows_it(page, api, ctx, nurse, request):
    """Order frequency, instructions and stop reason; dose reason and note; drug screen note."""
    from decimal import Decimal

    from waypoint.drug_screens import services as drug_screens
    from waypoint.medication import services as medication

    prescriber = request.getfixturevalue("prescriber")
    patient = ctx.patient
    order = medication.order_medication(acting_user=prescriber, patient=patient, medication="buprenorphine",
                                        dose=Decimal("4"), route="sublingual", frequency=PAYLOAD, phase="induction",
                                        instructions=PAYLOAD, start_at=timezone.now() - timedelta(hours=3))
    medication.record_administration(acting_user=nurse, patient=patient, order=order, status="given", dose="4",
                                     at=timezone.now() - timedelta(hours=2), note=PAYLOAD)
    medication.record_administration(acting_user=nurse, patient=patient, order=order, status="held",
                                     at=timezone.now() - timedelta(hours=1), reason=PAYLOAD)
    stopped = medication.order_medication(acting_user=prescriber, patient=patient, medication="methadone",
                                          dose=Decimal("30"), route="oral", frequency="daily",
                                          start_at=timezone.now() - timedelta(hours=3))
    medication.stop_order(acting_user=prescriber, order=stopped, stop_at=timezone.now() - timedelta(minutes=5),
                          reason=PAYLOAD)
    drug_screens.record_screen(acting_user=nurse, patient=patient, collected_at=timezone.now(), observed=True,
                               results={"fentanyl": "positive"}, note=PAYLOAD)
    pk = patient.pk
    for url in (reverse("medication:page", args=[pk]), reverse("drug_screens:page", args=[pk]),
                reverse("patients:progress", args=[pk]), reverse("patients:chart", args=[pk]),
                reverse("medication:administer", args=[pk])):
        html = page(prescriber).get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert" in html, url
    body = api(nurse).get(f"/api/v1/patients/{pk}/moud-orders/")
    assert body["Content-Type"] == "application/json" and PAYLOAD in {o["frequency"] for o in body.json()}
