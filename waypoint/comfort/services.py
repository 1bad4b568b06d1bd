"""Every change to comfort-medication protocols, order sets and doses: one function each, atomic, with its audit
event (a refused dose is audited too, with the rule that refused it). Errors are ValidationErrors keyed by field:
protocol `title`, `entries`, `entries.<n>.<field>`; order `entries`, `lines.<entry id>.<field>`; dose `line`,
`status`, `at`, `dose`, `reason`, `interval`, `daily_maximum`, `hold`, `vitals`, `allergy`; follow-up
`outcome`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from waypoint.accounts.models import Program, User
from waypoint.accounts.roles import MOUD_ADMINISTER, MOUD_ORDER
from waypoint.audit import trail as audit
from waypoint.audit.models import AuditEvent
from waypoint.medication.catalog import ROUTE_NAMES, dose_text, interval_text
from waypoint.patients import records
from waypoint.patients.access import require
from waypoint.patients.allergy_models import Allergy, allergies_in_force
from waypoint.patients.models import Patient
from waypoint.patients.recording import episode_at, write_timeline
from waypoint.patients.services import CLOCK_SKEW
from waypoint.withdrawal.models import Assessment

from . import catalog, limits
from .models import ComfortOrder, Dose, OrderLine, Protocol, ProtocolEntry


def _local(at: datetime) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}"


def _mg(value: Any, errors: dict[str, str], field: str, *, required: bool = True) -> Decimal | None:
    if value is None or value == "":
        if required:
            errors[field] = "Give an amount in mg."
        return None
    try:
        amount = Decimal(str(value)) if not isinstance(value, bool) else None
    except (InvalidOperation, ValueError):
        amount = None
    exponent = amount.as_tuple().exponent if amount is not None else 0
    if amount is None or not amount.is_finite() or not isinstance(exponent, int) or exponent < -2:
        amount = None
    if amount is None or amount <= 0 or amount >= 10**6:
        errors[field] = "Give an amount in mg, more than 0, with at most two decimals."
        return None
    return amount


def _whole(
    value: Any, errors: dict[str, str], field: str, *, required: bool = True, low: int = 1, high: int = 10080
) -> int | None:
    if value is None or value == "":
        if required:
            errors[field] = f"Give a whole number from {low} to {high}."
        return None
    if isinstance(value, bool) or str(value).strip() != str(value).strip().lstrip("+") or not str(value).isdigit():
        errors[field] = f"Give a whole number from {low} to {high}."
        return None
    number = int(value)
    if not low <= number <= high:
        errors[field] = f"Give a whole number from {low} to {high}."
        return None
    return number


# --- the protocol -------------------------------------------------------------------------------------------------


def current_protocol(program: Program) -> Protocol | None:
    return Protocol.objects.filter(program=program).order_by("-version").first()


def _entry(n: int, raw: Any, errors: dict[str, str]) -> dict[str, Any] | None:
    key = f"entries.{n}"
    if not isinstance(raw, dict):
        errors[key] = "Each entry is an object of its fields."
        return None
    clean: dict[str, Any] = {}
    symptom, drug = raw.get("symptom"), raw.get("drug")
    if symptom not in catalog.SYMPTOMS:
        errors[f"{key}.symptom"] = f"Choose one of: {', '.join(catalog.SYMPTOMS)}."
    elif drug not in catalog.DRUGS_FOR[symptom]:
        names = ", ".join(catalog.DRUGS_FOR[symptom])
        errors[f"{key}.drug"] = f"For {catalog.SYMPTOMS[symptom].lower()} choose one of: {names}."
    if raw.get("route") not in ROUTE_NAMES:
        errors[f"{key}.route"] = f"Choose one of: {', '.join(ROUTE_NAMES)}."
    low = _mg(raw.get("dose_min_mg"), errors, f"{key}.dose_min_mg")
    high = _mg(raw.get("dose_max_mg", raw.get("dose_min_mg")), errors, f"{key}.dose_max_mg")
    if low is not None and high is not None and low > high:
        errors[f"{key}.dose_max_mg"] = "The highest dose is below the lowest."
    interval = _whole(raw.get("min_interval_minutes"), errors, f"{key}.min_interval_minutes", high=1440)
    daily = _mg(raw.get("max_24h_mg"), errors, f"{key}.max_24h_mg")
    if daily is not None and high is not None and daily < high:
        errors[f"{key}.max_24h_mg"] = "The 24-hour maximum is below one dose."
    systolic = _whole(raw.get("hold_systolic_below"), errors, f"{key}.hold_systolic_below", required=False, high=300)
    pulse = _whole(raw.get("hold_pulse_below"), errors, f"{key}.hold_pulse_below", required=False, high=300)
    age = _whole(raw.get("vitals_max_age_minutes"), errors, f"{key}.vitals_max_age_minutes", required=False, high=1440)
    if (systolic or pulse) and age is None and f"{key}.vitals_max_age_minutes" not in errors:
        errors[f"{key}.vitals_max_age_minutes"] = "A hold parameter needs the age of vital signs that still count."
    condition = raw.get("condition") or ""
    condition_max = None
    if condition and condition not in catalog.CONDITIONS:
        errors[f"{key}.condition"] = f"Choose one of: {', '.join(catalog.CONDITIONS)}."
    elif condition:
        condition_max = _mg(raw.get("condition_max_24h_mg"), errors, f"{key}.condition_max_24h_mg")
        if condition_max is not None and daily is not None and condition_max >= daily:
            errors[f"{key}.condition_max_24h_mg"] = "The maximum with the condition must be lower than without it."
    follow_up = _whole(raw.get("follow_up_minutes"), errors, f"{key}.follow_up_minutes", high=1440)
    if drug in catalog.LABEL_SINGLE_MAX_MG and high is not None and high > catalog.LABEL_SINGLE_MAX_MG[drug]:
        errors[f"{key}.dose_max_mg"] = (
            f"Above the label's maximum single dose of {dose_text(catalog.LABEL_SINGLE_MAX_MG[drug])} mg "
            f"({catalog.LABEL_SOURCE[drug]})."
        )
    if drug in catalog.LABEL_DAILY_MAX_MG and daily is not None and daily > catalog.LABEL_DAILY_MAX_MG[drug]:
        errors[f"{key}.max_24h_mg"] = (
            f"Above the label's maximum of {dose_text(catalog.LABEL_DAILY_MAX_MG[drug])} mg per day "
            f"({catalog.LABEL_SOURCE[drug]})."
        )
    clean.update(
        symptom=symptom,
        drug=drug,
        route=raw.get("route"),
        dose_min_mg=low,
        dose_max_mg=high,
        min_interval_minutes=interval,
        max_24h_mg=daily,
        hold_systolic_below=systolic,
        hold_pulse_below=pulse,
        vitals_max_age_minutes=age,
        condition=condition,
        condition_max_24h_mg=condition_max,
        follow_up_minutes=follow_up,
    )
    return clean


@transaction.atomic
def sign_protocol(
    *, acting_user: User, program: Program, title: str, entries: Any, is_demo: bool = False, note: str = ""
) -> Protocol:
    """The medical director (a prescriber) signs a new version of the program's protocol; earlier versions and the
    doses given under them are unchanged."""
    require(acting_user, program.pk, MOUD_ORDER)
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = "Give the protocol a title."
    if not isinstance(entries, list) or not entries:
        errors["entries"] = "A protocol has at least one drug for one symptom."
        entries = []
    cleaned = [_entry(n, raw, errors) for n, raw in enumerate(entries)]
    pairs = [(c["symptom"], c["drug"]) for c in cleaned if c]
    if len(set(pairs)) != len(pairs):
        errors["entries"] = "A drug appears twice for the same symptom."
    if errors:
        raise ValidationError(errors)
    previous = Protocol.objects.select_for_update().filter(program=program).order_by("-version").first()
    protocol = Protocol.objects.create(
        program=program,
        version=(previous.version + 1) if previous else 1,
        title=title.strip(),
        is_demo=is_demo,
        note=note,
        signed_by=acting_user,
    )
    ProtocolEntry.objects.bulk_create(
        [ProtocolEntry(program=program, protocol=protocol, **clean) for clean in cleaned if clean]
    )
    audit.record(
        acting_user,
        "comfort.protocol.sign",
        program=program,
        obj=protocol,
        detail={"version": protocol.version, "entries": len(cleaned), "demo": is_demo},
    )
    return protocol


# --- order sets ---------------------------------------------------------------------------------------------------


def active_order(patient: Patient, at: datetime | None = None) -> ComfortOrder | None:
    at = at or timezone.now()
    found: ComfortOrder | None = (
        ComfortOrder.objects.active_at(at).filter(patient=patient).order_by("-start_at").first()
    )
    return found


@transaction.atomic
def activate_order(
    *, acting_user: User, patient: Patient, entries: dict[Any, Any], start_at: datetime | None = None
) -> ComfortOrder:
    """A prescriber activates the program's current protocol for a patient: `entries` maps each kept protocol entry
    id to its limits ({} keeps the protocol's; `dose_max_mg`, `min_interval_minutes`, `max_24h_mg` narrow them;
    widening needs `widen_reason`). Entries left out are not ordered. An active order set is stopped by this one."""
    require(acting_user, patient.program_id, MOUD_ORDER)
    start_at = start_at or timezone.now()
    protocol = current_protocol(patient.program)
    errors: dict[str, str] = {}
    if protocol is None:
        raise ValidationError({"entries": "The program has no signed comfort-medication protocol yet."})
    by_id = {entry.pk: entry for entry in protocol.entries.all()}
    if not isinstance(entries, dict) or not entries:
        raise ValidationError({"entries": "Keep at least one drug of the protocol."})
    lines = []
    for raw_id, raw in entries.items():
        try:
            entry = by_id[int(raw_id)]
        except (KeyError, TypeError, ValueError):
            errors["entries"] = f"Entry {raw_id} is not in the current protocol (version {protocol.version})."
            continue
        raw = raw or {}
        key = f"lines.{entry.pk}"
        dose_max = _mg(raw.get("dose_max_mg"), errors, f"{key}.dose_max_mg", required=False)
        interval = _whole(raw.get("min_interval_minutes"), errors, f"{key}.min_interval_minutes", required=False)
        daily = _mg(raw.get("max_24h_mg"), errors, f"{key}.max_24h_mg", required=False)
        reason = (raw.get("widen_reason") or "").strip()
        wider = []
        if dose_max is not None and dose_max > entry.dose_max_mg:
            wider.append(f"a dose above the protocol's {dose_text(entry.dose_max_mg)} mg")
        if dose_max is not None and dose_max < entry.dose_min_mg:
            errors[f"{key}.dose_max_mg"] = f"Below the protocol's lowest dose of {dose_text(entry.dose_min_mg)} mg."
        if interval is not None and interval < entry.min_interval_minutes:
            wider.append(f"an interval shorter than the protocol's {interval_text(entry.min_interval_minutes)}")
        if daily is not None and daily > entry.max_24h_mg:
            wider.append(f"a 24-hour maximum above the protocol's {dose_text(entry.max_24h_mg)} mg")
        label_max = catalog.LABEL_DAILY_MAX_MG.get(entry.drug)
        if label_max is not None and daily is not None and daily > label_max:
            errors[f"{key}.max_24h_mg"] = (
                f"Above the label's maximum of {dose_text(label_max)} mg per day ({catalog.LABEL_SOURCE[entry.drug]})."
            )
        if wider and not reason:
            errors[f"{key}.widen_reason"] = (
                f"{entry}: {'; '.join(wider)} widens the protocol: give the reason, or keep its limits."
            )
        lines.append(
            OrderLine(
                program_id=patient.program_id,
                entry=entry,
                dose_max_mg=dose_max,
                min_interval_minutes=interval,
                max_24h_mg=daily,
                widen_reason=reason if wider else "",
            )
        )
    if errors:
        raise ValidationError(errors)
    for old in ComfortOrder.objects.active_at(start_at).filter(patient=patient).select_for_update():
        old.stop_at, old.stop_reason = start_at, "Replaced by a new order set."
        old.save(update_fields=["stop_at", "stop_reason"])
    order = ComfortOrder.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode_at(patient, start_at),
        protocol=protocol,
        start_at=start_at,
        prescriber=acting_user,
    )
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    names = ", ".join(str(line.entry) for line in lines)
    write_timeline(
        patient, "comfort.order", f"Comfort medications ordered: {names}", at=start_at, by=acting_user,
        episode=order.episode,
    )  # fmt: skip
    audit.record(
        acting_user,
        "comfort.order.create",
        patient=patient,
        obj=order,
        detail={"protocol": protocol.pk, "entries": [line.entry_id for line in lines]},
    )
    return order


@transaction.atomic
def stop_order(*, acting_user: User, order: ComfortOrder, reason: str, at: datetime | None = None) -> ComfortOrder:
    require(acting_user, order.program_id, MOUD_ORDER)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the order set is stopped."})
    order = ComfortOrder.objects.select_for_update().get(pk=order.pk)
    if order.stop_at is not None:
        raise ValidationError({"reason": "This order set is already stopped."})
    order.stop_at, order.stop_reason = at or timezone.now(), reason.strip()
    order.save(update_fields=["stop_at", "stop_reason"])
    audit.record(acting_user, "comfort.order.stop", patient=order.patient, obj=order)
    return order


# --- the checks before a dose -------------------------------------------------------------------------------------


def has_condition(patient: Patient, condition: str) -> bool:
    """Whether the patient's latest complications screen records the condition as present."""
    from waypoint.screening.models import Screen

    screen = Screen.objects.filter(patient=patient).order_by("-taken_at", "-id").first()
    return bool(screen and screen.answers.get(condition, {}).get("status") == "present")


