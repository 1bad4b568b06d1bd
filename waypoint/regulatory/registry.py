"""Central-registry reports against multiple enrollment (42 CFR 2.34): under a consent naming the registry,
limited to identifying information, the medication and dose, and the dates of admission, dose changes,
interruption, resumption and end of treatment; each one a disclosure in the accounting.

The transport is an adapter (settings.REGULATORY_REGISTRY_ADAPTER): a file drop (one JSON file per report in a
directory the state's interface picks up) and an in-memory test double here; a real state interface later."""

import contextlib
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from waypoint.audit import trail as audit
from waypoint.audit.models import AuditEvent
from waypoint.privacy import services as privacy
from waypoint.privacy.models import InformationKind, Purpose

from . import settings as policy
from .models import RegistryReport

# Every field a report may carry; nothing else leaves the program (no MRN, address, diagnosis or history).
ALLOWED_FIELDS = ("given_name", "family_name", "birth_date", "event", "event_date", "medication", "dose", "unit")
PURPOSE_DESCRIPTION = "Prevent multiple enrollment (central registry, 42 CFR 2.34)"
INFORMATION = [InformationKind.DEMOGRAPHICS.value, InformationKind.MEDICATION.value]


class FileDropAdapter:
    """One JSON file per report in settings.REGULATORY_REGISTRY_DIR."""

    name = "file drop"

    def send(self, report: RegistryReport) -> str:
        directory = Path(settings.REGULATORY_REGISTRY_DIR)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = directory / f"registry-{report.program_id}-{report.pk}.json"
        path.write_text(json.dumps(report.payload, sort_keys=True))
        return path.name


class MemoryAdapter:
    """The test double: keeps what it was sent."""

    name = "test double"
    sent: list[dict] = []

    def send(self, report: RegistryReport) -> str:
        MemoryAdapter.sent.append(dict(report.payload))
        return f"memory-{len(MemoryAdapter.sent)}"


def adapter():
    return import_string(settings.REGULATORY_REGISTRY_ADAPTER)()


def payload(patient, event: str, event_date: date, order=None) -> dict:
    body = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "birth_date": patient.birth_date.isoformat(),
        "event": event,
        "event_date": event_date.isoformat(),
        "medication": order.get_medication_display() if order is not None else "",
        "dose": f"{Decimal(order.dose).normalize():f}" if order is not None else "",
        "unit": order.unit if order is not None else "",
    }
    if not set(body) <= set(ALLOWED_FIELDS):
        raise RuntimeError("A central-registry report carries only the fields 42 CFR 2.34 allows.")
    return body


def report(*, acting_user, patient, event: str, event_date: date, order=None) -> RegistryReport:
    """Send one report to the program's central registry, only under an active consent naming it; a refusal is
    recorded (outcome denied, with why)."""
    registry = policy.uncached(policy.CENTRAL_REGISTRY, patient.program).strip()
    errors = {}
    if not registry:
        errors["registry"] = "The program names no central registry (program setting “central registry”)."
    if event not in RegistryReport.Event.values:
        errors["event"] = f"Choose one of: {', '.join(RegistryReport.Event.labels)}."
    if order is not None and order.patient_id != patient.pk:
        errors["order"] = "The medication order is another patient's."
    if errors:
        raise ValidationError(errors)
    try:
        privacy.covering_consent(patient, registry, Purpose.OTHER, set(INFORMATION))
    except ValidationError as error:
        why = error.message_dict["consent"][0]
        audit.record(
            acting_user,
            "registry.report",
            patient=patient,
            outcome=AuditEvent.Outcome.DENIED,
            detail={"registry": registry, "event": event, "why": why},
        )
        raise ValidationError({"consent": f"No report to {registry}: {why}"}) from error
    return _send(acting_user, patient, registry, event, event_date, order)


@transaction.atomic
def _send(acting_user, patient, registry, event, event_date, order) -> RegistryReport:
    disclosure = privacy.disclose(
        acting_user=acting_user,
        patient=patient,
        recipient=registry,
        purpose=Purpose.OTHER,
        information=INFORMATION,
        channel="registry",
    )
    transport = adapter()
    row = RegistryReport.objects.create(
        program_id=patient.program_id,
        patient=patient,
        disclosure=disclosure,
        registry=registry,
        event=event,
        event_date=event_date,
        payload=payload(patient, event, event_date, order),
        adapter=transport.name,
    )
    row.reference = transport.send(row)
    RegistryReport.objects.filter(pk=row.pk).update(reference=row.reference)
    audit.record(
        acting_user,
        "registry.report",
        patient=patient,
        obj=row,
        detail={"registry": registry, "event": event, "disclosure": disclosure.pk},
    )
    return row


def on_episode(acting_user, episode, event: str) -> None:
    """Registered in patients.services.EPISODE_HOOKS: once an admission or a discharge commits, report it to the
    program's central registry if the program names one. Without a consent naming the registry nothing is sent;
    the refusal is in the audit trail (the admission or discharge itself is never held up)."""
    patient = episode.patient
    if not policy.uncached(policy.CENTRAL_REGISTRY, patient.program).strip():
        return
    at = episode.discharged_at if event == RegistryReport.Event.END else episode.admitted_at
    day = timezone.localtime(at, patient.program.tz).date()

    def send():
        with contextlib.suppress(ValidationError):  # a refusal is recorded as a denied registry.report event
            report(acting_user=acting_user, patient=patient, event=event, event_date=day)

    transaction.on_commit(send)
