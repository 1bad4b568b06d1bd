"""`waypoint seed --otp`: every seeded patient a methadone order, daily observed doses and a take-home bottle for
each closed Sunday, all on the ledger (the balance is receipts minus every outflow); the queue lists them all."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from waypoint.accounts.models import Program
from waypoint.accounts.scoping import scopes_disabled
from waypoint.bench import measure
from waypoint.dispensing import services
from waypoint.dispensing.models import LedgerEntry, StockLot, TakeHomeBottle
from waypoint.medication.models import Administration

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_the_otp_seed_doses_every_patient_on_the_ledger_and_fills_the_queue(capsys):
    call_command(
        "seed", program="otp", patients=6, days=21, seed=3, in_withdrawal=0, now=NOW.isoformat(), otp=True,
        no_progress=True,
    )  # fmt: skip
    assert "Dosing window: 6 patients" in capsys.readouterr().out
    program = Program.objects.get(slug="otp")
    with scopes_disabled():  # the test reads the program it seeded
        lot = StockLot.objects.get(program=program)
        outflows = LedgerEntry.objects.filter(lot=lot).exclude(kind="receipt").aggregate(s=Sum("quantity_mg"))["s"]
        doses = Administration.objects.filter(program=program, status="given")
        assert doses.count() > 6 * 15 and TakeHomeBottle.objects.filter(program=program).count() == 6 * 3
        assert all(b.take_on.weekday() == 6 for b in TakeHomeBottle.objects.filter(program=program))
        given = sum((d.dose for d in doses), Decimal(0)) + sum(
            (b.dose for b in TakeHomeBottle.objects.filter(program=program)), Decimal(0)
        )
        assert -outflows == given and services.balance(lot) == Decimal("10000.00")
        assert doses.filter(at__gte=NOW - timedelta(days=22)).count() == doses.count()
    times, rows = measure.dosing_queue_times(program, requests=2, warmup=1)
    assert rows == 6 and len(times) == 2
