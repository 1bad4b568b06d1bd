"""The dosing window's reports, read-only: the daily dosing report (given, take-home, held, missed), the
missed-dose list, the ledger by drug and lot, and the inventory of every lot (printable, for the biennial
inventory). Each works in a fixed number of queries whatever the number of patients."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from waypoint.accounts.models import Program
from waypoint.medication import catalog
from waypoint.medication.models import Administration, MedicationOrder
from waypoint.patients.models import Patient

from .models import Hold, LedgerEntry, StockCount, StockLot, TakeHomeBottle
from .services import CENT, day_bounds, dosing_orders, program_day

DAILY_STATUSES = ("Given", "Take-home", "Held", "Missed", "Not yet")


@dataclass
class DailyRow:
    patient: Patient
    order: MedicationOrder
    status: str
    given_mg: Decimal
    detail: str


def daily(program: Program, patients: QuerySet[Patient], day: date) -> list[DailyRow]:
    """Every patient with a dosing order in force on `day`: given (the mg), take-home, held, missed (or not yet,
    for today)."""
    start, end = day_bounds(program, day)
    now = timezone.now()
    at = min(end - timedelta(microseconds=1), now)
    listed = list(patients.filter(program=program).order_by("family_name", "given_name", "pk"))
    orders = dosing_orders([p.pk for p in listed], at)
    ids = list(orders)
    given: dict[int, Decimal] = defaultdict(Decimal)
    for pid, dose in (
        Administration.objects.in_force()
        .filter(patient_id__in=ids, status=Administration.Status.GIVEN, at__gte=start, at__lt=end)
        .values_list("patient_id", "dose")
    ):
        given[pid] += dose or 0
    home = set(TakeHomeBottle.objects.filter(patient_id__in=ids, take_on=day).values_list("patient_id", flat=True))
    held: dict[int, str] = {}
    for hold in Hold.objects.filter(patient_id__in=ids, set_at__lt=end).filter(
        Q(lifted_at__isnull=True) | Q(lifted_at__gt=start)
    ):
        held[hold.patient_id] = f"{hold.get_kind_display()}: {hold.reason}"
    today = program_day(program, now)
    rows = []
    for patient in listed:
        order = orders.get(patient.pk)
        if order is None:
            continue
        if patient.pk in given:
            status, detail = "Given", f"{catalog.dose_text(given[patient.pk])} mg"
        elif patient.pk in home:
            status, detail = "Take-home", ""
        elif patient.pk in held:
            status, detail = "Held", held[patient.pk]
        elif day >= today:
            status, detail = "Not yet", ""
        else:
            status, detail = "Missed", ""
        rows.append(DailyRow(patient, order, status, given.get(patient.pk, Decimal(0)), detail))
    return rows


def totals(rows: list[DailyRow]) -> dict[str, int]:
    counted = dict.fromkeys(DAILY_STATUSES, 0)
    for row in rows:
        counted[row.status] += 1
    return counted


@dataclass
class MissedRow:
    patient: Patient
    order: MedicationOrder
    days: int
    last_dose: date | None


def missed(
    program: Program, patients: QuerySet[Patient], at: datetime | None = None, window: int = 60
) -> list[MissedRow]:
    """Patients with a dosing order who missed the days before today (no dose given, no take-home bottle), most
    days first: consecutive days counted back from yesterday within `window` days and the order's start."""
    at = at or timezone.now()
    today = program_day(program, at)
    first = today - timedelta(days=window)
    listed = {p.pk: p for p in patients.filter(program=program)}
    orders = dosing_orders(list(listed), at)
    start, _ = day_bounds(program, first)
    end, _ = day_bounds(program, today)
    dosed: dict[int, set[date]] = defaultdict(set)
    for pid, when in (
        Administration.objects.in_force()
        .filter(patient_id__in=list(orders), status=Administration.Status.GIVEN, at__gte=start, at__lt=end)
        .values_list("patient_id", "at")
    ):
        dosed[pid].add(program_day(program, when))
    for pid, day in TakeHomeBottle.objects.filter(
        patient_id__in=list(orders), take_on__gte=first, take_on__lt=today
    ).values_list("patient_id", "take_on"):
        dosed[pid].add(day)
    rows = []
    for pid, order in orders.items():
        floor = max(first, program_day(program, order.start_at))
        count, day = 0, today - timedelta(days=1)
        while day >= floor and day not in dosed[pid]:
            count += 1
            day -= timedelta(days=1)
        if count:
            last = max(dosed[pid]) if dosed[pid] else None
            rows.append(MissedRow(listed[pid], order, count, last))
    return sorted(rows, key=lambda r: (-r.days, r.patient.family_name, r.patient.given_name))


@dataclass
class LotLine:
    lot: StockLot
    by_kind: dict[str, Decimal]
    balance: Decimal
    last_count: StockCount | None


def ledger_by_lot(program: Program) -> list[LotLine]:
    """Each lot, by drug and strength: the sum of each kind of movement and the balance (their sum)."""
    sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for lot_id, kind, total in (
        LedgerEntry.objects.filter(program=program)
        .values_list("lot_id", "kind")
        .annotate(total=Sum("quantity_mg"))
        .order_by()
    ):
        sums[lot_id][kind] = Decimal(str(total or 0)).quantize(CENT)
    counts: dict[int, StockCount] = {}
    for count in StockCount.objects.filter(program=program).order_by("at", "id"):
        counts[count.lot_id] = count
    lots = StockLot.objects.filter(program=program).order_by("medication", "strength", "lot_number")
    return [
        LotLine(
            lot,
            {kind: sums[lot.pk].get(kind, Decimal("0.00")) for kind in LedgerEntry.Kind.values},
            sum(sums[lot.pk].values(), Decimal("0.00")).quantize(CENT),
            counts.get(lot.pk),
        )
        for lot in lots
    ]
