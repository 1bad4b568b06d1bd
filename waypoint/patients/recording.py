"""What every clinical service does when it records something about a patient: find the episode of care the
record belongs to, and write the patient's timeline line (capped to the column's 300 characters)."""

from datetime import datetime

from waypoint.accounts.models import User

from .models import Episode, Patient, TimelineEntry

SUMMARY_LIMIT: int = TimelineEntry._meta.get_field("summary").max_length or 300


def episode_at(patient: Patient, at: datetime) -> Episode | None:
    """The episode of care the patient was in at that time (admitted by then, not discharged before), if any."""
    return (
        Episode.objects.filter(patient=patient, admitted_at__lte=at)
        .exclude(discharged_at__lt=at)
        .order_by("-admitted_at")
        .first()
    )


def capped(summary: str) -> str:
    """The summary as it fits the timeline: a longer one is cut and ends with an ellipsis."""
    return summary if len(summary) <= SUMMARY_LIMIT else summary[: SUMMARY_LIMIT - 1] + "…"


def write_timeline(
    patient: Patient, kind: str, summary: str, *, at: datetime, by: User, episode: Episode | None = None
) -> TimelineEntry:
    """One line on the patient's timeline, in the caller's transaction."""
    return TimelineEntry.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode,
        occurred_at=at,
        kind=kind,
        summary=capped(summary),
        recorded_by=by,
    )
