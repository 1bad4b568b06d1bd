from .models import FollowUp
from .services import current_history, risk_picture


def overdose_header(request, patient):
    """The chart header's overdose-risk line: level, present factors with their sources."""
    return ("screening/_chart_overdose.html", {"patient": patient, "risk": risk_picture(patient)})


def screening_body(request, patient):
    """Open follow-ups and the screening links."""
    follow_ups = FollowUp.objects.filter(patient=patient, status__in=FollowUp.OPEN)
    return (
        "screening/_chart_screening.html",
        {"patient": patient, "follow_ups": follow_ups, "history": current_history(patient)},
    )
