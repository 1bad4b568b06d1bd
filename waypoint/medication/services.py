"""Every change to MOUD orders and the administration record: one function each, atomic, with its audit event
and timeline line. Errors are ValidationErrors keyed by field (`medication`, `dose`, `unit`, `route`,
`frequency`, `phase`, `start_at`, `stop_at`, `order`, `status`, `at`, `reason`)."""

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from waypoint.accounts.roles import MOUD_ADMINISTER, MOUD_ORDER
from waypoint.patients.access import require
from waypoint.patients.models import Episode, Patient, TimelineEntry
from waypoint.patients.services import CLOCK_SKEW
from waypoint.privacy import audit

from . import catalog
from . import settings as ceilings
from .models import Administration, MedicationOrder, Phase

DAY = timedelta(hours=24)


def _timeline(patient, kind, summary, *, at, by, episode=None) -> None:
    TimelineEntry.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode,
        occurred_at=at,
        kind=kind,
        summary=summary[:300],
        recorded_by=by,
    )


def _episode_at(patient: Patient, at: datetime) -> Episode | None:
    return (
        Episode.objects.filter(patient=patient, admitted_at__lte=at)
        .exclude(discharged_at__lt=at)
        .order_by("-admitted_at")
        .first()
    )


def _local(at: datetime) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}"


def _dose(value, errors: dict, field: str = "dose") -> Decimal | None:
    try:
        dose = Decimal(str(value)) if value is not None and not isinstance(value, bool) else None
    except (InvalidOperation, ValueError):
        dose = None
    if dose is None or not dose.is_finite() or dose <= 0 or dose.as_tuple().exponent < -2 or dose >= 100000:
        errors[field] = "Give the dose as a number more than 0 (at most two decimals)."
        return None
    return dose


def _above_ceiling(program, medication: str, dose: Decimal) -> str | None:
    limit = ceilings.ceiling(ceilings.MAX_DOSE, program, medication)
    if limit is not None and dose > limit:
        setting = ceilings.MAX_DOSE[medication]
        return (
            f"{catalog.dose_text(dose)} mg is above the program's single-dose ceiling for "
            f"{catalog.MEDICATIONS[medication].name.lower()} ({setting.describe(catalog.dose_text(limit))} mg)."
        )
    return None


# --- orders ------------------------------------------------------------------------------------------------


@transaction.atomic
def order_medication(
    *,
    acting_user,
    patient: Patient,
    medication: str,
    dose,
    route: str,
    frequency: str,
    start_at: datetime,
    unit: str = "mg",
    stop_at: datetime | None = None,
    phase: str = Phase.MAINTENANCE,
    instructions: str = "",
) -> MedicationOrder:
    """A prescriber orders a MOUD medication. Refused: another order of the same medication overlapping it,
    a dose above the program's single-dose ceiling, a route or unit the medication is not given by."""
    require(acting_user, patient.program_id, MOUD_ORDER)
    errors: dict[str, str] = {}
    definition = catalog.MEDICATIONS.get(medication)
    if definition is None:
        errors["medication"] = f"Choose one of: {', '.join(catalog.MEDICATIONS)}."
    amount = _dose(dose, errors)
    if definition is not None:
        if unit not in definition.units:
            errors["unit"] = f"{definition.name} is ordered in {', '.join(definition.units)}."
        if route not in definition.routes:
            errors["route"] = (
                f"{definition.name} is given by: "
                f"{', '.join(catalog.ROUTE_NAMES[r].lower() for r in definition.routes)}."
            )
        if phase not in Phase.values:
            errors["phase"] = f"Choose one of: {', '.join(Phase.values)}."
        elif phase == Phase.INDUCTION and not definition.induction:
            errors["phase"] = f"{definition.name} has no induction phase here."
        if amount is not None and "dose" not in errors:
            above = _above_ceiling(patient.program, medication, amount)
            if above:
                errors["dose"] = above
    if not (frequency or "").strip():
        errors["frequency"] = "Give the frequency (e.g. once daily, every 2 hours as needed)."
    if stop_at is not None and stop_at <= start_at:
        errors["stop_at"] = "The stop must be after the start."
    if errors:
        raise ValidationError(errors)
    # sanctioned (not visible_patients): locks the row of a patient the caller found
    Patient.objects.select_for_update().filter(pk=patient.pk).first()  # serialises overlapping orders
    overlapping = MedicationOrder.objects.filter(
        Q(stop_at__isnull=True) | Q(stop_at__gt=start_at), patient=patient, medication=medication
    )
    if stop_at is not None:
        overlapping = overlapping.filter(start_at__lt=stop_at)
    clash = overlapping.order_by("start_at").first()
    if clash is not None:
        raise ValidationError(
            {
                "medication": f"An order of {definition.name.lower()} from {_local(clash.start_at)} "
                f"({clash.label}) overlaps this one: stop it first."
            }
        )
    order = MedicationOrder.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=_episode_at(patient, start_at),
        medication=medication,
        dose=amount,
        unit=unit,
        route=route,
        frequency=frequency.strip(),
        phase=phase,
        instructions=instructions,
        start_at=start_at,
        stop_at=stop_at,
        prescriber=acting_user,
    )
    phase_name = order.get_phase_display().lower()
    _timeline(
        patient,
        "medication.order",
        f"MOUD ordered: {order.label}, {order.frequency} ({phase_name})",
        at=start_at,
        by=acting_user,
        episode=order.episode,
    )
    audit.record(
        acting_user,
        "medication.order.create",
        patient=patient,
        obj=order,
        detail={"medication": medication, "dose": str(amount), "phase": phase},
    )
    return order