def daily_maximum(line: OrderLine, patient: Patient) -> tuple[Decimal, str]:
    """The 24-hour maximum that applies to this patient, and where it comes from."""
    entry = line.entry
    maximum, origin = line.max_24h, "the order" if line.max_24h_mg is not None else "the protocol"
    lowered = entry.condition_max_24h_mg
    if entry.condition and lowered is not None and lowered < maximum and has_condition(patient, entry.condition):
        condition = catalog.CONDITIONS[entry.condition].lower()
        maximum, origin = lowered, f"the protocol, lowered for {condition} on the screen"
    return maximum, origin


def doses_of_drug(
    patient: Patient, drug: str, around: datetime, *, exclude_pk: int | None = None
) -> list[limits.Given]:
    """Every dose of the drug given to the patient within 24 hours either side (any order line, any order set)."""
    rows = Dose.objects.in_force().filter(
        patient=patient,
        drug=drug,
        status=Dose.Status.GIVEN,
        at__gt=around - limits.WINDOW,
        at__lt=around + limits.WINDOW,
    )
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return [limits.Given(at, mg) for at, mg in rows.values_list("at", "dose_mg")]


def latest_vital(patient: Patient, key: str, at: datetime, measured: dict[str, Any]) -> tuple[int, datetime] | None:
    """The newest measurement of a vital sign at or before `at`: one taken with this dose, else an assessment's."""
    if measured.get(key) is not None:
        return measured[key], at
    found = (
        Assessment.objects.in_force()
        .filter(patient=patient, taken_at__lte=at, **{f"{key}__isnull": False})
        .order_by("-taken_at", "-id")
        .values_list(key, "taken_at")
        .first()
    )
    return (int(found[0]), found[1]) if found else None


