"""Which patients in care need a placement (re)assessment: due at admission, at every change of level of care,
and at the program's interval after the last one."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from waypoint.patients.models import LevelOfCareStay

from .models import PlacementAssessment
from .settings import OVERDUE_AFTER_DAYS, REASSESSMENT_INTERVAL_DAYS


@dataclass
class Due:
    patient: object
    stay: LevelOfCareStay
    latest: PlacementAssessment | None
    due_at: datetime
    why: str
    overdue: bool


def due_for(program, patients, now=None) -> list[Due]:
    """Rows for the given patients (a queryset already scoped to what the user may see), most urgent first."""
    now = now or timezone.now()
    interval = REASSESSMENT_INTERVAL_DAYS.get(program)
    overdue_after = OVERDUE_AFTER_DAYS.get(program)
    stays = {
        s.patient_id: s
        for s in LevelOfCareStay.objects.filter(
            program=program, ended_at__isnull=True, patient__in=patients
        ).select_related("patient")
    }
    latest: dict[int, PlacementAssessment] = {}
    for placement in PlacementAssessment.objects.filter(patient_id__in=stays).order_by("patient_id", "-at", "-id"):
        latest.setdefault(placement.patient_id, placement)
    rows = []
    for patient_id, stay in stays.items():
        last = latest.get(patient_id)
        if last is None or last.at < stay.started_at:
            due_at, why = stay.started_at, f"no placement since {stay.level_code} began"
        elif interval:
            due_at, why = last.at + timedelta(days=interval), f"{interval} days since the last placement"
        else:
            continue
        if due_at > now:
            continue
        overdue = overdue_after is not None and now > due_at + timedelta(days=overdue_after)
        rows.append(Due(stay.patient, stay, last, due_at, why, overdue))
    return sorted(rows, key=lambda row: row.due_at)