@transaction.atomic
def stop_order(*, acting_user, order: MedicationOrder, stop_at: datetime, reason: str) -> MedicationOrder:
    """A prescriber stops an order. Refused: a stop before the start, after an existing stop, or before a dose
    already recorded against the order."""
    require(acting_user, order.program_id, MOUD_ORDER)
    order = MedicationOrder.objects.select_for_update().select_related("patient").get(pk=order.pk)
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = "Say why the order stops."
    if stop_at <= order.start_at:
        errors["stop_at"] = f"The stop must be after the start ({_local(order.start_at)})."
    elif order.stop_at is not None and order.stop_at <= stop_at:
        errors["stop_at"] = f"This order already stopped at {_local(order.stop_at)}."
    else:
        later = order.administrations.in_force().filter(at__gte=stop_at).order_by("at").first()
        if later is not None:
            errors["stop_at"] = f"A dose record at {_local(later.at)} comes after this stop."
    if errors:
        raise ValidationError(errors)
    order.stop_at, order.stop_reason, order.stopped_by = stop_at, reason.strip(), acting_user
    order.updated_at = timezone.now()
    order.save(update_fields=["stop_at", "stop_reason", "stopped_by", "updated_at"])
    _timeline(
        order.patient,
        "medication.stop",
        f"MOUD stopped: {order.label} ({order.stop_reason})",
        at=stop_at,
        by=acting_user,
        episode=order.episode,
    )
    audit.record(acting_user, "medication.order.stop", patient=order.patient, obj=order)
    return order


# --- administrations ---------------------------------------------------------------------------------------


def given_in_24h(order: MedicationOrder, at: datetime) -> Decimal:
    """Milligrams of the order's medication recorded as given to the patient in the 24 hours up to `at`."""
    total = (
        Administration.objects.in_force()
        .filter(
            patient_id=order.patient_id,
            order__medication=order.medication,
            status=Administration.Status.GIVEN,
            at__gt=at - DAY,
            at__lte=at,
        )
        .aggregate(total=Sum("dose"))["total"]
    )
    return total or Decimal(0)


