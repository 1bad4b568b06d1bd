"""Central-registry reports (42 CFR 2.34): refused without a consent naming the registry; limited to the
allowed fields; each one a disclosure in the accounting; sent through the configured adapter."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conftest import continuing_care_plan, naloxone_and_education
from waypoint.medication import services as medication
from waypoint.privacy import services as privacy
from waypoint.privacy.models import AuditEvent, Disclosure
from waypoint.regulatory import registry
from waypoint.regulatory.models import RegistryReport

from .conftest import REGISTRY


def registry_consent(nurse, patient, **changes):
    data = {
        "disclosing_party": "Harbor Recovery",
        "information": ["demographics", "moud"],
        "information_description": "Identification, medication and dose, dates of treatment events",
        "recipients": [REGISTRY],
        "purposes": ["other"],
        "purpose_description": registry.PURPOSE_DESCRIPTION,
        "expiry": "end_of_treatment",
        "signed_by": "Maria Rivera",
        "signed_on": patient.program.today(),
        "right_to_revoke_explained": True,
    }
    return privacy.record_consent(acting_user=nurse, patient=patient, **(data | changes))


@pytest.fixture
def order(prescriber, patient):
    return medication.order_medication(
        acting_user=prescriber,
        patient=patient,
        medication="methadone",
        dose=Decimal("30"),
        route="oral",
        times_per_day=1,
        start_at=timezone.now() - timedelta(hours=2),
    )


def test_refused_without_a_consent_naming_the_registry(double, named, nurse, patient, order):
    # A TPO consent with a general designation does not name the registry.
    privacy.record_consent(
        acting_user=nurse,
        patient=patient,
        disclosing_party="Harbor Recovery",
        information=["all_sud_records"],
        information_description="All",
        recipients=["My treating providers"],
        general_designation=True,
        purposes=["treatment", "payment", "health_care_operations"],
        expiry="none",
        signed_by="Maria Rivera",
        signed_on=patient.program.today(),
        right_to_revoke_explained=True,
    )
    with pytest.raises(ValidationError) as error:
        registry.report(acting_user=nurse, patient=patient, event="admission", event_date=patient.program.today())
    assert "No report to State Central Registry" in error.value.message_dict["consent"][0]
    assert double.sent == [] and not Disclosure.objects.exists() and not RegistryReport.objects.exists()
    assert AuditEvent.objects.filter(action="registry.report", outcome="denied").count() == 1


def test_refused_once_the_registry_consent_is_revoked(double, named, nurse, patient):
    consent = registry_consent(nurse, patient)
    privacy.revoke_consent(acting_user=nurse, consent=consent, revoked_on=patient.program.today(), note="letter")
    with pytest.raises(ValidationError):
        registry.report(acting_user=nurse, patient=patient, event="admission", event_date=patient.program.today())
    assert double.sent == []


def test_refused_when_the_program_names_no_registry(double, nurse, patient):
    registry_consent(nurse, patient)
    with pytest.raises(ValidationError) as error:
        registry.report(acting_user=nurse, patient=patient, event="admission", event_date=patient.program.today())
    assert "registry" in error.value.message_dict and double.sent == []


def test_a_report_carries_only_the_allowed_fields_and_is_in_the_accounting(double, named, nurse, patient, order):
    patient.address_line, patient.phone, patient.state = "12 Harbor St", "555-0100", "NY"
    patient.save()
    consent = registry_consent(nurse, patient)
    today = patient.program.today()
    row = registry.report(acting_user=nurse, patient=patient, event="dose_change", event_date=today, order=order)
    (sent,) = double.sent
    assert sent == {
        "given_name": "Maria",
        "family_name": "Rivera",
        "birth_date": "1988-04-12",
        "event": "dose_change",
        "event_date": today.isoformat(),
        "medication": order.get_medication_display(),
        "dose": "30",
        "unit": "mg",
    }
    assert set(sent) <= set(registry.ALLOWED_FIELDS)
    assert not any(secret in json.dumps(sent) for secret in (patient.mrn, "12 Harbor St", "555-0100"))
    disclosure = Disclosure.objects.get()
    assert row.disclosure == disclosure and disclosure.consent == consent and disclosure.recipient == REGISTRY
    assert disclosure.channel == "registry" and list(privacy.accounting(patient)) == [disclosure]
    assert row.reference == "memory-1" and row.payload == sent


def test_the_file_drop_writes_one_file_per_report(settings, tmp_path, named, nurse, patient):
    settings.REGULATORY_REGISTRY_ADAPTER = "waypoint.regulatory.registry.FileDropAdapter"
    settings.REGULATORY_REGISTRY_DIR = tmp_path
    registry_consent(nurse, patient)
    row = registry.report(acting_user=nurse, patient=patient, event="admission", event_date=patient.program.today())
    (written,) = tmp_path.iterdir()
    assert written.name == row.reference and json.loads(written.read_text()) == row.payload
    assert row.payload["medication"] == "" and row.payload["event"] == "admission"


def test_an_event_2_34_does_not_name_is_refused(double, named, nurse, patient):
    registry_consent(nurse, patient)
    with pytest.raises(ValidationError) as error:
        registry.report(acting_user=nurse, patient=patient, event="bogus", event_date=patient.program.today())
    assert "event" in error.value.message_dict
    assert double.sent == []


def admit_and_discharge(nurse, patient):
    from waypoint.patients import services as patients

    episode = patients.admit(
        acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(days=2), level_code="3.7-WM"
    )
    naloxone_and_education(patient, nurse, timezone.now() - timedelta(days=1))
    return patients.discharge(
        acting_user=nurse,
        episode=episode,
        discharged_at=timezone.now() - timedelta(hours=1),
        reason="completed",
        plan=continuing_care_plan(),
    )


def test_admission_and_end_of_treatment_are_reported_once_they_commit(
    double, named, nurse, patient, django_capture_on_commit_callbacks
):
    # A consent ending at "end of treatment" is no longer active once the discharge is saved: a date is needed.
    registry_consent(nurse, patient, expiry="date", expires_on=patient.program.today() + timedelta(days=365))
    with django_capture_on_commit_callbacks(execute=True):
        episode = admit_and_discharge(nurse, patient)
    assert [(sent["event"], sent["event_date"]) for sent in double.sent] == [
        ("admission", timezone.localtime(episode.admitted_at, patient.program.tz).date().isoformat()),
        ("end_of_treatment", timezone.localtime(episode.discharged_at, patient.program.tz).date().isoformat()),
    ]
    assert Disclosure.objects.filter(recipient=REGISTRY).count() == 2


def test_without_the_registry_consent_the_admission_goes_ahead_and_the_refusal_is_recorded(
    double, named, nurse, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        episode = admit_and_discharge(nurse, patient)
    assert episode.pk and double.sent == []
    assert AuditEvent.objects.filter(action="registry.report", outcome="denied").count() == 2


def test_a_program_naming_no_registry_reports_nothing(double, nurse, patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        admit_and_discharge(nurse, patient)
    assert double.sent == [] and not AuditEvent.objects.filter(action="registry.report").exists()
