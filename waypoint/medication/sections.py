from datetime import timedelta

from django.utils import timezone

from .models import Administration
from .services import active_orders


def moud_body(request, patient):
    """The chart's MOUD section: active orders, the last dose record, links."""
    return (
        "medication/_chart_moud.html",
        {
            "patient": patient,
            "active": list(active_orders(patient)),
            "last": Administration.objects.in_force().filter(patient=patient).select_related("order").first(),
        },
    )


def moud_progress(request, patient):
    """The progress page's MOUD section: active orders and the last 14 days of the dose record by status."""
    since = timezone.now() - timedelta(days=14)
    counts = dict.fromkeys(Administration.Status.values, 0)
    in_force = Administration.objects.in_force().filter(patient=patient, at__gte=since)
    for status in in_force.values_list("status", flat=True):
        counts[status] += 1
    return (
        "medication/_progress_moud.html",
        {"patient": patient, "active": list(active_orders(patient)), "counts": counts},
    )
