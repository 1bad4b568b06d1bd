"""The comfort-medication lines of the withdrawal board (registered in waypoint.withdrawal.board.NOTE_SOURCES): each
patient's comfort doses of the last 24 hours and every follow-up not yet recorded, due or overdue. One query."""

from datetime import timedelta

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from waypoint.medication.catalog import ROUTES, dose_text
from waypoint.web.ids import AmongIds
from waypoint.withdrawal.board import Note

from . import catalog
from .models import Dose

RECENT = timedelta(hours=24)


def board_notes(patient_ids, now) -> dict[int, list[Note]]:
    found: dict[int, list[Note]] = {}
    rows = (
        Dose.objects.in_force()
        .filter(AmongIds(F("patient_id"), patient_ids), status=Dose.Status.GIVEN, at__gte=now - RECENT)
        .order_by("-at", "-id")
        .values_list("pk", "patient_id", "drug", "dose_mg", "entry__route", "at", "follow_up_due_at", "follow_up_at")
    )
    last_shown: dict[int, int] = {}
    for pk, patient_id, drug, mg, route, at, due, done in rows:
        label = f"{catalog.DRUGS[drug].lower()} {dose_text(mg)} mg {ROUTES.get(route, route)}"
        notes = found.setdefault(patient_id, [])
        if due is not None and done is None:
            overdue = now > due
            when = f"{'overdue since' if overdue else 'due at'} {timezone.localtime(due):%H:%M}"
            url = reverse("comfort:follow-up", args=[patient_id, pk])
            code = "follow-up-overdue" if overdue else "follow-up-due"
            notes.append(Note(code, f"Follow-up of {label} {when}", url, "Record the follow-up"))
        if last_shown.get(patient_id, 0) < 2:  # the last two comfort doses
            last_shown[patient_id] = last_shown.get(patient_id, 0) + 1
            notes.append(Note("comfort", f"Comfort dose: {label} at {timezone.localtime(at):%H:%M}"))
    return found
