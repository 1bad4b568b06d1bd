from waypoint.accounts.roles import CHART_READ, EPISODE_MANAGE
from waypoint.patients.access import has_permission


def consent_review(request, patient):
    """On the chart: the patient's consents that expire soon or were signed on a since-revised text."""
    from .services import consents_to_review

    if not has_permission(request.user, patient.program_id, CHART_READ):
        return None
    items = consents_to_review(patient.program, patient=patient)
    return ("regulatory/_consent_review.html", {"items": items, "patient": patient}) if items else None


def dual_enrollment(request, patient):
    """In the chart's header, for an admitted patient: the answer about enrollment in another opioid treatment
    program, or that it is still to be recorded."""
    from .registry import dual_enrollment as answer_of

    if not has_permission(request.user, patient.program_id, CHART_READ):
        return None
    episode, answer = answer_of(patient)
    if episode is None:
        return None
    can_record = answer is None and has_permission(request.user, patient.program_id, EPISODE_MANAGE)
    return (
        "regulatory/_dual_enrollment.html",
        {"answer": answer, "patient": patient, "can_record": can_record},
    )
