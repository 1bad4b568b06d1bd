"""Central-registry reports against multiple enrollment (42 CFR 2.34): under a consent naming the registry,
limited to identifying information, the medication and dose, and the dates of admission, dose changes,
interruption, resumption and end of treatment; each one a disclosure in the accounting.

The transport is an adapter (settings.REGULATORY_REGISTRY_ADAPTER): a file drop (one JSON file per report in a
directory the state's interface picks up) and an in-memory test double here; a real state interface later."""

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from waypoint.accounts.roles import EPISODE_MANAGE
from waypoint.audit import trail as audit
from waypoint.audit.models import AuditEvent
from waypoint.patients.access import require
from waypoint.patients.models import Episode
from waypoint.patients.recording import write_timeline
from waypoint.privacy import services as privacy
from waypoint.privacy.models import InformationKind, Purpose

from . import settings as policy
from .models import DualEnrollment, RegistryReport

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


# The events reported as they happen. Each hook sends its report once the change that caused it commits; without a
# consent naming the registry nothing is sent and the refusal is in the audit trail (and on the privacy officer's
# registry page); the admission, order or hold itself is never held up.


def _names_registry(program) -> bool:
    return bool(str(policy.uncached(policy.CENTRAL_REGISTRY, program)).strip())


def _after_commit(acting_user, patient, event: str, at: datetime, order=None) -> None:
    day = timezone.localtime(at, patient.program.tz).date()  # the event's program day

    def send():
        try:
            report(acting_user=acting_user, patient=patient, event=event, event_date=day, order=order)
        except ValidationError:
            pass  # recorded as a denied registry.report event by report()
        except PermissionDenied as error:
            with transaction.atomic():
                audit.record(
                    acting_user,
                    "registry.report",
                    patient=patient,
                    outcome=AuditEvent.Outcome.DENIED,
                    detail={"event": event, "why": str(error)[:300]},
                )

    transaction.on_commit(send)


def on_episode(acting_user, episode, event: str) -> None:
    """Registered in patients.services.EPISODE_HOOKS: admissions and discharges (end of treatment)."""
    patient = episode.patient
    if not _names_registry(patient.program):
        return
    at = episode.discharged_at if event == RegistryReport.Event.END else episode.admitted_at
    _after_commit(acting_user, patient, event, at)


def on_order(acting_user, order) -> None:
    """Registered in medication.services.ORDER_HOOKS: a dose change is a new opioid-agonist order (methadone,
    buprenorphine) whose medication or dose differs from the patient's previous agonist order, the first one
    included (it sets the dose the registry holds). Its medication and dose are reported."""
    from waypoint.medication.catalog import AGONISTS
    from waypoint.medication.models import MedicationOrder

    patient = order.patient
    if order.medication not in AGONISTS or not _names_registry(patient.program):
        return
    previous = (
        MedicationOrder.objects.filter(patient=patient, medication__in=AGONISTS, start_at__lte=order.start_at)
        .exclude(pk=order.pk)
        .order_by("-start_at", "-pk")
        .first()
    )
    if previous is not None and (previous.medication, previous.dose) == (order.medication, order.dose):
        return
    _after_commit(acting_user, patient, RegistryReport.Event.DOSE_CHANGE, order.start_at, order)


def _agonist_order(patient, at: datetime):
    from waypoint.medication.catalog import AGONISTS
    from waypoint.medication.services import active_orders

    return active_orders(patient, at).filter(medication__in=AGONISTS).order_by("-start_at").first()


def on_hold_saved(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    """Connected to the dosing window's holds (dispensing.Hold, post_save): an interruption of treatment is the
    first hold placed on the patient's doses (clinical, administrative or missed-dose); the resumption is the lift
    of the last hold in force. A hold placed beside another, or lifted while another stays, changes nothing."""
    hold = instance
    placed = created and hold.lifted_at is None
    lifted = not created and hold.lifted_at is not None and "lifted_at" in (update_fields or ())
    if not (placed or lifted) or not _names_registry(hold.patient.program):
        return
    if type(hold).objects.filter(patient_id=hold.patient_id, lifted_at__isnull=True).exclude(pk=hold.pk).exists():
        return
    if placed:
        event, at, by = RegistryReport.Event.INTERRUPTION, hold.set_at, hold.set_by
    else:
        event, at, by = RegistryReport.Event.RESUMPTION, hold.lifted_at, hold.lifted_by
    _after_commit(by, hold.patient, event, at, _agonist_order(hold.patient, at))


# For the privacy officer: the reports sent and the reports refused.


@dataclass
class Refusal:
    at: datetime
    patient_id: int | None
    event: str
    registry: str
    why: str


def refusals(program, *, limit: int = 200) -> list[Refusal]:
    """Reports not sent (no consent naming the registry, no registry named...), from the audit trail."""
    labels = dict(RegistryReport.Event.choices)
    events = AuditEvent.objects.filter(
        program_id=program.pk, action="registry.report", outcome=AuditEvent.Outcome.DENIED
    ).order_by("-at")[:limit]
    return [
        Refusal(
            at=e.at,
            patient_id=e.patient_id,
            event=str(labels.get(e.detail.get("event", ""), e.detail.get("event", ""))),
            registry=e.detail.get("registry", ""),
            why=e.detail.get("why", ""),
        )
        for e in events
    ]


# The dual-enrollment answer recorded at admission.


@transaction.atomic
def record_dual_enrollment(
    *, acting_user, patient, answer: str, other_program: str = "", note: str = ""
) -> DualEnrollment:
    """Whether the patient is enrolled in another opioid treatment program, asked at admission: one answer per
    episode of care, for the patient's open episode."""
    require(acting_user, patient.program_id, EPISODE_MANAGE)
    episode = Episode.objects.filter(patient=patient, discharged_at__isnull=True).order_by("-admitted_at").first()
    errors = {}
    if episode is None:
        errors["answer"] = "The patient is not admitted: the answer is recorded at admission."
    elif DualEnrollment.objects.filter(episode=episode).exists():
        errors["answer"] = "The answer for this admission is already recorded."
    elif answer not in DualEnrollment.Answer.values:
        errors["answer"] = "Choose the patient's answer."
    elif answer == DualEnrollment.Answer.ENROLLED and not other_program.strip():
        errors["other_program"] = "Name the other program the patient is enrolled in."
    if errors:
        raise ValidationError(errors)
    assert episode is not None  # refused above otherwise
    row = DualEnrollment.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode,
        answer=answer,
        other_program=other_program.strip() if answer == DualEnrollment.Answer.ENROLLED else "",
        note=note.strip(),
        recorded_by=acting_user,
    )
    write_timeline(
        patient,
        "regulatory.dual_enrollment",
        f"Other opioid treatment program: {row.get_answer_display()}"
        + (f" ({row.other_program})" if row.other_program else ""),
        at=row.recorded_at,
        by=acting_user,
        episode=episode,
    )
    audit.record(acting_user, "dual_enrollment.record", patient=patient, obj=row, detail={"answer": answer})
    return row


def dual_enrollment(patient) -> tuple[object | None, DualEnrollment | None]:
    """The patient's open episode and its dual-enrollment answer (None: not admitted, or not recorded)."""
    episode = Episode.objects.filter(patient=patient, discharged_at__isnull=True).order_by("-admitted_at").first()
    if episode is None:
        return None, None
    return episode, DualEnrollment.objects.filter(episode=episode).first()
