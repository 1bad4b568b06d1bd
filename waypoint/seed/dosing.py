"""An opioid treatment program at scale, for the dosing window's benchmark and demos: `waypoint seed --otp`
gives every seeded patient a methadone order and a year (or `days`) of daily observed doses at the window, a
take-home bottle for each closed Sunday (under a signed take-home decision and recorded safe-storage education), a
few missed days, and the stock those doses came from, on the ledger (receipts and one outflow per dose or
bottle, so the balance stays the sum of the ledger). Synthetic data only, deterministic for a seed; loaded with
bulk inserts in one transaction, after `run.seed` made the patients."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from waypoint.accounts.models import Program, User
from waypoint.accounts.scoping import scopes_disabled
from waypoint.dispensing.models import (
    LedgerEntry,
    SafeStorageEducation,
    StockLot,
    TakeHomeBottle,
    TakeHomeDecision,
    WindowDose,
)
from waypoint.dispensing.services import CRITERIA
from waypoint.medication.models import Administration, MedicationOrder
from waypoint.patients.models import Patient

DOSES = (Decimal("40"), Decimal("60"), Decimal("80"), Decimal("100"), Decimal("120"))
BATCH = 5000


@dataclass
class OtpResult:
    patients: int
    doses: int
    bottles: int
    ledger_entries: int


def _nurse(program: Program) -> User:
    return User.objects.get(username=f"seed-nurse-1@{program.slug}")


def seed_otp(program: Program, *, days: int, seed: int = 1, now: datetime | None = None) -> OtpResult:
    """Dose every patient of the (seeded) program for the last `days` program days up to yesterday, and today's
    dose for half of them (the rest are still due at the window)."""
    rng = random.Random(seed)
    zone = ZoneInfo(program.time_zone)
    now = (now or datetime.now(UTC)).astimezone(zone)
    today = now.date()
    first = today - timedelta(days=days)
    nurse = _nurse(program)
    with transaction.atomic(), scopes_disabled():  # sanctioned: the seed loads synthetic rows into its own program
        patients = list(Patient.objects.filter(program=program).order_by("pk"))
        lot = StockLot.objects.create(
            program=program, medication="methadone", strength="10 mg/mL", lot_number=f"SEED-{seed}"
        )
        start_at = datetime.combine(first, time(7, 0), tzinfo=zone)
        orders = MedicationOrder.objects.bulk_create(
            [
                MedicationOrder(
                    program=program,
                    patient=p,
                    medication="methadone",
                    dose=rng.choice(DOSES),
                    unit="mg",
                    route="oral",
                    times_per_day=1,
                    start_at=start_at,
                    prescriber=nurse,
                    recorded_at=start_at,
                    updated_at=start_at,
                    instructions="Synthetic (seed)",
                )
                for p in patients
            ],
            batch_size=BATCH,
        )
        decisions = TakeHomeDecision.objects.bulk_create(
            [
                TakeHomeDecision(
                    program=program,
                    patient=p,
                    days=1,
                    criteria=dict.fromkeys(CRITERIA, True),
                    basis="Closed Sundays (seed)",
                    day_of_treatment=1,
                    tier="in the first 14 days of treatment",
                    signed_by=nurse,
                    signed_at=start_at,
                )
                for p in patients
            ],
            batch_size=BATCH,
        )
        SafeStorageEducation.objects.bulk_create(
            [SafeStorageEducation(program=program, patient=p, given_by=nurse, at=start_at) for p in patients],
            batch_size=BATCH,
        )
        total = Decimal(0)
        doses = bottles = entries = 0
        administrations: list[Administration] = []
        pending_bottles: list[TakeHomeBottle] = []

        def flush() -> None:
            nonlocal doses, bottles, entries
            made = Administration.objects.bulk_create(administrations, batch_size=BATCH)
            WindowDose.objects.bulk_create(
                [WindowDose(program=program, patient_id=a.patient_id, administration=a, lot=lot) for a in made],
                batch_size=BATCH,
            )
            issued = TakeHomeBottle.objects.bulk_create(pending_bottles, batch_size=BATCH)
            ledger = [
                LedgerEntry(
                    program=program,
                    lot=lot,
                    kind="observed",
                    quantity_mg=-(a.dose or 0),
                    at=a.at,
                    by=nurse,
                    administration=a,
                )
                for a in made
            ] + [
                LedgerEntry(
                    program=program, lot=lot, kind="take_home", quantity_mg=-b.dose, at=b.issued_at, by=nurse, bottle=b
                )
                for b in issued
            ]
            LedgerEntry.objects.bulk_create(ledger, batch_size=BATCH)
            doses, bottles, entries = doses + len(made), bottles + len(issued), entries + len(ledger)
            administrations.clear()
            pending_bottles.clear()

        for patient, order, decision in zip(patients, orders, decisions, strict=True):
            day = first
            while day <= today:
                if day == today and rng.random() < 0.5:
                    break  # still due at today's window
                if day.weekday() == 6:  # a closed Sunday: the bottle was issued on Saturday
                    issued_at = datetime.combine(day - timedelta(days=1), time(9, 0), tzinfo=zone)
                    pending_bottles.append(
                        TakeHomeBottle(
                            program=program,
                            patient=patient,
                            order=order,
                            decision=decision,
                            lot=lot,
                            code=f"S{patient.pk:x}-{day:%y%m%d}",  # at most 16 characters (the column)
                            dose=order.dose,
                            take_on=day,
                            issued_by=nurse,
                            issued_at=issued_at,
                            returned_at=issued_at + timedelta(days=2),
                            returned_by=nurse,
                            returned_empty=True,
                        )
                    )
                    total += order.dose
                elif rng.random() >= 0.03:  # about one day in 33 missed
                    at = datetime.combine(day, time(7, 0), tzinfo=zone) + timedelta(minutes=rng.randrange(0, 600))
                    at = min(at, now - timedelta(minutes=1))
                    administrations.append(
                        Administration(
                            program=program,
                            patient=patient,
                            order=order,
                            status="given",
                            dose=order.dose,
                            at=at,
                            recorded_by=nurse,
                            recorded_at=at,
                        )
                    )
                    total += order.dose
                day += timedelta(days=1)
            if len(administrations) >= BATCH:
                flush()
        flush()
        LedgerEntry.objects.create(
            program=program,
            lot=lot,
            kind="receipt",
            quantity_mg=total + Decimal("10000"),
            at=start_at - timedelta(hours=1),
            by=nurse,
            note="Synthetic stock for the seeded doses",
        )
    return OtpResult(len(patients), doses, bottles, entries + 1)
