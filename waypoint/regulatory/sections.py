from waypoint.accounts.roles import CHART_READ
from waypoint.patients.access import has_permission


def consent_review(request, patient):
    """On the chart: the patient's consents that expire soon or were signed on a since-revised text."""
    from .services import consents_to_review

    if not has_permission(request.user, patient.program_id, CHART_READ):
        return None
    items = consents_to_review(patient.program, patient=patient)
    return ("regulatory/_consent_review.html", {"items": items, "patient": patient}) if items else None
