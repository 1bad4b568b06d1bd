"""Every change at the dosing window: one function each, atomic, with its audit event. A refusal raises a
ValidationError keyed by the field or rule (`order`, `hold`, `already_given`, `dose`, `lot`, `days`, `criteria`,
`basis`, `quantity`, `witness`, `second_counter`, `investigation_note`, ...) and is itself audited (outcome denied,
the rule in the detail); nothing of a refused change is saved."""

import functools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any, NoReturn, TypeVar, cast
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from waypoint.accounts.models import Program, User
from waypoint.accounts.roles import MOUD_ADMINISTER, MOUD_ORDER, PATIENT_REGISTER, STOCK_SIGN_OFF
from waypoint.audit import trail as audit
from waypoint.audit.models import AuditEvent
from waypoint.medication import catalog
from waypoint.medication import services as medication
from waypoint.medication.models import Administration, MedicationOrder
from waypoint.patients import queries
from waypoint.patients.access import has_permission, require
from waypoint.patients.models import Episode, Patient
from waypoint.patients.recording import write_timeline

from . import photos
from . import settings as rules
from .models import (
    CallBack,
    ClosedDay,
    GuestDosing,
    Hold,
    LedgerEntry,
    PatientPhoto,
    ReplacementDose,
    SafeStorageEducation,
    StockCount,
    StockLot,
    TakeHomeBottle,
    TakeHomeDecision,
    WindowDose,
)
from .pump import Pump, PumpError, concentration, volume_for

DENIED = AuditEvent.Outcome.DENIED
F = TypeVar("F", bound=Callable[..., Any])

# The six federal criteria a take-home decision considers (42 CFR 8.12(i), shared/reference/), each answered.
CRITERIA = {
    "no_active_sud_or_risk": "Absence of active substance use disorders and other conditions that increase the "
    "risk of harm",
    "regular_attendance": "Regularity of attendance for supervised administration",
    "no_serious_behavior": "Absence of serious behavioral problems that endanger the patient, the public or others",
    "no_recent_diversion": "Absence of known recent diversion activity",
    "safe_transport_storage": "Take-home medication can be safely transported and stored",
    "other_director_criteria": "Any other criteria the medical director considers",
}


def _when(at: datetime, program: Program | None = None) -> str:
    """A time in the program's time zone (the current one when no program is given)."""
    local = at.astimezone(ZoneInfo(program.time_zone)) if program is not None else timezone.localtime(at)
    return f"{local:%Y-%m-%d %H:%M}"


def program_day(program: Program, at: datetime) -> date:
    return program.day_of(at)


