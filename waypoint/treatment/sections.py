"""The chart's treatment sections: a header line when a plan review is due, and the body's plan, sessions and
notes. SUD counseling notes never appear here (only a link for those who may keep them)."""

from django.utils import timezone

from waypoint.accounts.roles import CHART_READ
from waypoint.patients.access import has_permission

from .due import due_for
from .models import GroupNoteEntry, ProgressNote, Session, TreatmentPlan
from .outcomes import attendance_rate_by_modality, plan_objective_status
from .services import may_keep_counseling_notes


def plan_header(request, patient):
    """A header line when the plan is due for writing or review (overdue in the program's terms)."""
    if not has_permission(request.user, patient.program_id, CHART_READ):
        return None
    due = next(iter(due_for(patient.program, [patient])), None)
    if due is None:
        return None
    return "treatment/_chart_header.html", {"patient": patient, "due": due}


def treatment_body(request, patient):
    if not has_permission(request.user, patient.program_id, CHART_READ):
        return None
    episode = patient.episodes.filter(discharged_at__isnull=True).first()
    plan = TreatmentPlan.objects.filter(episode=episode).first() if episode else None
    status = plan_objective_status(patient)
    upcoming = Session.objects.filter(roster__patient=patient, ends_at__gte=timezone.now()).order_by("starts_at")[:5]
    parts = (
        GroupNoteEntry.objects.filter(patient=patient)
        .select_related("note__session")
        .order_by("-note__session__starts_at")[:3]
    )
    notes = ProgressNote.objects.filter(patient=patient).select_related("written_by")[:3]
    return "treatment/_chart_section.html", {
        "patient": patient,
        "episode": episode,
        "plan": plan,
        "status": status,
        "upcoming": upcoming,
        "group_parts": parts,
        "notes": notes,
        "can_counsel": may_keep_counseling_notes(request.user, patient),
    }


def treatment_progress(request, patient):
    """The progress page's attendance (this episode's sessions, by modality) and where each plan objective
    stands. Counseling notes are not part of it."""
    if not has_permission(request.user, patient.program_id, CHART_READ):
        return None
    episode = (
        patient.episodes.filter(discharged_at__isnull=True).first() or patient.episodes.order_by("-admitted_at").first()
    )
    attendance = []
    if episode is not None:
        attendance = attendance_rate_by_modality(
            patient.program, episode.admitted_at, episode.discharged_at or timezone.now(), patient=patient
        )
    return "treatment/_progress.html", {
        "patient": patient,
        "episode": episode,
        "attendance": attendance,
        "status": plan_objective_status(patient),
    }
