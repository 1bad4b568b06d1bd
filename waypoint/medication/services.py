"""Every change to MOUD orders and the administration record: one function each, atomic, with its audit event
and timeline line. Errors are ValidationErrors keyed by field (`medication`, `dose`, `unit`, `route`,
`times_per_day`, `min_interval_hours`, `frequency`, `agonist_override_reason`, `phase`, `start_at`, `stop_at`,
`order`, `status`, `at`, `reason`, `cows_override_reason`)."""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from waypoint.accounts.models import Program, User
from waypoint.accounts.roles import MOUD_ADMINISTER, MOUD_ORDER
from waypoint.audit import trail as audit
from waypoint.audit.models import AuditEvent
from waypoint.patients.access import require
from waypoint.patients.models import Patient
from waypoint.patients.recording import episode_at, write_timeline
from waypoint.patients.records import mark_entered_in_error
from waypoint.patients.services import CLOCK_SKEW

from . import catalog
from . import settings as ceilings
from .induction import InductionCheck, needs_cows
from .induction import check as induction_check
from .models import Administration, MedicationOrder, Phase

DAY = timedelta(hours=24)

# Checks other areas add to a new MOUD order, by name, in their AppConfig.ready (regulatory: "pdmp", the program's
# PDMP rule): `check(patient, medication, start_at, errors)` adds a refusal to `errors` or returns a flag recorded
# with the order ("" for none). The medication app depends on none of them.
ORDER_CHECKS: dict[str, Callable[[Patient, str, datetime, dict[str, str]], str]] = {}
# What other areas do once a new MOUD order is written, in its transaction: `hook(acting_user, order)` (regulatory:
# the central-registry report of a dose change, sent once the order commits).
ORDER_HOOKS: list[Callable[[User, MedicationOrder], None]] = []


def _local(at: datetime) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}"


def _dose(value: object, errors: dict[str, str], field: str = "dose") -> Decimal | None:
    try:
        dose = Decimal(str(value)) if value is not None and not isinstance(value, bool) else None
    except (InvalidOperation, ValueError):
        dose = None
    # a finite Decimal (checked first) has a numeric exponent, never the "n", "N" or "F" of NaN and infinity
    if dose is None or not dose.is_finite() or dose <= 0 or cast(int, dose.as_tuple().exponent) < -2 or dose >= 100000:
        errors[field] = "Give the dose as a number more than 0 (at most two decimals)."
        return None
    return dose


def _above_ceiling(program: Program, medication: str, dose: Decimal) -> str | None:
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
    acting_user: User,
    patient: Patient,
    medication: str,
    dose: object,
    route: str,
    start_at: datetime,
    times_per_day: object = None,
    min_interval_hours: object = None,
    frequency: str = "",
    unit: str = "mg",
    stop_at: datetime | None = None,
    phase: str = Phase.MAINTENANCE,
    instructions: str = "",
    agonist_override_reason: str = "",
) -> MedicationOrder:
    """A prescriber orders a MOUD medication: dose, route, how many doses a day and how far apart (the free-text
    frequency is only an added instruction). Refused: another order of the same medication overlapping it, a dose
    above the program's single-dose ceiling, a route or unit the medication is not given by, and a second opioid
    agonist (methadone beside buprenorphine) overlapping it unless the prescriber gives the reason for both."""
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
    times, interval = _schedule(times_per_day, min_interval_hours, errors)
    # other areas' checks of a new order (regulatory: the program's PDMP rule), each adding an error or a flag
    flags = {
        name: flag for name, check in ORDER_CHECKS.items() if (flag := check(patient, medication, start_at, errors))
    }
    if stop_at is not None and stop_at <= start_at:
        errors["stop_at"] = "The stop must be after the start."
    if errors:
        raise ValidationError(errors)
    assert definition is not None and amount is not None  # refused above otherwise
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
    other_agonist = _other_agonist(patient, medication, start_at, stop_at)
    override = (agonist_override_reason or "").strip()
    if other_agonist is not None and not override:
        raise ValidationError(
            {
                "agonist_override_reason": f"{patient} already has an active opioid-agonist order: "
                f"{other_agonist.label}, {other_agonist.schedule} (from {_local(other_agonist.start_at)}). "
                "Two opioid agonists together need a prescriber's override: give the reason, or stop the other "
                "order first."
            }
        )
    order = MedicationOrder.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode_at(patient, start_at),
        medication=medication,
        dose=amount,
        unit=unit,
        route=route,
        times_per_day=times,
        min_interval_minutes=interval,
        frequency=(frequency or "").strip(),
        agonist_override_reason=override if other_agonist is not None else "",
        phase=phase,
        instructions=instructions,
        start_at=start_at,
        stop_at=stop_at,
        prescriber=acting_user,
    )
    phase_name = order.get_phase_display().lower()
    write_timeline(
        patient,
        "medication.order",
        f"MOUD ordered: {order.label}, {order.schedule} ({phase_name})"
        + (f"; second opioid agonist beside {other_agonist.label}: {override}" if other_agonist else "")
        + "".join(f"; flagged: {flag}" for flag in flags.values()),
        at=start_at,
        by=acting_user,
        episode=order.episode,
    )
    audit.record(
        acting_user,
        "medication.order.create",
        patient=patient,
        obj=order,
        detail={"medication": medication, "dose": str(amount), "phase": phase}
        | ({"agonist_override": {"beside": other_agonist.pk, "reason": override}} if other_agonist else {})
        | flags,
    )
    for hook in ORDER_HOOKS:
        hook(acting_user, order)
    return order


