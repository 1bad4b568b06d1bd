from waypoint.accounts.roles import CHART_READ
from waypoint.patients.access import has_permission

from .models import PlacementAssessment


def latest_placement(request, patient):
    """The chart body's placement section: the latest assessment, recommendation versus decision."""
    if not has_permission(request.user, patient.program_id, CHART_READ):
        return None
    from .due import due_for

    latest = PlacementAssessment.objects.filter(patient=patient).select_related("decided_by").first()
    due = next(iter(due_for(patient.program, [patient])), None)
    return "placements/_chart_section.html", {"patient": patient, "latest": latest, "due": due}