@transaction.atomic
def record_administration(
    *,
    acting_user,
    patient: Patient,
    order: MedicationOrder | None,
    status: str,
    at: datetime,
    dose=None,
    reason: str = "",
    note: str = "",
) -> Administration:
    """Record a dose given (with the dose), held (with the reason), refused or missed, against an order active
    at that time. Refused: no such order; a given dose above the ordered dose or the program's ceilings."""
    require(acting_user, patient.program_id, MOUD_ADMINISTER)
    errors: dict[str, str] = {}
    if status not in Administration.Status.values:
        errors["status"] = f"Choose one of: {', '.join(Administration.Status.values)}."
    if at > timezone.now() + CLOCK_SKEW:
        errors["at"] = "This time is in the future."
    if order is None:
        errors["order"] = (
            "There is no active MOUD order to record this against: a prescriber must order the medication first."
        )
    elif order.patient_id != patient.pk:
        errors["order"] = "This order belongs to another patient."
    else:
        order = MedicationOrder.objects.select_for_update().get(pk=order.pk)  # serialises the daily totals
        if not order.is_active(at):
            when = (
                f"it starts at {_local(order.start_at)}"
                if at < order.start_at
                else f"it stopped at {_local(order.stop_at)}"
            )
            errors["order"] = (
                f"No active order at {_local(at)}: {order.label} is not in force then ({when}). "
                "A dose needs an active order."
            )
    amount = None
    if status == Administration.Status.GIVEN:
        if dose is None or dose == "":
            errors["dose"] = "Give the dose given."
        else:
            amount = _dose(dose, errors)
        if amount is not None and "order" not in errors and order is not None:
            if amount > order.dose:
                errors["dose"] = (
                    f"{catalog.dose_text(amount)} {order.unit} is more than the ordered "
                    f"{catalog.dose_text(order.dose)} {order.unit}."
                )
            else:
                above = _above_ceiling(patient.program, order.medication, amount)
                limit = ceilings.ceiling(ceilings.MAX_DAILY, patient.program, order.medication)
                if above:
                    errors["dose"] = above
                elif limit is not None and given_in_24h(order, at) + amount > limit:
                    already = given_in_24h(order, at)
                    errors["dose"] = (
                        f"{catalog.dose_text(amount)} mg would bring the 24-hour total to "
                        f"{catalog.dose_text(already + amount)} mg, above the program's daily ceiling for "
                        f"{catalog.MEDICATIONS[order.medication].name.lower()} "
                        f"({ceilings.MAX_DAILY[order.medication].describe(catalog.dose_text(limit))} mg)."
                    )
    elif status in Administration.Status.values:
        if dose not in (None, ""):
            errors["dose"] = "A dose is recorded only when the medication was given."
        if status == Administration.Status.HELD and not (reason or "").strip():
            errors["reason"] = "Say why the dose was held."
    if errors:
        raise ValidationError(errors)
    record = Administration.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=_episode_at(patient, at),
        order=order,
        status=status,
        dose=amount,
        unit=order.unit,
        at=at,
        reason=(reason or "").strip(),
        note=note,
        given_by=acting_user,
    )
    summary = {
        "given": f"MOUD given: {record.label}",
        "held": f"MOUD held: {order.label} ({record.reason})",
        "refused": f"MOUD refused by the patient: {order.label}",
        "missed": f"MOUD dose missed: {order.label}",
    }[status]
    _timeline(patient, f"medication.{status}", summary, at=at, by=acting_user, episode=record.episode)
    audit.record(
        acting_user,
        f"medication.administration.{status}",
        patient=patient,
        obj=record,
        detail={"order": order.pk, "dose": str(amount) if amount is not None else None},
    )
    return record


@transaction.atomic
def mark_administration_in_error(*, acting_user, administration: Administration, reason: str) -> Administration:
    """A dose record made by mistake (wrong patient, wrong time) stays, marked entered-in-error with the reason;
    it no longer counts as a dose anywhere (board, daily ceiling, induction table)."""
    require(acting_user, administration.program_id, MOUD_ADMINISTER)
    record = Administration.objects.select_for_update().select_related("patient", "order").get(pk=administration.pk)
    if record.entered_in_error_at is not None:
        raise ValidationError({"reason": "This dose record is already marked entered in error."})
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why this dose record is in error."})
    record.entered_in_error_at, record.entered_in_error_by, record.error_reason = (
        timezone.now(),
        acting_user,
        reason.strip(),
    )
    record.save(update_fields=["entered_in_error_at", "entered_in_error_by", "error_reason"])
    _timeline(
        record.patient,
        "medication.error",
        f"Dose record entered in error: {record.get_status_display()} "
        f"{record.label} at {_local(record.at)} ({record.error_reason})",
        at=record.entered_in_error_at,
        by=acting_user,
        episode=record.episode,
    )
    audit.record(acting_user, "medication.administration.entered_in_error", patient=record.patient, obj=record)
    return record


def active_orders(patient: Patient, at: datetime | None = None):
    return MedicationOrder.objects.filter(patient=patient).active_at(at or timezone.now())
