"""Which patients in care need their treatment plan written or reviewed.

A plan review is due at every change of level of care (a stay that began after the plan in force was signed or
last reviewed) and `treatment.review_interval_days` after the last signature or review; it counts as overdue
`treatment.review_overdue_after_days` after falling due. An episode with no signed plan is listed from its
admission ("no signed plan"), under the same overdue rule.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from waypoint.patients.models import LevelOfCareStay

from .models import PlanReview, TreatmentPlan
from .settings import REVIEW_INTERVAL_DAYS, REVIEW_OVERDUE_AFTER_DAYS


@dataclass
class Due:
    patient: object
    stay: LevelOfCareStay
    plan: TreatmentPlan | None
    due_at: datetime
    why: str
    overdue: bool


def due_for(program, patients, now=None) -> list[Due]:
    """Rows for the given patients (already scoped to what the user may see), the longest due first."""
    now = now or timezone.now()
    interval = REVIEW_INTERVAL_DAYS.get(program)
    overdue_after = REVIEW_OVERDUE_AFTER_DAYS.get(program)
    stays = {
        s.patient_id: s
        for s in LevelOfCareStay.objects.filter(
            program=program, ended_at__isnull=True, patient__in=patients
        ).select_related("patient", "episode")
    }
    in_force = {
        p.episode_id: p
        for p in TreatmentPlan.objects.filter(
            program=program, status=TreatmentPlan.Status.SIGNED, episode_id__in=[s.episode_id for s in stays.values()]
        )
    }
    reviewed = dict(
        PlanReview.objects.filter(plan__in=in_force.values())
        .values("plan_id")
        .annotate(last=Max("reviewed_at"))
        .values_list("plan_id", "last")
    )
    rows = []
    for stay in stays.values():
        plan = in_force.get(stay.episode_id)
        if plan is None:
            due_at, why = stay.episode.admitted_at, "no signed treatment plan"
        else:
            last = max(filter(None, [plan.clinician_signed_at, reviewed.get(plan.pk)]))
            if stay.started_at > last:
                due_at, why = stay.started_at, f"level of care changed to {stay.level_code}"
            elif interval:
                due_at, why = last + timedelta(days=interval), f"{interval} days since the last signature or review"
            else:
                continue
        if due_at > now:
            continue
        overdue = overdue_after is not None and now > due_at + timedelta(days=overdue_after)
        rows.append(Due(stay.patient, stay, plan, due_at, why, overdue))
    return sorted(rows, key=lambda row: row.due_at)
