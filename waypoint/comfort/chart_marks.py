"""The comfort doses given in the last 72 hours as marks of their own ("prn") on the withdrawal trend chart
(registered in waypoint.withdrawal.charts_data.MARKER_SOURCES): one query."""

from datetime import timedelta

from django.utils import timezone

from waypoint.medication.catalog import ROUTES, dose_text
from waypoint.withdrawal.charts import Marker

from . import catalog
from .models import Dose

SHOWN = timedelta(hours=72)


def prn_marks(patient) -> list[Marker]:
    rows = (
        Dose.objects.in_force()
        .filter(patient=patient, status=Dose.Status.GIVEN, at__gte=timezone.now() - SHOWN)
        .order_by("at", "id")
        .values_list("drug", "dose_mg", "entry__route", "at")
    )
    return [
        Marker(at, f"PRN {catalog.DRUGS[drug].lower()} {dose_text(mg)} mg {ROUTES.get(route, route)}", "prn")
        for drug, mg, route, at in rows
    ]