def _schedule(times_per_day: Any, min_interval_hours: object, errors: dict[str, str]) -> tuple[int | None, int | None]:
    """Doses per day (1-24) and the minimum interval in minutes (optional; it must fit that many doses in a day)."""
    times = None
    if isinstance(times_per_day, bool) or times_per_day in (None, ""):
        errors["times_per_day"] = "Give how many doses a day at most (1 for once daily)."
    else:
        try:
            times = int(times_per_day)
        except (TypeError, ValueError):
            times = None
        if times is None or not 1 <= times <= 24 or str(times) != str(times_per_day).strip():
            errors["times_per_day"] = "Give how many doses a day at most, as a whole number from 1 to 24."
            times = None
    minutes = None
    if min_interval_hours not in (None, ""):
        try:
            hours = Decimal(str(min_interval_hours))
        except (InvalidOperation, ValueError):
            hours = None
        if isinstance(min_interval_hours, bool) or hours is None or not hours.is_finite() or not 0 < hours <= 24:
            errors["min_interval_hours"] = "Give the least time between two doses in hours, more than 0 and at most 24."
        else:
            minutes = int(hours * 60)
            if times is not None and times > 1 and (times - 1) * minutes >= 24 * 60:
                errors["min_interval_hours"] = (
                    f"{times} doses at least {catalog.interval_text(minutes)} apart do not fit in one day."
                )
    return times, minutes


def _other_agonist(
    patient: Patient, medication: str, start_at: datetime, stop_at: datetime | None
) -> MedicationOrder | None:
    """Another opioid-agonist order of the patient in force at some time of the new order, if any."""
    if medication not in catalog.AGONISTS:
        return None
    found = MedicationOrder.objects.filter(
        Q(stop_at__isnull=True) | Q(stop_at__gt=start_at), patient=patient, medication__in=catalog.AGONISTS
    ).exclude(medication=medication)
    if stop_at is not None:
        found = found.filter(start_at__lt=stop_at)
    return found.order_by("start_at").first()


@transaction.atomic
def stop_order(*, acting_user: User, order: MedicationOrder, stop_at: datetime, reason: str) -> MedicationOrder:
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
        # the stubs type a related manager from the model's declared manager, not the program-scoped one built at
        # run time (accounts/scoping.py), so they do not see the queryset's in_force()
        later = order.administrations.in_force().filter(at__gte=stop_at).order_by("at").first()  # type: ignore[attr-defined]
        if later is not None:
            errors["stop_at"] = f"A dose record at {_local(later.at)} comes after this stop."
    if errors:
        raise ValidationError(errors)
    order.stop_at, order.stop_reason, order.stopped_by = stop_at, reason.strip(), acting_user
    order.updated_at = timezone.now()
    order.save(update_fields=["stop_at", "stop_reason", "stopped_by", "updated_at"])
    write_timeline(
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


def _program_day(program: Program, at: datetime) -> tuple[datetime, datetime]:
    """The program's calendar day (in its time zone) that `at` falls in, as [start, end)."""
    zone = ZoneInfo(program.time_zone)
    start = at.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=1, hours=2)).replace(hour=0)  # the next midnight, whatever the clock change
    return start, end


def _against_frequency(order: MedicationOrder, at: datetime) -> str | None:
    """Why a dose given at `at` breaks the order's frequency: more doses in the program day than ordered, or
    closer to another given dose of the order than its minimum interval. None when it fits."""
    # in_force(): see stop_order
    given = order.administrations.in_force().filter(status=Administration.Status.GIVEN)  # type: ignore[attr-defined]
    if order.min_interval_minutes:
        apart = timedelta(minutes=order.min_interval_minutes)
        near = given.filter(at__gt=at - apart, at__lt=at + apart).order_by("at").first()
        if near is not None:
            return (
                f"Too soon: {order.label} is ordered {order.schedule}, and a dose was given at {_local(near.at)}. "
                f"The next dose may be given from {_local(near.at + apart)}."
            )
    if order.times_per_day:
        start, end = _program_day(order.program, at)
        that_day = list(given.filter(at__gte=start, at__lt=end).order_by("at").values_list("at", flat=True))
        if len(that_day) >= order.times_per_day:
            times = ", ".join(f"{t.astimezone(start.tzinfo):%H:%M}" for t in that_day)
            return (
                f"Too many doses: {order.label} is ordered {order.schedule}, and {len(that_day)} "
                f"{'dose was' if len(that_day) == 1 else 'doses were'} already given on {start:%Y-%m-%d} ({times}). "
                "A further dose needs a new order from the prescriber."
            )
    return None