def hold_problems(entry: ProtocolEntry, patient: Patient, at: datetime, measured: dict[str, Any]) -> dict[str, str]:
    """The protocol's hold parameters against the newest vital signs: `vitals` when one is missing or older than the
    protocol allows (exactly that age still counts), `hold` when one is below its threshold."""
    problems: dict[str, list[str]] = {}
    age = timedelta(minutes=entry.vitals_max_age_minutes or 0)
    name_of = entry.drug_name.lower()
    for key, threshold, name, unit in (
        ("systolic_mmhg", entry.hold_systolic_below, "systolic pressure", " mmHg"),
        ("pulse_bpm", entry.hold_pulse_below, "pulse", "/min"),
    ):
        if threshold is None:
            continue
        found = latest_vital(patient, key, at, measured)
        if found is None:
            problems.setdefault("vitals", []).append(
                f"{entry.drug_name} needs a {name} no older than {entry.vitals_max_age_minutes} min (the protocol's "
                "hold parameter): none is recorded. Take vital signs first."
            )
        elif at - found[1] > age:
            minutes = int((at - found[1]).total_seconds() // 60)
            problems.setdefault("vitals", []).append(
                f"The latest {name} ({found[0]}{unit} at {_local(found[1])}) is {minutes} min old; "
                f"{name_of} needs one no older than {entry.vitals_max_age_minutes} min. Take vital signs first."
            )
        elif found[0] < threshold:
            problems.setdefault("hold", []).append(
                f"Hold {name_of}: {name} {found[0]}{unit} is below the protocol's {threshold}{unit}."
            )
    return {key: " ".join(messages) for key, messages in problems.items()}


def allergy_problem(patient: Patient, drug: str) -> str:
    """The patient's allergy entries in force that name the drug, or a class the reference puts it in (an NSAID
    allergy names ibuprofen and naproxen); the registration's free-text allergies are read too."""
    name = catalog.DRUGS[drug].lower()
    found = []
    for allergy in allergies_in_force(patient):
        text = allergy.substance.lower()
        if allergy.kind == Allergy.Kind.NONE_KNOWN or not text:
            continue
        if re.search(rf"\b{re.escape(name)}\b", text):
            found.append(f"{allergy} (recorded {_local(allergy.recorded_at)})")
            continue
        for class_name, (words, members) in catalog.DRUG_CLASSES.items():
            if drug in members and any(word in text for word in words):
                found.append(f"{allergy} — {name} is one of the {class_name} (recorded {_local(allergy.recorded_at)})")
                break
    if found:
        return f"The patient's recorded allergies name {name}: {'; '.join(found)}."
    free_text = (patient.allergies or "").lower()
    if name in free_text:
        return f"The patient's allergies written at registration name {name}: “{patient.allergies.strip()}”."
    return ""


def check_dose(
    line: OrderLine, patient: Patient, at: datetime, amount: Decimal, measured: dict[str, Any]
) -> dict[str, str]:
    """Every rule a dose of `amount` mg at `at` breaks, by rule; {} when it may be given."""
    entry = line.entry
    errors: dict[str, str] = {}
    name = entry.drug_name.lower()
    if amount < line.dose_min or amount > line.dose_max:
        allowed = (
            dose_text(line.dose_min)
            if line.dose_min == line.dose_max
            else (f"{dose_text(line.dose_min)}-{dose_text(line.dose_max)}")
        )
        errors["dose"] = f"{dose_text(amount)} mg is outside the ordered dose of {name}: {allowed} mg."
    doses = doses_of_drug(patient, entry.drug, at)
    close = limits.too_close(at, doses, line.min_interval)
    if close is not None:
        gap = int(abs((at - close.at).total_seconds()) // 60)
        side = "before" if close.at <= at else "after"
        apart = f"{interval_text(gap)} {side} this dose" if gap else "the same minute"
        errors["interval"] = (
            f"Too soon: {name} was given at {_local(close.at)}, {apart}; the minimum interval is {line.interval_text}."
            + (f" Next allowed at {_local(close.at + line.min_interval)}." if close.at <= at else "")
        )
    maximum, origin = daily_maximum(line, patient)
    peak, _end = limits.peak_with(at, amount, doses)
    if peak > maximum:
        errors["daily_maximum"] = (
            f"{dose_text(amount)} mg would bring {name} to {dose_text(peak)} mg in 24 hours, above the maximum of "
            f"{dose_text(maximum)} mg per 24 h ({origin}); {dose_text(limits.remaining(at, doses, maximum))} mg "
            "remains."
        )
    errors |= hold_problems(entry, patient, at, measured)
    allergy = allergy_problem(patient, entry.drug)
    if allergy:
        errors["allergy"] = allergy
    return errors


def _clean_vitals(vitals: Any, errors: dict[str, str]) -> dict[str, Any]:
    measured = {}
    for key, high in (("pulse_bpm", 300), ("systolic_mmhg", 300)):
        value = (vitals or {}).get(key)
        if value not in (None, ""):
            number = _whole(value, errors, f"vitals.{key}", high=high)
            if number is not None:
                measured[key] = number
    return measured


def give_dose(
    *,
    acting_user: User,
    patient: Patient,
    line: OrderLine | None,
    at: datetime,
    dose: Any = None,
    status: str = Dose.Status.GIVEN,
    reason: str = "",
    vitals: dict[str, Any] | None = None,
    note: str = "",
) -> Dose:
    """Record an as-needed dose given, held or refused under the patient's active order set. A given dose is
    refused, naming the rule and its numbers and saving nothing, when the drug is not in the active order set, the
    dose is outside the ordered range, inside the minimum interval, over the 24-hour maximum (every dose of the
    drug counts), a hold parameter is met or its vital signs are missing or too old, or the allergies name it.
    The refusal is audited."""
    require(acting_user, patient.program_id, MOUD_ADMINISTER)
    try:
        return _give(
            acting_user=acting_user, patient=patient, line=line, at=at, dose=dose, status=status, reason=reason,
            vitals=vitals, note=note,
        )  # fmt: skip
    except ValidationError as error:
        audit.record(
            acting_user,
            "comfort.dose.refused",
            patient=patient,
            outcome=AuditEvent.Outcome.DENIED,
            detail={"line": getattr(line, "pk", None), "rules": sorted(error.message_dict)},
        )
        raise


@transaction.atomic
def _give(
    *,
    acting_user: User,
    patient: Patient,
    line: OrderLine | None,
    at: datetime,
    dose: Any,
    status: str,
    reason: str,
    vitals: dict[str, Any] | None,
    note: str,
) -> Dose:
    errors: dict[str, str] = {}
    if status not in Dose.Status.values:
        raise ValidationError({"status": f"Choose one of: {', '.join(Dose.Status.values)}."})
    if at > timezone.now() + CLOCK_SKEW:
        errors["at"] = "This time is in the future."
    # sanctioned (not visible_patients): locks the row of a patient the caller found, serialising dose checks
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    order = active_order(patient, at)
    if line is None or order is None or line.order_id != order.pk or line.order.patient_id != patient.pk:
        raise ValidationError(
            {"line": "This drug is not in the patient's active comfort-medication order: a prescriber orders it first."}
        )
    measured = _clean_vitals(vitals, errors)
    amount = None
    if status == Dose.Status.GIVEN:
        amount = _mg(dose, errors, "dose")
        if amount is not None and not errors:
            errors |= check_dose(line, patient, at, amount, measured)
    else:
        if dose not in (None, ""):
            errors["dose"] = "A dose is recorded only when the medication was given."
        if not (reason or "").strip():
            errors["reason"] = (
                "Say why the dose was held." if status == Dose.Status.HELD else "Say what the patient said."
            )
    if errors:
        raise ValidationError(errors)
    entry = line.entry
    record = Dose.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode_at(patient, at),
        line=line,
        entry=entry,
        drug=entry.drug,
        symptom=entry.symptom,
        status=status,
        dose_mg=amount,
        at=at,
        reason=(reason or "").strip(),
        note=note,
        recorded_by=acting_user,
        follow_up_due_at=at + timedelta(minutes=entry.follow_up_minutes) if amount is not None else None,
        **measured,
    )
    summary = {
        "given": f"Comfort medication given for {entry.symptom_name.lower()}: {record.label}",
        "held": f"Comfort medication held: {entry.drug_name.lower()} ({record.reason})",
        "refused": f"Comfort medication refused by the patient: {entry.drug_name.lower()}",
    }[status]
    write_timeline(patient, f"comfort.{status}", summary, at=at, by=acting_user, episode=record.episode)
    audit.record(
        acting_user,
        f"comfort.dose.{status}",
        patient=patient,
        obj=record,
        detail={"line": line.pk, "entry": entry.pk, "dose": str(amount) if amount is not None else None},
    )
    return record


@transaction.atomic
def record_follow_up(
    *, acting_user: User, dose: Dose, outcome: str, note: str = "", at: datetime | None = None
) -> Dose:
    """The effectiveness follow-up of a given dose: eased, unchanged or worse."""
    require(acting_user, dose.program_id, MOUD_ADMINISTER)
    if outcome not in Dose.Outcome.values:
        raise ValidationError({"outcome": "Choose eased, unchanged or worse."})
    dose = Dose.objects.select_for_update().get(pk=dose.pk)
    if dose.status != Dose.Status.GIVEN or not dose.in_force:
        raise ValidationError({"outcome": "Only a dose given (and not entered in error) has a follow-up."})
    if dose.follow_up_at is not None:
        raise ValidationError({"outcome": "The follow-up of this dose is already recorded."})
    dose.follow_up_at, dose.follow_up_outcome = at or timezone.now(), outcome
    dose.follow_up_note, dose.follow_up_by = note, acting_user
    dose.save(update_fields=["follow_up_at", "follow_up_outcome", "follow_up_note", "follow_up_by"])
    write_timeline(
        dose.patient, "comfort.follow_up", f"Follow-up of {dose.label}: {dose.get_follow_up_outcome_display().lower()}",
        at=dose.follow_up_at, by=acting_user, episode=dose.episode,
    )  # fmt: skip
    audit.record(acting_user, "comfort.dose.follow_up", patient=dose.patient, obj=dose, detail={"outcome": outcome})
    return dose


@transaction.atomic
def mark_entered_in_error(*, acting_user: User, dose: Dose, reason: str) -> Dose:
    require(acting_user, dose.program_id, MOUD_ADMINISTER)
    dose = Dose.objects.select_for_update().get(pk=dose.pk)
    return records.mark_entered_in_error(
        dose,
        acting_user=acting_user,
        reason=reason,
        noun="dose",
        audit_action="comfort.dose.entered_in_error",
        timeline=lambda marked, at: marked.write_timeline(
            "comfort.dose", f"Comfort dose entered in error: {marked.label}", at=at, by=acting_user
        ),
    )
