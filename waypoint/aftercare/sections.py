from .models import ContinuingCarePlan, FollowUp, ReEngagementTask


def aftercare_body(request, patient):
    """The chart's after-discharge section: the latest plans with their packets, follow-ups and open tasks."""
    plans = list(ContinuingCarePlan.objects.filter(patient=patient).select_related("episode")[:3])
    if not plans:
        return None
    follow_ups = FollowUp.objects.filter(patient=patient).select_related("plan").order_by("-due_on")[:10]
    tasks = ReEngagementTask.objects.filter(patient=patient, status=ReEngagementTask.Status.OPEN)
    return (
        "aftercare/_chart.html",
        {"patient": patient, "plans": plans, "follow_ups": follow_ups, "tasks": list(tasks)},
    )
