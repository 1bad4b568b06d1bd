"""The COWS check before a buprenorphine induction dose: the latest COWS, its time, the program's threshold.

A dose needs the reason it is given anyway (`cows_override_reason`) when no COWS was taken within the program's
window before it (medication.induction_cows_window_minutes, else the COWS interval), or when the latest one is
below the program's induction threshold (withdrawal.induction_threshold_cows). The threshold and window are
program settings: no published standard (shared/reference/clinical-scales.md)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from waypoint.withdrawal import settings as protocol
from waypoint.withdrawal.models import Assessment

from . import catalog
from . import settings as medication_settings
from .models import MedicationOrder, Phase


@dataclass(frozen=True)
class InductionCheck:
    latest: Assessment | None  # the newest COWS in force at or before the dose
    window: timedelta
    window_origin: str  # in words: which program setting gave the window
    threshold: int | None

    def problem(self, at: datetime) -> str:
        """Why the dose needs an override reason, in the clinic's words, or "" when it does not."""
        if self.latest is None:
            return "No COWS has been recorded for this patient."
        if self.latest.taken_at < at - self.window:
            return (
                f"The latest COWS ({self.latest.total}, at {timezone.localtime(self.latest.taken_at):%Y-%m-%d %H:%M}) "
                f"is older than the program's window of {catalog.interval_text(self._minutes)} before a dose."
            )
        if self.threshold is not None and self.latest.total < self.threshold:
            return (
                f"The latest COWS ({self.latest.total}) is below the program's induction threshold of {self.threshold}."
            )
        return ""

    @property
    def _minutes(self) -> int:
        return int(self.window.total_seconds() // 60)

    @property
    def window_text(self) -> str:
        return catalog.interval_text(self._minutes)


def needs_cows(order: MedicationOrder) -> bool:
    return order.phase == Phase.INDUCTION and order.medication in catalog.BUPRENORPHINES


def check(patient, at: datetime) -> InductionCheck:
    program = patient.program
    minutes = medication_settings.INDUCTION_COWS_WINDOW_MINUTES.get(program)
    if minutes:
        origin = "the program's induction dose window"
    else:
        minutes = protocol.ASSESSMENT_INTERVAL_HOURS.get(program) * 60
        origin = "the program's interval between COWS assessments"
    latest = (
        Assessment.objects.in_force()
        .filter(patient=patient, instrument="cows", taken_at__lte=at)
        .order_by("-taken_at", "-id")
        .first()
    )
    return InductionCheck(latest, timedelta(minutes=minutes), origin, protocol.INDUCTION_THRESHOLD_COWS.get(program))
