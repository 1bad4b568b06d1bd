from django.utils import timezone

from .models import Dose
from .services import active_order


def comfort_body(request, patient):
    """The chart's comfort-medication section: the active order set, the last doses, follow-ups due."""
    order = active_order(patient)
    doses = list(Dose.objects.in_force().filter(patient=patient).select_related("entry")[:5])
    if order is None and not doses:
        return None
    now = timezone.now()
    return (
        "comfort/_chart_comfort.html",
        {
            "patient": patient,
            "order": order,
            "lines": list(order.lines.select_related("entry")) if order else [],
            "doses": doses,
            "due": [d for d in doses if d.follow_up_state(now) in ("due", "overdue")],
            "now": now,
        },
    )
