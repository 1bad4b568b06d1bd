"""Doses as the withdrawal area sees them, and the COWS scores around each induction dose.

`given_doses` is registered in `waypoint.withdrawal.board.DOSE_SOURCES`: the board shortens the COWS interval
after a dose (program settings withdrawal.post_dose_*) and the flowsheet chart marks each dose.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from waypoint.web.ids import AmongIds
from waypoint.withdrawal.board import Dose
from waypoint.withdrawal.models import Assessment

from . import catalog
from .models import Administration, Phase

RECENT = timedelta(days=30)  # how far back the board and flowsheet look for doses


def given_doses(patient_ids) -> dict[int, list[Dose]]:
    """Each patient's doses given in the last 30 days, newest first (one query)."""
    found: dict[int, list[Dose]] = {}
    rows = (
        Administration.objects.in_force()
        .filter(
            AmongIds(F("patient_id"), patient_ids),
            status=Administration.Status.GIVEN,
            at__gte=timezone.now() - RECENT,
        )
        .order_by("-at", "-id")  # plain tuples, not models: the board reads this for every patient
        .values_list("patient_id", "at", "order__medication", "dose", "order__dose", "unit", "order__route")
    )
    for patient_id, at, medication, dose, ordered, unit, route in rows:
        label = catalog.label(medication, dose if dose is not None else ordered, unit, route)  # = Administration.label
        found.setdefault(patient_id, []).append(Dose(at, label))
    return found


@dataclass(frozen=True)
class InductionDose:
    dose: Administration
    before: Assessment | None  # the latest COWS after the previous dose, at or before this one
    after: Assessment | None  # the first COWS after this dose, before the next one

    @property
    def change(self) -> int | None:
        if self.before is None or self.after is None:
            return None
        return self.after.total - self.before.total

    @staticmethod
    def gap(a: datetime, b: datetime) -> str:
        minutes = round(abs((b - a).total_seconds()) / 60)
        return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"

    @property
    def before_gap(self) -> str:
        return self.gap(self.before.taken_at, self.dose.at) if self.before else ""

    @property
    def after_gap(self) -> str:
        return self.gap(self.dose.at, self.after.taken_at) if self.after else ""


def pair_with_cows(doses: list[Administration], cows: list[Assessment]) -> list[InductionDose]:
    """Each dose with the COWS just before and just after it. The intervals between consecutive doses split the
    scores, so one COWS is never counted as both 'after' one dose and 'before' the next unless taken between
    them: before = latest score in (previous dose, this dose]; after = earliest score in (this dose, next dose)."""
    doses = sorted(doses, key=lambda d: (d.at, d.pk))
    cows = sorted(cows, key=lambda a: (a.taken_at, a.pk))
    rows = []
    for n, dose in enumerate(doses):
        previous = doses[n - 1].at if n else None
        following = doses[n + 1].at if n + 1 < len(doses) else None
        before = [a for a in cows if a.taken_at <= dose.at and (previous is None or a.taken_at > previous)]
        after = [a for a in cows if a.taken_at > dose.at and (following is None or a.taken_at < following)]
        rows.append(InductionDose(dose, before[-1] if before else None, after[0] if after else None))
    return rows


def induction_doses(patient) -> list[InductionDose]:
    """The patient's given doses on induction-phase orders, each with the COWS around it (current versions)."""
    doses = list(
        Administration.objects.in_force()
        .filter(patient=patient, status=Administration.Status.GIVEN, order__phase=Phase.INDUCTION)
        .select_related("order", "recorded_by")
    )
    if not doses:
        return []
    cows = list(Assessment.objects.in_force().filter(patient=patient, instrument="cows"))
    return pair_with_cows(doses, cows)