def day_bounds(program: Program, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(program.time_zone)
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


CENT = Decimal("0.01")


def _cents(value: Decimal) -> bool:
    return value == value.quantize(CENT)


def _amount(value: Any, field: str, errors: dict[str, str]) -> Decimal | None:
    try:
        amount = Decimal(str(value)) if value not in (None, "") and not isinstance(value, bool) else None
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or not _cents(amount) or amount >= 10**7:
        errors[field] = "Give an amount in mg, more than 0 (at most two decimals)."
        return None
    return amount


def _refuse(
    acting_user: User,
    action: str,
    errors: dict[str, str],
    *,
    patient: Patient | None = None,
    program: Program | None = None,
    obj: Any = None,
) -> NoReturn:
    """Audit the refusal (in its own transaction: the refused change itself saves nothing) and raise it."""
    audit_refusal(acting_user, action, errors, patient=patient, program=program, obj=obj)
    refusal = ValidationError(errors)
    refusal.audited = True  # type: ignore[attr-defined]  # read by refusals_audited: once is enough
    raise refusal


def audit_refusal(acting_user: User, action: str, errors: dict[str, Any], **where: Any) -> None:
    """One event with outcome denied naming the first rule and its words (never what was typed for a password)."""
    rule = next(iter(errors))
    why = errors[rule]
    words = " ".join(str(m) for m in why) if isinstance(why, list | tuple) else str(why)
    with transaction.atomic():
        audit.record(acting_user, action, outcome=DENIED, detail={"rule": rule, "why": words[:500]}, **where)


def refused(acting_user: User, action: str, errors: dict[str, str], **where: Any) -> NoReturn:
    """A refusal the page or the API decides before the service (a second user's password, an unknown bottle id):
    audited as the refused change, like the service's own."""
    _refuse(acting_user, action, errors, **where)


def refusals_audited(action: str, where: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[F], F]:
    """Every refusal of the change is audited once: those its checks name (`_refuse`, audited already), and those
    raised inside its transaction (under a row lock, or by another app's rules, e.g. the medication's ceilings),
    which roll the change back and are audited after it. `where(kwargs)` names the patient, program or record."""

    def decorate(change: F) -> F:
        @functools.wraps(change)
        def refusing(*args: Any, **kwargs: Any) -> Any:
            try:
                return change(*args, **kwargs)
            except ValidationError as refusal:
                if not getattr(refusal, "audited", False):
                    errors = refusal.message_dict if hasattr(refusal, "error_dict") else {"__all__": refusal.messages}
                    audit_refusal(kwargs["acting_user"], action, errors, **where(kwargs))
                    refusal.audited = True  # type: ignore[attr-defined]
                raise

        return cast(F, refusing)

    return decorate


def _of_patient(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"patient": kwargs["patient"]}


def _of_program(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"program": kwargs["program"]}


def _of(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The record the change is about (a hold, a bottle, a lot, a count, a call-back): its patient, else its program."""

    def where(kwargs: dict[str, Any]) -> dict[str, Any]:
        record = kwargs[name]
        owner = {"patient": record.patient} if hasattr(record, "patient_id") else {"program": record.program}
        return owner | {"obj": record}

    return where


# --- the queue ---------------------------------------------------------------------------------------------


def dosing_orders(patients: Iterable[int], at: datetime) -> dict[int, MedicationOrder]:
    """Each patient's order in force at `at` that the window doses (the newest if several)."""
    found: dict[int, MedicationOrder] = {}
    for order in (
        MedicationOrder.objects.filter(patient_id__in=list(patients))
        .active_at(at)
        .order_by("patient_id", "start_at", "id")
    ):
        found[order.patient_id] = order
    return found


def given_on(patient_ids: Iterable[int], program: Program, day: date) -> dict[int, list[Administration]]:
    start, end = day_bounds(program, day)
    found: dict[int, list[Administration]] = {}
    for dose in (
        Administration.objects.in_force()
        .filter(patient_id__in=list(patient_ids), status=Administration.Status.GIVEN, at__gte=start, at__lt=end)
        .select_related("recorded_by")
        .order_by("at", "id")
    ):
        found.setdefault(dose.patient_id, []).append(dose)
    return found


def active_holds(patient_ids: Iterable[int]) -> dict[int, list[Hold]]:
    found: dict[int, list[Hold]] = {}
    for hold in Hold.objects.filter(patient_id__in=list(patient_ids), lifted_at__isnull=True).select_related("set_by"):
        found.setdefault(hold.patient_id, []).append(hold)
    return found


@dataclass
class QueueRow:
    patient: Patient
    order: MedicationOrder
    given: int  # doses given today (a split order's parts)
    holds: list[Hold]
    take_home_today: bool
    guest: GuestDosing | None = None

    @property
    def photo_id(self) -> int | None:
        """The patient's current identity photo (its small copy is what the row shows), or None: no photo."""
        return getattr(self.patient, "current_photo_id", None)

    @property
    def parts(self) -> int:
        return self.order.times_per_day or 1

    @cached_property
    def status(self) -> str:
        return today_status(bool(self.holds), self.take_home_today, self.given, self.parts)

    @cached_property
    def due(self) -> bool:
        """A Dose button: not for a patient on hold (the row shows the hold instead), nor one dosed or at home."""
        return not self.holds and self.status not in DONE


DONE = ("Dosed", "Take-home today")


def today_status(held: bool, take_home_today: bool, given: int, parts: int) -> str:
    if held:
        return "On hold"
    if take_home_today:
        return "Take-home today"
    if given >= parts:
        return "Dosed"
    if given:
        return f"Part {given} of {parts} given"
    return "Due"


@dataclass
class QueueEntry:
    """One patient of the queue before the page is chosen: what the status and the counts need, and no more."""

    patient_id: int
    order_id: int
    status: str
    given: int = 0
    guest: bool = False  # the order is a guest patient's (its sending program's details are read for the page only)

    @property
    def done(self) -> bool:
        return self.status in DONE


@dataclass
class Queue:
    """Today's queue: every patient with a dosing order (searched, in name order) with their status, in one query
    whatever their number (`.values()` rows, the patients as a subquery, no list of ids sent back)."""

    entries: list[QueueEntry]

    @property
    def due(self) -> int:
        return sum(1 for e in self.entries if e.status != "On hold" and not e.done)

    @property
    def held(self) -> int:
        return sum(1 for e in self.entries if e.status == "On hold")

    @property
    def done(self) -> int:
        return sum(1 for e in self.entries if e.done)


def queue_entries(patients: QuerySet[Patient], program: Program, at: datetime | None = None, search: str = "") -> Queue:
    """Every patient of `patients` (the user's visible ones) in the program with a dosing order in force, and today's
    status; `search` as the patient list searches (name, MRN, birth date), refused over its limits on `q`. One query:
    the orders in force with today's doses counted and the holds and bottles of today as correlated subqueries."""
    at = at or timezone.now()
    listed = queries.search(patients, search).filter(program=program)  # the project's one patient search
    today = program_day(program, at)
    start, end = day_bounds(program, today)
    given = (
        Administration.objects.in_force()
        .filter(patient_id=OuterRef("patient_id"), status=Administration.Status.GIVEN, at__gte=start, at__lt=end)
        .order_by()
        .values("patient_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = (
        MedicationOrder.objects.filter(program=program, patient__in=listed.values("pk"))
        .active_at(at)
        .annotate(
            given=Coalesce(Subquery(given), 0),
            held=Exists(Hold.objects.filter(patient_id=OuterRef("patient_id"), lifted_at__isnull=True)),
            home=Exists(TakeHomeBottle.objects.filter(patient_id=OuterRef("patient_id"), take_on=today)),
            guest=Exists(GuestDosing.objects.filter(order_id=OuterRef("pk"))),
        )
        .order_by("patient__family_name", "patient__given_name", "patient_id", "start_at", "id")
        .values_list("pk", "patient_id", "times_per_day", "given", "held", "home", "guest")
    )
    found: dict[int, QueueEntry] = {}
    for order_id, patient_id, times, count, held, home, guest in rows:  # the newest order in force wins, by name
        status = today_status(held, home, count, times or 1)
        found[patient_id] = QueueEntry(patient_id, order_id, status, count, guest)
    return Queue(list(found.values()))


def queue_rows(patients: QuerySet[Patient], entries: list[QueueEntry]) -> list[QueueRow]:
    """The rows shown (one page of the queue): the orders with their patients (and each patient's current photo's
    id, not the photo) in one query; the holds (who set them) of the patients the queue found on hold and the guest
    dosings of the orders it found a guest's, only when the page has any: one to three queries whatever their
    number."""
    if not entries:
        return []
    newest_photo = PatientPhoto.objects.filter(patient_id=OuterRef("patient_id")).order_by("-taken_at", "-id")
    orders = {
        order.pk: order
        for order in MedicationOrder.objects.filter(
            pk__in=[e.order_id for e in entries], patient__in=patients.values("pk")
        )
        .select_related("patient")
        .annotate(current_photo_id=Subquery(newest_photo.values("pk")[:1]))
    }
    for order in orders.values():
        order.patient.current_photo_id = order.current_photo_id  # type: ignore[attr-defined]
    held = [e.patient_id for e in entries if e.status == "On hold"]
    guest_orders = [e.order_id for e in entries if e.guest]
    holds = active_holds(held) if held else {}
    guests = guests_for(guest_orders) if guest_orders else {}
    return [
        QueueRow(
            orders[e.order_id].patient,
            orders[e.order_id],
            e.given,
            holds.get(e.patient_id, []),
            e.status == "Take-home today",
            guests.get(e.order_id),
        )
        for e in entries
        if e.order_id in orders  # a patient no longer visible (e.g. off the team since the queue was read): not shown
    ]


def queue(
    patients: QuerySet[Patient], program: Program, at: datetime | None = None, search: str = ""
) -> list[QueueRow]:
    """The whole queue as rows (the API, the closed-day bottles): `queue_entries` then `queue_rows` of them all."""
    at = at or timezone.now()
    return queue_rows(patients, queue_entries(patients, program, at, search).entries)


# --- holds -------------------------------------------------------------------------------------------------


def day_of_treatment(patient: Patient, at: datetime) -> int:
    """Day 1 is the program day treatment began: the open episode's admission, else the first MOUD order."""
    episodes = Episode.objects.filter(patient=patient, admitted_at__lte=at).exclude(discharged_at__lt=at)
    episode = episodes.order_by("-admitted_at").first()
    began = episode.admitted_at if episode else None
    if began is None:
        first = MedicationOrder.objects.filter(patient=patient, start_at__lte=at).order_by("start_at").first()
        began = first.start_at if first else at
    program = patient.program
    return (program_day(program, at) - program_day(program, began)).days + 1


def missed_days(patient: Patient, order: MedicationOrder, at: datetime) -> int:
    """Consecutive program days before today without a dose given or a take-home bottle for the day, counted back
    to the order's first day or the day a missed-dose hold was last lifted."""
    program = patient.program
    today = program_day(program, at)
    floor = program_day(program, order.start_at)
    lifted = (
        Hold.objects.filter(patient=patient, kind=Hold.Kind.MISSED_DOSES, lifted_at__isnull=False)
        .order_by("-lifted_at")
        .values_list("lifted_at", flat=True)
        .first()
    )
    if lifted is not None:
        floor = max(floor, program_day(program, lifted) + timedelta(days=1))
    start, _ = day_bounds(program, floor)
    end, _ = day_bounds(program, today)
    dosed = {
        program_day(program, given)
        for given in Administration.objects.in_force()
        .filter(patient=patient, status=Administration.Status.GIVEN, at__gte=start, at__lt=end)
        .values_list("at", flat=True)
    }
    dosed |= set(
        TakeHomeBottle.objects.filter(patient=patient, take_on__gte=floor, take_on__lt=today).values_list(
            "take_on", flat=True
        )
    )
    count = 0
    day = today - timedelta(days=1)
    while day >= floor and day not in dosed:
        count += 1
        day -= timedelta(days=1)
    return count


def hold_message(hold: Hold) -> str:
    when = _when(hold.set_at, hold.program)
    return f"{hold.get_kind_display()} set by {hold.set_by} at {when}: {hold.reason}. {hold.how_to_lift}"


@refusals_audited("dispensing.hold.set", _of_patient)
@transaction.atomic
def set_hold(*, acting_user: User, patient: Patient, kind: str, reason: str) -> Hold:
    """A nurse or prescriber puts a clinical or administrative hold on the patient's doses (e.g. a positive breath
    alcohol at the window), with the reason."""
    require(acting_user, patient.program_id, MOUD_ADMINISTER)
    errors: dict[str, str] = {}
    if kind not in (Hold.Kind.CLINICAL, Hold.Kind.ADMINISTRATIVE):
        errors["kind"] = "Choose a clinical or an administrative hold."
    if not (reason or "").strip():
        errors["reason"] = "Say why the doses are held."
    if errors:
        raise ValidationError(errors)
    hold = Hold.objects.create(
        program_id=patient.program_id, patient=patient, kind=kind, reason=reason.strip(), set_by=acting_user
    )
    summary = f"{hold.get_kind_display()}: {hold.reason}"
    write_timeline(patient, "dispensing.hold", summary, at=hold.set_at, by=acting_user)
    audit.record(acting_user, "dispensing.hold.set", patient=patient, obj=hold, detail={"kind": kind})
    return hold


@refusals_audited("dispensing.hold.lift", _of("hold"))
def lift_hold(*, acting_user: User, hold: Hold, note: str) -> Hold:
    """Lift a hold: a clinical or missed-dose hold by a prescriber after reassessment, an administrative one by a
    nurse or prescriber; with a note. A refusal is audited."""
    needed = MOUD_ADMINISTER if hold.kind == Hold.Kind.ADMINISTRATIVE else MOUD_ORDER
    if not has_permission(acting_user, hold.program_id, needed):
        with transaction.atomic():
            audit.record(
                acting_user,
                "dispensing.hold.lift",
                patient=hold.patient,
                obj=hold,
                outcome=DENIED,
                detail={"rule": "permission"},
            )
        raise PermissionDenied(hold.how_to_lift)
    errors: dict[str, str] = {}
    if hold.lifted_at is not None:
        errors["hold"] = f"This hold was already lifted by {hold.lifted_by} at {_when(hold.lifted_at, hold.program)}."
    elif not (note or "").strip():
        errors["note"] = "Say why the hold is lifted (e.g. the reassessment's finding)."
    if errors:
        _refuse(acting_user, "dispensing.hold.lift", errors, patient=hold.patient, obj=hold)
    return _lift(acting_user, hold, note.strip())


@transaction.atomic
def _lift(acting_user: User, hold: Hold, note: str) -> Hold:
    hold = Hold.objects.select_for_update().get(pk=hold.pk)
    hold.lifted_at, hold.lifted_by, hold.lift_note = timezone.now(), acting_user, note
    hold.save(update_fields=["lifted_at", "lifted_by", "lift_note"])
    write_timeline(
        hold.patient, "dispensing.hold", f"{hold.get_kind_display()} lifted: {note}", at=hold.lifted_at, by=acting_user
    )
    audit.record(acting_user, "dispensing.hold.lift", patient=hold.patient, obj=hold)
    return hold


# --- the dose at the window ----------------------------------------------------------------------------------


def _short(lot: StockLot, amount: Decimal) -> str:
    """Never the balance itself: whoever reads it may be one who counts (see `sees_balances`)."""
    return f"Lot {lot.lot_number} holds less than {catalog.dose_text(amount)} mg."


def _lot(
    lot: StockLot | None, program_id: int, medication_code: str, amount: Decimal | None, errors: dict[str, str]
) -> None:
    if lot is None or lot.program_id != program_id:
        errors["lot"] = "Choose the stock lot the dose is poured from."
    elif lot.medication != medication_code:
        errors["lot"] = (
            f"Lot {lot.lot_number} is {catalog.MEDICATIONS[lot.medication].name.lower()}, not "
            f"{catalog.MEDICATIONS[medication_code].name.lower()}."
        )
    elif amount is not None and balance(lot) < amount:
        errors["lot"] = _short(lot, amount)


def check_dose(
    patient: Patient, amount: Any, at: datetime, lot: StockLot | None = None
) -> tuple[dict[str, str], MedicationOrder | None]:
    """The window's checks, in the order the nurse needs them: an order, a hold, a missed-dose hold, today's dose
    (or split part) already given, the amount against the order, the lot."""
    errors: dict[str, str] = {}
    order = dosing_orders([patient.pk], at).get(patient.pk)
    if order is None:
        errors["order"] = (
            f"No active MOUD order for {patient} now: a prescriber must order the medication before a dose."
        )
        return errors, None
    holds = active_holds([patient.pk]).get(patient.pk)
    if holds:
        errors["hold"] = " ".join(hold_message(h) for h in holds)
        return errors, order
    limit = rules.MISSED_DOSE_HOLD_DAYS.get(patient.program)
    if limit:
        missed = missed_days(patient, order, at)
        if missed >= limit:
            errors["hold"] = (
                f"Missed-dose reassessment: {missed} consecutive days without a dose "
                f"({rules.MISSED_DOSE_HOLD_DAYS.describe(limit)}). A prescriber lifts the hold after reassessing "
                "the patient."
            )
            return errors, order
    parts = order.times_per_day or 1
    given = given_on([patient.pk], patient.program, program_day(patient.program, at)).get(patient.pk, [])
    if len(given) >= parts:
        times = ", ".join(f"{_when(d.at, patient.program)[-5:]} by {d.recorded_by}" for d in given)
        what = "Today's dose was" if parts == 1 else f"All {parts} parts of today's split dose were"
        errors["already_given"] = f"{what} already given ({times})."
        return errors, order
    dose = _amount(amount, "dose", errors)
    if dose is not None and dose != order.dose:
        errors["dose"] = (
            f"{catalog.dose_text(dose)} {order.unit} differs from the order: {order.label}, {order.schedule}. "
            "Give the ordered dose, or ask the prescriber for a new order."
        )
    _lot(lot, patient.program_id, order.medication, dose if "dose" not in errors else None, errors)
    return errors, order


@refusals_audited("dispensing.dose", _of_patient)
def dispense(
    *,
    acting_user: User,
    patient: Patient,
    amount: Any,
    lot: StockLot | None,
    at: datetime | None = None,
    pump: Pump | None = None,
) -> Administration:
    """Give the observed dose at the window: the medication app's administration record (its own checks: ceilings,
    frequency, induction COWS), the lot and split part, and the ledger's outflow, in one transaction. Refused with
    the rule named, audited: see `check_dose`.

    With a pump (and a liquid lot, its strength in mg/mL), the pump is asked for the dose's volume under a new dose
    id and the volume it reports is what is recorded: a short pour is recorded as the smaller dose it was (the
    message says so); an over-pour records the ordered dose and the excess as a ledger adjustment, so the ledger
    keeps what left the stock. A pump that pours nothing refuses the dose (rule `pump`)."""
    require(acting_user, patient.program_id, MOUD_ADMINISTER)
    at = at or timezone.now()
    errors, order = check_dose(patient, amount, at, lot)
    if errors:
        if "hold" in errors and not active_holds([patient.pk]):
            # the missed-dose rule, not yet a hold: it becomes one, lifted by a prescriber after reassessment
            with transaction.atomic():
                hold = Hold.objects.create(
                    program_id=patient.program_id,
                    patient=patient,
                    kind=Hold.Kind.MISSED_DOSES,
                    reason=errors["hold"].split(" (")[0],
                    set_by=acting_user,
                    set_at=at,
                )
                write_timeline(patient, "dispensing.hold", hold.reason, at=at, by=acting_user)
                audit.record(acting_user, "dispensing.hold.set", patient=patient, obj=hold, detail={"kind": hold.kind})
        _refuse(acting_user, "dispensing.dose", errors, patient=patient)
    assert lot is not None
    ordered = Decimal(str(amount))
    poured = _pour(acting_user, patient, pump, lot, ordered)
    return _dispense(acting_user, patient, order, ordered, lot, at, poured)


@dataclass
class Poured:
    dose_id: str
    asked_ml: Decimal
    dispensed_ml: Decimal
    dispensed_mg: Decimal


def _pour(acting_user: User, patient: Patient, pump: Pump | None, lot: StockLot, amount: Decimal) -> Poured | None:
    """Ask the pump for the dose and read back what it poured (None: no pump, or a solid lot poured by hand)."""
    per_ml = concentration(lot.strength)
    if pump is None or per_ml is None:
        return None
    dose_id = uuid.uuid4().hex
    asked = volume_for(amount, per_ml)
    try:
        pump.dispense(dose_id, asked)
        reported = Decimal(str(pump.dispensed(dose_id))).quantize(CENT)
    except PumpError as error:
        _refuse(
            acting_user,
            "dispensing.dose",
            {"pump": f"The pump did not pour ({error}): nothing is recorded. Pour again, or by hand."},
            patient=patient,
        )
    if reported <= 0:
        _refuse(
            acting_user,
            "dispensing.dose",
            {"pump": "The pump reports it poured nothing: nothing is recorded. Check the pump and pour again."},
            patient=patient,
        )
    return Poured(dose_id, asked, reported, (reported * per_ml).quantize(CENT))


@transaction.atomic
def _dispense(
    acting_user: User,
    patient: Patient,
    order: MedicationOrder | None,
    amount: Decimal,
    lot: StockLot | None,
    at: datetime,
    poured: Poured | None = None,
) -> Administration:
    # sanctioned (not visible_patients): locks the row of a patient the caller found, serialising two windows
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    errors, order = check_dose(patient, amount, at, lot)  # again, under the lock
    if errors:
        raise ValidationError(errors)
    assert order is not None and lot is not None  # check_dose names a missing order or lot
    given_mg = min(poured.dispensed_mg, amount) if poured else amount
    given = len(given_on([patient.pk], patient.program, program_day(patient.program, at)).get(patient.pk, []))
    note = ""
    if poured and given_mg < amount:
        note = (
            f"The pump poured {poured.dispensed_ml} mL of the {poured.asked_ml} mL asked: "
            f"{catalog.dose_text(given_mg)} mg given of {catalog.dose_text(amount)} mg."
        )
    record = medication.record_administration(
        acting_user=acting_user, patient=patient, order=order, status="given", dose=given_mg, at=at, note=note
    )
    parts = order.times_per_day or 1
    window = WindowDose.objects.create(
        program_id=patient.program_id,
        patient=patient,
        administration=record,
        lot=lot,
        part=given + 1,
        of_parts=parts,
        pump_dose_id=poured.dose_id if poured else "",
        asked_ml=poured.asked_ml if poured else None,
        dispensed_ml=poured.dispensed_ml if poured else None,
    )
    LedgerEntry.objects.create(
        program_id=patient.program_id,
        lot=lot,
        kind=LedgerEntry.Kind.OBSERVED,
        quantity_mg=-given_mg,
        at=at,
        by=acting_user,
        administration=record,
    )
    if poured and poured.dispensed_mg > amount:
        LedgerEntry.objects.create(
            program_id=patient.program_id,
            lot=lot,
            kind=LedgerEntry.Kind.ADJUSTMENT,
            quantity_mg=-(poured.dispensed_mg - amount),
            at=at,
            by=acting_user,
            administration=record,
            note=f"The pump poured {poured.dispensed_ml} mL for {poured.asked_ml} mL asked (dose {poured.dose_id}).",
        )
    audit.record(
        acting_user,
        "dispensing.dose",
        patient=patient,
        obj=window,
        detail={
            "administration": record.pk,
            "lot": lot.pk,
            "mg": str(given_mg),
            "part": given + 1,
            "of": parts,
            **({"asked_ml": str(poured.asked_ml), "dispensed_ml": str(poured.dispensed_ml)} if poured else {}),
        },
    )
    return record


# --- take-home doses ---------------------------------------------------------------------------------------


@refusals_audited("dispensing.take_home_decision", _of_patient)
def sign_take_home_decision(
    *,
    acting_user: User,
    patient: Patient,
    days: Any,
    criteria: dict[str, Any],
    basis: str,
    at: datetime | None = None,
) -> TakeHomeDecision:
    """The practitioner's take-home decision: every federal criterion answered, the basis, and no more days than
    the program's tier allows on this day of treatment (never above the federal ceiling). Refusals audited."""
    require(acting_user, patient.program_id, MOUD_ORDER)
    at = at or timezone.now()
    errors: dict[str, str] = {}
    try:
        count = int(days)
        if isinstance(days, bool) or str(count) != str(days).strip() or count < 0:
            raise ValueError
    except (TypeError, ValueError):
        errors["days"] = "Give the number of take-home days as a whole number, 0 or more."
        count = None
    criteria = criteria or {}
    unanswered = [words for key, words in CRITERIA.items() if not isinstance(criteria.get(key), bool)]
    if unanswered or set(criteria) - set(CRITERIA):
        errors["criteria"] = "Answer every criterion: " + "; ".join(unanswered or ["(unknown criteria given)"]) + "."
    if not (basis or "").strip():
        errors["basis"] = "Give the basis of the decision."
    treatment_day = day_of_treatment(patient, at)
    limit, tier = rules.take_home_limit(patient.program, treatment_day)
    if count is not None and count > limit:
        errors["days"] = (
            f"{count} days is more than the program allows on day {treatment_day} of treatment: at most {limit} "
            f"days {tier.words} ({tier.setting.describe(limit)}; federal ceiling {tier.federal_days})."
        )
    if errors:
        _refuse(acting_user, "dispensing.take_home_decision", errors, patient=patient)
    assert count is not None
    with transaction.atomic():
        decision = TakeHomeDecision.objects.create(
            program_id=patient.program_id,
            patient=patient,
            days=count,
            criteria=criteria,
            basis=basis.strip(),
            day_of_treatment=treatment_day,
            tier=tier.words,
            signed_by=acting_user,
            signed_at=at,
        )
        write_timeline(
            patient, "dispensing.take_home", f"Take-home doses: up to {count} days (signed)", at=at, by=acting_user
        )
        audit.record(
            acting_user,
            "dispensing.take_home_decision",
            patient=patient,
            obj=decision,
            detail={"days": count, "day_of_treatment": treatment_day, "tier": tier.setting.key},
        )
    return decision


@refusals_audited("dispensing.bottles.issue", _of_patient)
def issue_bottles(
    *, acting_user: User, patient: Patient, days: list[date], lot: StockLot | None
) -> list[TakeHomeBottle]:
    """One labelled bottle of the ordered dose per day to take, each an outflow of the lot. Refused: no signed
    decision, more days than it allows, a day already covered or already dosed, a day not after today, a hold, the
    checks of an order and a lot."""
    require(acting_user, patient.program_id, MOUD_ADMINISTER)
    now = timezone.now()
    errors: dict[str, str] = {}
    program = patient.program
    today = program_day(program, now)
    order = dosing_orders([patient.pk], now).get(patient.pk)
    decision = TakeHomeDecision.objects.filter(patient=patient).order_by("-signed_at", "-id").first()
    days = sorted(set(days or []))
    if order is None:
        errors["order"] = f"No active MOUD order for {patient} now: take-home doses need one."
    elif holds := active_holds([patient.pk]).get(patient.pk):
        errors["hold"] = " ".join(hold_message(h) for h in holds)
    elif decision is None or decision.days == 0:
        errors["days"] = "No take-home doses are allowed: a practitioner signs a take-home decision first."
    elif not SafeStorageEducation.objects.filter(patient=patient).exists():
        errors["safe_storage"] = (
            "Safe-storage education is recorded before the first take-home bottle: teach it and record it first."
        )
    elif not days:
        errors["days"] = "Choose the days to take the doses home for."
    elif days[0] <= today:
        errors["days"] = "Take-home days come after today (today's dose is given at the window)."
    elif len(days) > decision.days or (days[-1] - today).days > decision.days:
        errors["days"] = (
            f"The signed decision of {decision.signed_at:%Y-%m-%d} allows up to {decision.days} days of take-home "
            "doses."
        )
    else:
        taken = TakeHomeBottle.objects.filter(patient=patient, take_on__in=days).values_list("take_on", flat=True)
        if taken:
            errors["days"] = "A bottle is already issued for " + ", ".join(f"{d:%Y-%m-%d}" for d in taken) + "."
    if order is not None and not errors:
        _lot(lot, patient.program_id, order.medication, order.dose * len(days), errors)
    if errors:
        _refuse(acting_user, "dispensing.bottles.issue", errors, patient=patient)
    assert order is not None and decision is not None and lot is not None
    with transaction.atomic():
        bottles = []
        for day in days:
            bottle = TakeHomeBottle.objects.create(
                program_id=patient.program_id,
                patient=patient,
                order=order,
                decision=decision,
                lot=lot,
                dose=order.dose,
                take_on=day,
                issued_by=acting_user,
                issued_at=now,
            )
            LedgerEntry.objects.create(
                program_id=patient.program_id,
                lot=lot,
                kind=LedgerEntry.Kind.TAKE_HOME,
                quantity_mg=-order.dose,
                at=now,
                by=acting_user,
                bottle=bottle,
            )
            bottles.append(bottle)
        write_timeline(
            patient,
            "dispensing.take_home",
            f"Take-home bottles issued: {len(bottles)} x {order.label} ({days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d})",
            at=now,
            by=acting_user,
        )
        audit.record(
            acting_user,
            "dispensing.bottles.issue",
            patient=patient,
            detail={"bottles": [b.code for b in bottles], "lot": lot.pk},
        )
    return bottles


@refusals_audited("dispensing.bottle.return", _of("bottle"))
@transaction.atomic
def return_bottle(*, acting_user: User, bottle: TakeHomeBottle, empty: bool, note: str = "") -> TakeHomeBottle:
    """A returned bottle is checked in: empty or not (what was in it, in the note)."""
    require(acting_user, bottle.program_id, MOUD_ADMINISTER)
    bottle = TakeHomeBottle.objects.select_for_update().get(pk=bottle.pk)
    if bottle.returned_at is not None:
        when = _when(bottle.returned_at, bottle.program)
        raise ValidationError({"bottle": f"Bottle {bottle.code} was already checked in at {when}."})
    if not empty and not (note or "").strip():
        raise ValidationError({"note": "The bottle is not empty: say what was in it."})
    bottle.returned_at, bottle.returned_by, bottle.returned_empty, bottle.return_note = (
        timezone.now(),
        acting_user,
        bool(empty),
        (note or "").strip(),
    )
    bottle.save(update_fields=["returned_at", "returned_by", "returned_empty", "return_note"])
    audit.record(
        acting_user, "dispensing.bottle.return", patient=bottle.patient, obj=bottle, detail={"empty": bool(empty)}
    )
    return bottle


@refusals_audited("dispensing.bottle.return", _of_program)
def find_bottle(*, acting_user: User, patients: QuerySet[Patient], program: Program, code: str) -> TakeHomeBottle:
    """The bottle whose id was typed or scanned from its label's QR code (spaces and case forgiven), among the
    patients the user may see in the program; any other id is refused on `code` (the same words for a bottle of
    another program as for none)."""
    cleaned = "".join((code or "").split()).upper()[:40]
    found = (
        TakeHomeBottle.objects.filter(program=program, patient__in=patients, code=cleaned)
        .select_related("patient", "order")
        .first()
        if cleaned
        else None
    )
    if found is None:
        raise ValidationError({"code": f"No take-home bottle {cleaned or '(no id)'} of a patient you can see here."})
    return found


# --- the ledger --------------------------------------------------------------------------------------------


def may_read_ledger(user: User, program_id: int) -> bool:
    """The ledger's readers: staff who may dispense (and so count), and the director who signs counts off."""
    return has_permission(user, program_id, MOUD_ADMINISTER) or has_permission(user, program_id, STOCK_SIGN_OFF)


def sees_balances(user: User, program_id: int) -> bool:
    """Blind counts: anyone who may count (every user who may dispense) never sees a lot's expected balance, on no
    page, report or API answer; only the director who signs counts off and does not dispense does. A counter sees
    the expected balance of a count once it is recorded (with its discrepancy), never before."""
    return has_permission(user, program_id, STOCK_SIGN_OFF) and not has_permission(user, program_id, MOUD_ADMINISTER)


def shown_balance(user: User, lot: StockLot) -> Decimal | None:
    """The lot's balance as this user may see it: None for one who counts."""
    return balance(lot) if sees_balances(user, lot.program_id) else None


def balance(lot: StockLot) -> Decimal:
    """The lot's balance in mg: the sum of its ledger entries (never typed)."""
    total = LedgerEntry.objects.filter(lot=lot).aggregate(total=Sum("quantity_mg"))["total"]
    # every entry has two decimals; SQLite sums decimals as floats (the property test caught 7.74000000000001)
    return Decimal(str(total or 0)).quantize(CENT)


@refusals_audited("dispensing.ledger.receipt", _of_program)
@transaction.atomic
def receive_stock(
    *,
    acting_user: User,
    program: Program,
    medication_code: str,
    strength: str,
    lot_number: str,
    quantity_mg: Any,
    expires_on: date | None = None,
    note: str = "",
) -> LedgerEntry:
    require(acting_user, program.pk, MOUD_ADMINISTER)
    errors: dict[str, str] = {}
    if medication_code not in catalog.MEDICATIONS:
        errors["medication"] = f"Choose one of: {', '.join(catalog.MEDICATIONS)}."
    if not (strength or "").strip():
        errors["strength"] = "Give the strength as printed on the stock (e.g. 10 mg/mL)."
    if not (lot_number or "").strip():
        errors["lot_number"] = "Give the lot number."
    amount = _amount(quantity_mg, "quantity", errors)
    if errors:
        raise ValidationError(errors)
    assert amount is not None
    lot, _ = StockLot.objects.get_or_create(
        program=program,
        medication=medication_code,
        strength=strength.strip(),
        lot_number=lot_number.strip(),
        defaults={"expires_on": expires_on},
    )
    entry = LedgerEntry.objects.create(
        program=program, lot=lot, kind=LedgerEntry.Kind.RECEIPT, quantity_mg=amount, by=acting_user, note=note
    )
    audit.record(
        acting_user, "dispensing.ledger.receipt", program=program, obj=entry, detail={"lot": lot.pk, "mg": str(amount)}
    )
    return entry


def _second_user(other: User | None, acting_user: User, program_id: int) -> bool:
    return other is not None and other.pk != acting_user.pk and has_permission(other, program_id, MOUD_ADMINISTER)


WITNESSED = (LedgerEntry.Kind.WASTE, LedgerEntry.Kind.SPILL)


@refusals_audited("dispensing.ledger.outflow", _of("lot"))
def record_outflow(
    *,
    acting_user: User,
    lot: StockLot,
    kind: str,
    quantity_mg: Any,
    witness: User | None = None,
    note: str = "",
) -> LedgerEntry:
    """Waste or spill (witnessed by a second user who may dispense), transfer out, or a downward adjustment (with
    the reason); never more than the lot holds. Refusals audited."""
    require(acting_user, lot.program_id, MOUD_ADMINISTER)
    errors: dict[str, str] = {}
    allowed = (*WITNESSED, LedgerEntry.Kind.TRANSFER, LedgerEntry.Kind.ADJUSTMENT)
    if kind not in allowed:
        errors["kind"] = "Choose waste, spill, transfer or adjustment."
    amount = _amount(quantity_mg, "quantity", errors)
    if kind in WITNESSED and not _second_user(witness, acting_user, lot.program_id):
        errors["witness"] = "A waste or spill is witnessed by a second user who may dispense in this program."
    if not (note or "").strip():
        errors["note"] = "Say what happened."
    if amount is not None and "quantity" not in errors and amount > balance(lot):
        errors["quantity"] = _short(lot, amount)
    if errors:
        _refuse(acting_user, "dispensing.ledger.outflow", errors, program=lot.program, obj=lot)
    assert amount is not None
    with transaction.atomic():
        entry = LedgerEntry.objects.create(
            program_id=lot.program_id,
            lot=lot,
            kind=kind,
            quantity_mg=-amount,
            by=acting_user,
            witness=witness if kind in WITNESSED else None,
            note=note.strip(),
        )
        audit.record(
            acting_user,
            f"dispensing.ledger.{kind}",
            program=lot.program,
            obj=entry,
            detail={"lot": lot.pk, "mg": str(amount), "witness": getattr(witness, "pk", None)},
        )
    return entry


@refusals_audited("dispensing.count", _of("lot"))
def record_count(
    *,
    acting_user: User,
    lot: StockLot,
    counted_mg: Any,
    second_counter: User | None,
    investigation_note: str = "",
) -> StockCount:
    """A blind count by two users: the expected balance is taken here, after they counted, and the count is recorded
    as counted whether or not it matches (a refusal for a difference would tell the counters the count is off before
    it is recorded). A discrepancy then needs its investigation note (now or later, `write_investigation_note`) before
    the director signs it off. Refusals audited."""
    require(acting_user, lot.program_id, MOUD_ADMINISTER)
    errors: dict[str, str] = {}
    try:
        counted = Decimal(str(counted_mg))
        if not counted.is_finite() or counted < 0 or not _cents(counted):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["counted_mg"] = "Give the counted amount in mg, 0 or more (at most two decimals)."
        counted = None
    if not _second_user(second_counter, acting_user, lot.program_id):
        errors["second_counter"] = "A count is made by two users: the second must be another user who may dispense."
    expected = balance(lot)
    if errors:
        _refuse(acting_user, "dispensing.count", errors, program=lot.program, obj=lot)
    assert counted is not None and second_counter is not None  # else refused above
    with transaction.atomic():
        count = StockCount.objects.create(
            program_id=lot.program_id,
            lot=lot,
            counted_mg=counted,
            expected_mg=expected,
            counted_by=acting_user,
            second_counter=second_counter,
            investigation_note=(investigation_note or "").strip(),
        )
        audit.record(
            acting_user,
            "dispensing.count",
            program=lot.program,
            obj=count,
            detail={"counted": str(counted), "expected": str(expected), "second": second_counter.pk},
        )
    return count


@refusals_audited("dispensing.count.investigation", _of("count"))
def write_investigation_note(*, acting_user: User, count: StockCount, note: str) -> StockCount:
    """The investigation of a count's discrepancy (what was checked, what was found), written once by a user who may
    dispense, before the director signs the count off. Refusals audited."""
    require(acting_user, count.program_id, MOUD_ADMINISTER)
    errors: dict[str, str] = {}
    if not count.discrepancy_mg:
        errors["count"] = "This count matches the ledger: there is nothing to investigate."
    elif count.investigation_note:
        errors["count"] = "The investigation note of this count is already written."
    if not (note or "").strip():
        errors["investigation_note"] = "Write the investigation note: what was checked, what was found."
    if errors:
        _refuse(acting_user, "dispensing.count.investigation", errors, program=count.program, obj=count)
    with transaction.atomic():
        locked = StockCount.objects.select_for_update().get(pk=count.pk)
        if locked.investigation_note:
            raise ValidationError({"count": "The investigation note of this count is already written."})
        locked.investigation_note = note.strip()
        locked.save(update_fields=["investigation_note"])
        audit.record(acting_user, "dispensing.count.investigation", program=locked.program, obj=locked)
    return locked


def _sign_off_refusal(count: StockCount) -> dict[str, str]:
    if count.signed_off_at is not None:
        return {"count": "This count is already signed off."}
    if count.discrepancy_mg and not count.investigation_note:
        return {"count": "This count differs from the ledger: its investigation note comes first."}
    return {}


@refusals_audited("dispensing.count.sign_off", _of("count"))
def sign_off_count(*, acting_user: User, count: StockCount) -> StockCount:
    """The director's sign-off of a count, after its investigation note when it differs. Refusals audited."""
    require(acting_user, count.program_id, STOCK_SIGN_OFF)
    if errors := _sign_off_refusal(count):
        _refuse(acting_user, "dispensing.count.sign_off", errors, program=count.program, obj=count)
    with transaction.atomic():
        return _sign_off(acting_user, count)


def _sign_off(acting_user: User, count: StockCount) -> StockCount:
    count = StockCount.objects.select_for_update().get(pk=count.pk)
    if errors := _sign_off_refusal(count):  # changed since it was read
        raise ValidationError(errors)
    count.signed_off_by, count.signed_off_at = acting_user, timezone.now()
    count.save(update_fields=["signed_off_by", "signed_off_at"])
    audit.record(acting_user, "dispensing.count.sign_off", program=count.program, obj=count)
    return count


# --- guest patients and replacement doses ----------------------------------------------------------------------


def _text(value: Any, field: str, message: str, errors: dict[str, str], limit: int = 200) -> str:
    text = str(value or "").strip()
    if not text:
        errors[field] = message
    elif len(text) > limit:
        errors[field] = f"At most {limit} characters."
    return text


@refusals_audited("dispensing.guest", _of_patient)
def accept_guest(
    *,
    acting_user: User,
    patient: Patient,
    sending_program: str,
    sending_contact: str,
    medication_code: str,
    dose: Any,
    last_dose_on: date | None,
    first_day: date | None,
    last_day: date | None,
    note: str = "",
) -> GuestDosing:
    """A prescriber accepts a guest from another OTP: the sending program's order (medication, dose, the last dose
    it gave) and the days here, confirmed with someone there. The local order is written from it for those days
    only (the medication app's checks apply: ceilings, overlapping orders). Refusals audited."""
    require(acting_user, patient.program_id, MOUD_ORDER)
    errors: dict[str, str] = {}
    sender = _text(sending_program, "sending_program", "Name the sending program.", errors)
    contact = _text(sending_contact, "sending_contact", "Name who confirmed the order at the sending program.", errors)
    if medication_code not in catalog.MEDICATIONS:
        errors["medication"] = f"Choose one of: {', '.join(catalog.MEDICATIONS)}."
    amount = _amount(dose, "dose", errors)
    today = patient.program.today()
    if first_day is None:
        errors["first_day"] = "Give the first day of guest dosing here."
    elif first_day < today:
        errors["first_day"] = "Guest dosing starts today or later."
    if last_day is None:
        errors["last_day"] = "Give the last day of guest dosing here."
    elif first_day is not None and last_day < first_day:
        errors["last_day"] = "The last day comes on or after the first day."
    if last_dose_on is None:
        errors["last_dose_on"] = "Give the day of the last dose at the sending program."
    elif first_day is not None and last_dose_on >= first_day:
        errors["last_dose_on"] = "The last dose at the sending program comes before the first day here."
    if errors:
        _refuse(acting_user, "dispensing.guest", errors, patient=patient)
    assert amount is not None and first_day is not None and last_day is not None and last_dose_on is not None
    program = patient.program
    with transaction.atomic():
        order = medication.order_medication(
            acting_user=acting_user,
            patient=patient,
            medication=medication_code,
            dose=amount,
            route=catalog.MEDICATIONS[medication_code].routes[0],
            times_per_day=1,
            start_at=max(day_bounds(program, first_day)[0], timezone.now()),
            stop_at=day_bounds(program, last_day)[1],
            instructions=f"Guest dosing: the order of {sender} (confirmed with {contact}).",
        )
        guest = GuestDosing.objects.create(
            program_id=patient.program_id,
            patient=patient,
            order=order,
            sending_program=sender,
            sending_contact=contact,
            sending_medication=medication_code,
            sending_dose=amount,
            last_dose_on=last_dose_on,
            first_day=first_day,
            last_day=last_day,
            note=(note or "").strip(),
            recorded_by=acting_user,
        )
        write_timeline(patient, "dispensing.guest", str(guest), at=guest.recorded_at, by=acting_user)
        audit.record(
            acting_user,
            "dispensing.guest",
            patient=patient,
            obj=guest,
            detail={"order": order.pk, "first_day": str(first_day), "last_day": str(last_day)},
        )
    return guest


def guests_for(order_ids: Iterable[int]) -> dict[int, GuestDosing]:
    return {g.order_id: g for g in GuestDosing.objects.filter(order_id__in=list(order_ids))}


@refusals_audited("dispensing.replacement", _of_patient)
def replace_dose(
    *,
    acting_user: User,
    patient: Patient,
    reason: str,
    note: str,
    amount: Any,
    lot: StockLot | None,
    bottle: TakeHomeBottle | None = None,
    second_signer: User | None = None,
    at: datetime | None = None,
) -> ReplacementDose:
    """Give a dose again at the window: for a spill, today's observed dose must have been given (it is replaced
    once); for a lost take-home, the patient's bottle not checked in (replaced once). At most the ordered dose, from
    a lot that holds it; a second staff signature where the program setting requires it. Refusals audited."""
    require(acting_user, patient.program_id, MOUD_ADMINISTER)
    at = at or timezone.now()
    program = patient.program
    errors: dict[str, str] = {}
    order = dosing_orders([patient.pk], at).get(patient.pk)
    replaced: Administration | None = None
    if order is None:
        errors["order"] = f"No active MOUD order for {patient} now: a prescriber must order the medication first."
    elif holds := active_holds([patient.pk]).get(patient.pk):
        errors["hold"] = " ".join(hold_message(h) for h in holds)
    if reason == ReplacementDose.Reason.SPILL:
        given = given_on([patient.pk], program, program_day(program, at)).get(patient.pk, [])
        open_ = [d for d in given if not ReplacementDose.objects.filter(replaces_administration=d).exists()]
        if not given:
            errors["reason"] = "No dose was given today to replace: a spill is replaced after the observed dose."
        elif not open_:
            errors["reason"] = "Today's spilled dose was already replaced."
        else:
            replaced = open_[-1]
    elif reason == ReplacementDose.Reason.LOST_TAKE_HOME:
        bottle = TakeHomeBottle.objects.filter(pk=bottle.pk).first() if bottle is not None else None  # as stored now
        if bottle is None or bottle.patient_id != patient.pk:
            errors["bottle"] = "Choose the patient's lost take-home bottle."
        elif bottle.returned_at is not None:
            errors["bottle"] = f"Bottle {bottle.code} was checked in: it is not lost."
        elif ReplacementDose.objects.filter(replaces_bottle=bottle).exists():
            errors["bottle"] = f"Bottle {bottle.code} was already replaced."
    else:
        errors["reason"] = "Choose why the dose is replaced: a spilled dose or a lost take-home dose."
    if not (note or "").strip():
        errors["note"] = "Say what happened."
    dose = _amount(amount, "dose", errors)
    if dose is not None and order is not None and dose > order.dose:
        errors["dose"] = f"{catalog.dose_text(dose)} {order.unit} is more than the ordered dose: {order.label}."
    if rules.REPLACEMENT_SECOND_SIGNATURE.get(program) and not _second_user(
        second_signer, acting_user, patient.program_id
    ):
        errors["second_signer"] = (
            "A second staff member who may dispense signs a replacement dose "
            f"({rules.REPLACEMENT_SECOND_SIGNATURE.describe('on')})."
        )
    if order is not None and "dose" not in errors:
        _lot(lot, patient.program_id, order.medication, dose, errors)
    if errors:
        _refuse(acting_user, "dispensing.replacement", errors, patient=patient)
    assert order is not None and dose is not None and lot is not None
    with transaction.atomic():
        replacement = ReplacementDose.objects.create(
            program_id=patient.program_id,
            patient=patient,
            order=order,
            reason=reason,
            note=note.strip(),
            replaces_administration=replaced,
            replaces_bottle=bottle if reason == ReplacementDose.Reason.LOST_TAKE_HOME else None,
            amount=dose,
            lot=lot,
            given_by=acting_user,
            second_signer=second_signer if _second_user(second_signer, acting_user, patient.program_id) else None,
            at=at,
        )
        LedgerEntry.objects.create(
            program_id=patient.program_id,
            lot=lot,
            kind=LedgerEntry.Kind.REPLACEMENT,
            quantity_mg=-dose,
            at=at,
            by=acting_user,
            witness=replacement.second_signer,
            note=f"{replacement.get_reason_display()}: {replacement.note}"[:500],
        )
        write_timeline(patient, "dispensing.replacement", str(replacement), at=at, by=acting_user)
        audit.record(
            acting_user,
            "dispensing.replacement",
            patient=patient,
            obj=replacement,
            detail={"reason": reason, "mg": str(dose), "lot": lot.pk, "second": getattr(second_signer, "pk", None)},
        )
    return replacement


# --- the program calendar, safe storage, call-backs ---------------------------------------------------------


@refusals_audited("dispensing.calendar.closed_day", _of_program)
@transaction.atomic
def add_closed_day(*, acting_user: User, program: Program, day: date | None, kind: str, name: str) -> ClosedDay:
    """A holiday or closure on the program calendar (from today on; one entry per day)."""
    require(acting_user, program.pk, MOUD_ADMINISTER)
    errors: dict[str, str] = {}
    if day is None:
        errors["day"] = "Give the day the window is closed."
    elif day < program.today():
        errors["day"] = "A closed day is today or later."
    elif ClosedDay.objects.filter(program=program, day=day).exists():
        errors["day"] = f"{day:%Y-%m-%d} is already on the calendar."
    if kind not in ClosedDay.Kind.values:
        errors["kind"] = "Choose a holiday or a program closure."
    clean = _text(name, "name", "Name the holiday or the reason for the closure.", errors, limit=120)
    if errors:
        raise ValidationError(errors)
    assert day is not None
    closed = ClosedDay.objects.create(program=program, day=day, kind=kind, name=clean, recorded_by=acting_user)
    audit.record(acting_user, "dispensing.calendar.closed_day", program=program, obj=closed, detail={"day": str(day)})
    return closed


def closed_days(program: Program, first: date, last: date) -> dict[date, str]:
    """The closed days from `first` to `last` (inclusive), with why: Sundays when the program closes on them, and
    its holidays and closures."""
    found: dict[date, str] = {}
    if rules.CLOSED_ON_SUNDAYS.get(program):
        day = first
        while day <= last:
            if day.weekday() == 6:
                found[day] = "Sunday"
            day += timedelta(days=1)
    for closed in ClosedDay.objects.filter(program=program, day__gte=first, day__lte=last):
        found[closed.day] = closed.name
    return dict(sorted(found.items()))


def next_closed_run(program: Program, today: date) -> list[date]:
    """The closed days that follow today without an open day between (e.g. Sunday then a Monday holiday)."""
    calendar = closed_days(program, today + timedelta(days=1), today + timedelta(days=31))
    run: list[date] = []
    day = today + timedelta(days=1)
    while day in calendar:
        run.append(day)
        day += timedelta(days=1)
    return run


def closed_day_bottles(
    *, acting_user: User, program: Program, lots: Iterable[StockLot], patients: QuerySet[Patient]
) -> tuple[dict[Patient, list[TakeHomeBottle]], dict[Patient, str]]:
    """Take-home bottles for the closed days after today, for every patient with a dosing order, within the rules
    of `issue_bottles` (a signed decision covering the days, safe-storage education, no hold, a lot that holds the
    doses): what was issued, and each patient refused with the reason (to be seen before the window closes)."""
    require(acting_user, program.pk, MOUD_ADMINISTER)
    days = next_closed_run(program, program.today())
    issued: dict[Patient, list[TakeHomeBottle]] = {}
    refused: dict[Patient, str] = {}
    if not days:
        return issued, refused
    by_medication = {lot.medication: lot for lot in lots if lot.program_id == program.pk}
    for row in queue(patients, program):
        have = set(
            TakeHomeBottle.objects.filter(patient=row.patient, take_on__in=days).values_list("take_on", flat=True)
        )
        wanted = [day for day in days if day not in have]
        if not wanted:
            continue
        try:
            issued[row.patient] = issue_bottles(
                acting_user=acting_user,
                patient=row.patient,
                days=wanted,
                lot=by_medication.get(row.order.medication),
            )
        except ValidationError as error:
            refused[row.patient] = " ".join(" ".join(m) for m in error.message_dict.values())
    return issued, refused


@transaction.atomic
def record_safe_storage(*, acting_user: User, patient: Patient, note: str = "") -> SafeStorageEducation:
    require(acting_user, patient.program_id, MOUD_ADMINISTER)
    given = SafeStorageEducation.objects.create(
        program_id=patient.program_id, patient=patient, given_by=acting_user, note=(note or "").strip()
    )
    write_timeline(patient, "dispensing.safe_storage", "Safe-storage education given", at=given.at, by=acting_user)
    audit.record(acting_user, "dispensing.safe_storage", patient=patient, obj=given)
    return given


def bottles_out(patient_ids: Iterable[int], day: date) -> dict[int, list[TakeHomeBottle]]:
    """Bottles issued for `day` or later and not checked in: what a call-back asks the patient to bring."""
    found: dict[int, list[TakeHomeBottle]] = {}
    for bottle in TakeHomeBottle.objects.filter(
        patient_id__in=list(patient_ids), returned_at__isnull=True, take_on__gte=day
    ).order_by("take_on", "id"):
        found.setdefault(bottle.patient_id, []).append(bottle)
    return found


@refusals_audited("dispensing.call_back.schedule", _of_patient)
@transaction.atomic
def schedule_call_back(*, acting_user: User, patient: Patient, due_on: date | None) -> CallBack:
    """Call a patient back to bring their take-home bottles (those to be taken on the day or later)."""
    require(acting_user, patient.program_id, MOUD_ADMINISTER)
    errors: dict[str, str] = {}
    out: list[TakeHomeBottle] = []
    if due_on is None or due_on < patient.program.today():
        errors["due_on"] = "Give the call-back day: today or later."
    else:
        out = bottles_out([patient.pk], due_on).get(patient.pk, [])
        if not out:
            errors["due_on"] = f"{patient} has no take-home bottles out for {due_on:%Y-%m-%d} or later to bring back."
        elif CallBack.objects.filter(patient=patient, recorded_at__isnull=True).exists():
            errors["due_on"] = f"{patient} already has a call-back waiting to be recorded."
    if errors:
        raise ValidationError(errors)
    assert due_on is not None
    call_back = CallBack.objects.create(
        program_id=patient.program_id,
        patient=patient,
        due_on=due_on,
        scheduled_by=acting_user,
        bottles_out=[b.code for b in out],
    )
    write_timeline(patient, "dispensing.call_back", str(call_back), at=call_back.scheduled_at, by=acting_user)
    audit.record(acting_user, "dispensing.call_back.schedule", patient=patient, obj=call_back)
    return call_back


@refusals_audited("dispensing.call_back.schedule", _of_program)
@transaction.atomic  # the whole draw or none of it: a refused call-back leaves no half-made draw
def schedule_random_call_backs(
    *, acting_user: User, program: Program, patients: QuerySet[Patient], due_on: date, count: int
) -> list[CallBack]:
    """Call back `count` patients drawn at random (the system's random source) among those with bottles out."""
    import secrets

    require(acting_user, program.pk, MOUD_ADMINISTER)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 100:
        raise ValidationError({"count": "Give how many patients to call back: 1 to 100."})
    waiting = set(CallBack.objects.filter(program=program, recorded_at__isnull=True).values_list("patient", flat=True))
    ids = [pk for pk in patients.filter(program=program).values_list("pk", flat=True) if pk not in waiting]
    eligible = [pk for pk in bottles_out(ids, due_on) if pk not in waiting]
    chosen = secrets.SystemRandom().sample(sorted(eligible), min(count, len(eligible)))
    found = {p.pk: p for p in patients.filter(pk__in=chosen)}
    return [schedule_call_back(acting_user=acting_user, patient=found[pk], due_on=due_on) for pk in chosen]


@refusals_audited("dispensing.call_back.record", _of("call_back"))
@transaction.atomic
def record_call_back(*, acting_user: User, call_back: CallBack, brought_back: bool, note: str = "") -> CallBack:
    """The call-back's result: the bottles brought back (and found as they should be) or not, with what was
    found or why not."""
    require(acting_user, call_back.program_id, MOUD_ADMINISTER)
    call_back = CallBack.objects.select_for_update().get(pk=call_back.pk)
    if call_back.recorded_at is not None:
        raise ValidationError({"call_back": "This call-back is already recorded."})
    if not brought_back and not (note or "").strip():
        raise ValidationError({"note": "The bottles were not brought back: say why, and what was done."})
    call_back.recorded_at, call_back.recorded_by = timezone.now(), acting_user
    call_back.brought_back, call_back.note = bool(brought_back), (note or "").strip()
    call_back.save(update_fields=["recorded_at", "recorded_by", "brought_back", "note"])
    write_timeline(call_back.patient, "dispensing.call_back", str(call_back), at=call_back.recorded_at, by=acting_user)
    audit.record(
        acting_user,
        "dispensing.call_back.record",
        patient=call_back.patient,
        obj=call_back,
        detail={"brought_back": bool(brought_back)},
    )
    return call_back


# --- the patient's photo ------------------------------------------------------------------------------------

PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_MAX_SIDE = 8000  # pixels: a camera's photo, not a crafted giant
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _png_size(data: bytes) -> tuple[int, int] | None:
    """A PNG's size from its first chunk, which must be IHDR (13 bytes), and the file must end with IEND."""
    if len(data) < 33 or data[12:16] != b"IHDR" or int.from_bytes(data[8:12], "big") != 13:
        return None
    if not data.rstrip(b"\0").endswith(b"IEND\xaeB`\x82"):
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """A JPEG's size from its frame header, walking the markers from the start; the file must end with EOI."""
    if not data.rstrip(b"\0").endswith(b"\xff\xd9"):
        return None
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if length < 2:
            return None
        if marker in _JPEG_FRAMES:
            if at + 9 > len(data):
                return None
            return int.from_bytes(data[at + 7 : at + 9], "big"), int.from_bytes(data[at + 5 : at + 7], "big")
        if marker == 0xDA:  # start of scan before any frame header
            return None
        at += 2 + length
    return None


def photo_kind(data: bytes) -> tuple[str, int, int] | None:
    """(content type, width, height) of a JPEG or PNG whose structure holds (its header gives a size within
    limits, it ends where the format ends), else None: a file named .jpg that is not one is refused."""
    kind = next((t for magic, t in PHOTO_TYPES.items() if data.startswith(magic)), None)
    size = _jpeg_size(data) if kind == "image/jpeg" else _png_size(data) if kind == "image/png" else None
    if kind is None or size is None or not all(0 < side <= PHOTO_MAX_SIDE for side in size):
        return None
    return kind, size[0], size[1]


@refusals_audited("dispensing.photo.create", _of_patient)
@transaction.atomic
def record_photo(*, acting_user: User, patient: Patient, data: bytes, at_intake: bool = False) -> PatientPhoto:
    """The identity photo: a JPEG or PNG of at most 2 MB, stored with the record. Taken at registration by whoever
    registers the patient (`at_intake`), or later by dispensing staff; only dispensing staff see it."""
    require(acting_user, patient.program_id, PATIENT_REGISTER if at_intake else MOUD_ADMINISTER)
    if not data:
        raise ValidationError({"photo": "Take or choose the photo."})
    if len(data) > PHOTO_MAX_BYTES:
        raise ValidationError({"photo": "The photo is larger than 2 MB: take it again at a smaller size."})
    found = photo_kind(data)
    small = photos.small_copy(data, found[0]) if found else None
    if found is None or small is None:
        raise ValidationError(
            {"photo": f"The photo must be a JPEG or PNG image (at most {PHOTO_MAX_SIDE} pixels a side)."}
        )
    kind, width, height = found
    photo = PatientPhoto.objects.create(
        program_id=patient.program_id,
        patient=patient,
        image=data,
        content_type=kind,
        small=small,
        taken_by=acting_user,
    )
    audit.record(
        acting_user,
        "dispensing.photo.create",
        patient=patient,
        obj=photo,
        detail={"bytes": len(data), "width": width, "height": height, "at_intake": at_intake},
    )
    return photo


def store_intake_photo(acting_user: User, patient: Patient, data: bytes) -> PatientPhoto:
    """patients.intake_photo.STORE: the photo taken on the registration form."""
    return record_photo(acting_user=acting_user, patient=patient, data=data, at_intake=True)


def current_photo(patient: Patient) -> PatientPhoto | None:
    return PatientPhoto.objects.filter(patient=patient).defer("image", "small").first()