def record_administration(
    *,
    acting_user: User,
    patient: Patient,
    order: MedicationOrder | None,
    status: str,
    at: datetime,
    dose: object = None,
    reason: str = "",
    note: str = "",
    cows_override_reason: str = "",
) -> Administration:
    """Record a dose given (with the dose), held (with the reason), refused or missed, against an order active
    at that time. Refused: no such order; a given dose above the ordered dose or the program's ceilings; a dose
    more often than the order's frequency; a buprenorphine induction dose without a recent COWS at or above the
    program's threshold, unless `cows_override_reason` says why it is given anyway. A refusal saves nothing and is
    audited (`medication.administration.denied`, with the rules that refused it)."""
    require(acting_user, patient.program_id, MOUD_ADMINISTER)
    try:
        return _record_administration(
            acting_user=acting_user, patient=patient, order=order, status=status, at=at, dose=dose, reason=reason,
            note=note, cows_override_reason=cows_override_reason,
        )  # fmt: skip
    except ValidationError as error:
        audit.record(
            acting_user,
            "medication.administration.denied",
            patient=patient,
            outcome=AuditEvent.Outcome.DENIED,
            detail={"order": getattr(order, "pk", None), "status": status, "rules": sorted(error.message_dict)},
        )
        raise


@transaction.atomic
def _record_administration(
    *,
    acting_user: User,
    patient: Patient,
    order: MedicationOrder | None,
    status: str,
    at: datetime,
    dose: object,
    reason: str,
    note: str,
    cows_override_reason: str,
) -> Administration:
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
                else f"it stopped at {_local(cast(datetime, order.stop_at))}"  # not in force after its start: stopped
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
                too_soon = _against_frequency(order, at)
                if above:
                    errors["dose"] = above
                elif too_soon:
                    errors["at"] = too_soon
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
    override = (cows_override_reason or "").strip()
    cows = None
    if status == Administration.Status.GIVEN and "order" not in errors and order is not None and needs_cows(order):
        cows = induction_check(patient, at)
        problem = cows.problem(at)
        if not problem:
            override = ""
        elif not override:
            errors["cows_override_reason"] = (
                f"{problem} An induction dose needs a recent COWS at or above the threshold: score COWS first, "
                "or give the reason this dose is given anyway."
            )
    else:
        override = ""
    if errors:
        raise ValidationError(errors)
    assert order is not None  # refused above otherwise
    record = Administration.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode_at(patient, at),
        order=order,
        status=status,
        dose=amount,
        unit=order.unit,
        at=at,
        reason=(reason or "").strip(),
        note=note,
        cows_override_reason=override,
        recorded_by=acting_user,
    )
    summary = {
        "given": f"MOUD given: {record.label}" + (f" (without a qualifying COWS: {override})" if override else ""),
        "held": f"MOUD held: {order.label} ({record.reason})",
        "refused": f"MOUD refused by the patient: {order.label}",
        "missed": f"MOUD dose missed: {order.label}",
    }[status]
    write_timeline(patient, f"medication.{status}", summary, at=at, by=acting_user, episode=record.episode)
    audit.record(
        acting_user,
        f"medication.administration.{status}",
        patient=patient,
        obj=record,
        detail={"order": order.pk, "dose": str(amount) if amount is not None else None}
        | (_cows_detail(cows, override) if cows is not None else {}),
    )
    return record


def _cows_detail(cows: InductionCheck, override: str) -> dict[str, Any]:
    latest = cows.latest
    return {
        "cows": {"id": latest.pk, "total": latest.total} if latest else None,
        "threshold": cows.threshold,
        "cows_override_reason": override or None,
    }


@transaction.atomic
def mark_administration_in_error(*, acting_user: User, administration: Administration, reason: str) -> Administration:
    """A dose record made by mistake (wrong patient, wrong time) stays, marked entered-in-error with the reason;
    it no longer counts as a dose anywhere (board, daily ceiling, induction table)."""
    require(acting_user, administration.program_id, MOUD_ADMINISTER)
    return mark_entered_in_error(
        Administration.objects.select_for_update().select_related("patient", "order").get(pk=administration.pk),
        acting_user=acting_user,
        reason=reason,
        noun="dose record",
        audit_action="medication.administration.entered_in_error",
        timeline=lambda record, marked_at: record.write_timeline(
            "medication.error",
            f"Dose record entered in error: {record.get_status_display()} "
            f"{record.label} at {_local(record.at)} ({record.change_reason})",
            at=marked_at,
            by=acting_user,
        ),
    )


def active_orders(patient: Patient, at: datetime | None = None) -> QuerySet[MedicationOrder]:
    # the program-scoped manager's queryset class is chosen at run time (accounts/scoping.py): the stubs see Any
    return cast(
        QuerySet[MedicationOrder], MedicationOrder.objects.filter(patient=patient).active_at(at or timezone.now())
    )
