"""The demo gives withdrawal patients comfort medications under the demo protocol ("demo — not clinical guidance"):
an active order set and today's doses given, held and refused, follow-ups recorded, due and overdue, so the MAR and
the withdrawal board show real data. Every dose goes through the dose service, so every check applied."""

import io

from django.core.management import call_command

from waypoint.accounts.models import User
from waypoint.comfort.models import ComfortOrder, Dose
from waypoint.patients.access import visible_patients
from waypoint.withdrawal import board


def test_the_demo_patients_have_orders_doses_holds_and_follow_ups(db, page):
    call_command("demo", "--patients", "8", stdout=io.StringIO())
    orders = ComfortOrder.objects.filter(program__slug="demo", stop_at__isnull=True)
    assert orders.exists() and all(order.protocol.is_demo for order in orders)  # two with the default 40 patients
    doses = Dose.objects.filter(program__slug="demo")
    assert {"given", "held"} <= set(doses.values_list("status", flat=True))
    assert doses.filter(follow_up_at__isnull=False).exists()
    assert doses.filter(status="given", follow_up_at__isnull=True).count() >= 2
    nurse = User.objects.get(username="nurse")
    program = orders.first().program
    notes = [note.code for row in board.build(program, visible_patients(nurse, program)) for note in row.notes]
    assert "follow-up-due" in notes and "follow-up-overdue" in notes
    patient = orders.first().patient
    mar = page(nurse).get(f"/patients/{patient.pk}/comfort/").content.decode()
    assert "demo — not clinical guidance" in mar and "loperamide 4 mg" in mar.lower()
