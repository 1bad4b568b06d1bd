"""The central registry's other events (42 CFR 2.34): dose changes (a new agonist order with another medication or
dose), interruption and resumption (the first hold on the patient's doses at the window and the lift of the last),
each sent once the change commits, only under the consent naming the registry, each a disclosure; the
dual-enrollment answer at admission; the privacy officer's page of reports sent and refused."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import make_user, patient_fields
from waypoint.accounts.roles import Role
from waypoint.dispensing import services as dispensing
from waypoint.medication import services as medication
from waypoint.patients import services as patients
from waypoint.privacy.models import AuditEvent, Disclosure
from waypoint.regulatory import registry
from waypoint.regulatory.models import DualEnrollment, RegistryReport

from .conftest import REGISTRY
from .test_central_registry import registry_consent


def methadone(prescriber, patient, dose, start):
    return medication.order_medication(
        acting_user=prescriber,
        patient=patient,
        medication="methadone",
        dose=Decimal(dose),
        route="oral",
        times_per_day=1,
        start_at=start,
    )


@pytest.fixture
def consented(nurse, patient):
    return registry_consent(nurse, patient, expiry="date", expires_on=patient.program.today() + timedelta(days=365))


def test_a_dose_change_is_reported_with_the_medication_and_dose(
    double, named, consented, prescriber, patient, django_capture_on_commit_callbacks
):
    start = timezone.now() - timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        first = methadone(prescriber, patient, "30", start)
    medication.stop_order(acting_user=prescriber, order=first, stop_at=start + timedelta(days=1), reason="titration")
    with django_capture_on_commit_callbacks(execute=True):
        same = methadone(prescriber, patient, "30", start + timedelta(days=1))  # the same dose: no change
    medication.stop_order(acting_user=prescriber, order=same, stop_at=start + timedelta(days=2), reason="titration")
    with django_capture_on_commit_callbacks(execute=True):
        methadone(prescriber, patient, "45", start + timedelta(days=2))
    tz = patient.program.tz
    assert [(s["event"], s["event_date"], s["medication"], s["dose"], s["unit"]) for s in double.sent] == [
        ("dose_change", timezone.localtime(start, tz).date().isoformat(), "Methadone", "30", "mg"),
        ("dose_change", timezone.localtime(start + timedelta(days=2), tz).date().isoformat(), "Methadone", "45", "mg"),
    ]
    reports = RegistryReport.objects.filter(patient=patient)
    assert reports.count() == 2 and all(set(r.payload) == set(registry.ALLOWED_FIELDS) for r in reports)
    assert Disclosure.objects.filter(patient=patient, recipient=REGISTRY, channel="registry").count() == 2


def test_without_the_consent_the_order_is_written_and_the_refusal_recorded(
    double, named, prescriber, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = methadone(prescriber, patient, "30", timezone.now() - timedelta(hours=1))
    assert order.pk and double.sent == [] and not Disclosure.objects.exists()
    refused = AuditEvent.objects.get(action="registry.report", outcome="denied")
    assert refused.patient_id == patient.pk and refused.detail["event"] == "dose_change"


def test_interruption_is_the_first_hold_and_resumption_the_lift_of_the_last(
    double, named, consented, nurse, prescriber, patient, django_capture_on_commit_callbacks
):
    methadone(prescriber, patient, "40", timezone.now() - timedelta(days=5))  # not committed: no report
    with django_capture_on_commit_callbacks(execute=True):
        first = dispensing.set_hold(acting_user=nurse, patient=patient, kind="clinical", reason="Sedated at the window")
    with django_capture_on_commit_callbacks(execute=True):
        second = dispensing.set_hold(acting_user=nurse, patient=patient, kind="administrative", reason="Fees")
    with django_capture_on_commit_callbacks(execute=True):
        dispensing.lift_hold(acting_user=nurse, hold=second, note="Fees settled")  # the clinical hold remains
    assert [s["event"] for s in double.sent] == ["interruption"]
    with django_capture_on_commit_callbacks(execute=True):
        dispensing.lift_hold(acting_user=prescriber, hold=first, note="Reassessed: alert, dose resumed")
    assert [(s["event"], s["medication"], s["dose"]) for s in double.sent] == [
        ("interruption", "Methadone", "40"),
        ("resumption", "Methadone", "40"),
    ]
    today = patient.program.today().isoformat()
    assert [s["event_date"] for s in double.sent] == [today, today]
    assert Disclosure.objects.filter(patient=patient, recipient=REGISTRY).count() == 2


def test_a_program_naming_no_registry_reports_no_hold_or_order(
    double, nurse, prescriber, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        methadone(prescriber, patient, "30", timezone.now() - timedelta(hours=1))
        hold = dispensing.set_hold(acting_user=nurse, patient=patient, kind="clinical", reason="Sedated")
        dispensing.lift_hold(acting_user=prescriber, hold=hold, note="Reassessed")
    assert double.sent == [] and not AuditEvent.objects.filter(action="registry.report").exists()


# The dual-enrollment answer at admission.


@pytest.fixture
def admitted(nurse, patient):
    patients.admit(acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(hours=3), level_code="1")
    return patient


def test_the_dual_enrollment_answer_is_recorded_once_per_admission(nurse, admitted):
    with pytest.raises(ValidationError) as missing:
        registry.record_dual_enrollment(acting_user=nurse, patient=admitted, answer="enrolled")
    assert "other_program" in missing.value.message_dict and not DualEnrollment.objects.exists()
    row = registry.record_dual_enrollment(
        acting_user=nurse, patient=admitted, answer="enrolled", other_program="Bayside Methadone Clinic"
    )
    assert row.episode.patient == admitted and row.other_program == "Bayside Methadone Clinic"
    assert AuditEvent.objects.filter(action="dual_enrollment.record", patient_id=admitted.pk).exists()
    with pytest.raises(ValidationError) as twice:
        registry.record_dual_enrollment(acting_user=nurse, patient=admitted, answer="not_enrolled")
    assert "answer" in twice.value.message_dict and DualEnrollment.objects.count() == 1


def test_no_answer_without_an_admission(nurse, patient):
    with pytest.raises(ValidationError) as refused:
        registry.record_dual_enrollment(acting_user=nurse, patient=patient, answer="not_enrolled")
    assert "answer" in refused.value.message_dict


def test_the_chart_asks_for_the_answer_then_shows_it(page, nurse, admitted):
    client = page(nurse)
    chart = client.get(admitted.get_absolute_url()).content.decode()
    assert "Not recorded for this admission" in chart
    url = reverse("regulatory:dual-enrollment", args=[admitted.pk])
    assert url in chart
    refused = client.post(url, {"answer": "enrolled", "other_program": ""})
    assert refused.status_code == 200 and "Name the other program" in refused.content.decode()
    done = client.post(url, {"answer": "declined", "note": "Will ask again at the first review"})
    assert done.status_code == 302
    chart = client.get(admitted.get_absolute_url()).content.decode()
    assert "Declined to answer" in chart and "Not recorded for this admission" not in chart


def test_another_programs_patient_has_no_answer_page(page, north, admitted):
    north_nurse = make_user("north-nurse", north, Role.NURSE)
    url = reverse("regulatory:dual-enrollment", args=[admitted.pk])
    assert page(north_nurse).post(url, {"answer": "declined"}).status_code == 404
    assert not DualEnrollment.objects.exists()


# The privacy officer's page.


def test_the_registry_page_lists_reports_sent_and_refused_with_their_accounting_entry(
    double, named, consented, page, nurse, privacy_officer, patient, north
):
    sent = registry.report(acting_user=nurse, patient=patient, event="admission", event_date=patient.program.today())
    other = patients.register_patient(
        acting_user=nurse, program=patient.program, care_team=None, **patient_fields(mrn="H-2", family_name="Nakamura")
    )
    with pytest.raises(ValidationError):
        registry.report(acting_user=nurse, patient=other, event="admission", event_date=patient.program.today())
    client = page(privacy_officer)
    html = client.get(reverse("regulatory:registry-reports")).content.decode()
    assert patient.mrn in html and "Nakamura" in html and "No active consent" in html
    detail_url = reverse("regulatory:registry-report", args=[sent.pk])
    assert detail_url in html
    detail = client.get(detail_url).content.decode()
    assert REGISTRY in detail and "Accounting of disclosures entry" in detail and patient.given_name in detail
    assert patient.mrn in detail and "Date of birth" in detail
    north_officer = make_user("north-officer", north, Role.PRIVACY)
    north_client = page(north_officer)
    assert patient.mrn not in north_client.get(reverse("regulatory:registry-reports")).content.decode()
    assert north_client.get(detail_url).status_code == 404
    assert page(nurse).get(reverse("regulatory:registry-reports")).status_code == 403
