"""The dosing window's section on the patient chart: take-home bottles out, call-backs and their results, and
safe-storage education (shown to staff who may dispense)."""

from waypoint.accounts.roles import MOUD_ADMINISTER
from waypoint.patients.access import has_permission

from .models import CallBack, SafeStorageEducation, TakeHomeBottle


def dispensing_body(request, patient):
    if not has_permission(request.user, patient.program_id, MOUD_ADMINISTER):
        return None
    call_backs = list(CallBack.objects.filter(patient=patient).select_related("recorded_by")[:5])
    education = SafeStorageEducation.objects.filter(patient=patient).select_related("given_by").first()
    out = list(TakeHomeBottle.objects.filter(patient=patient, returned_at__isnull=True).order_by("take_on")[:28])
    if not call_backs and education is None and not out:
        return None
    return (
        "dispensing/_chart_dispensing.html",
        {
            "patient": patient,
            "call_backs": call_backs,
            "education": education,
            "out": out,
            "last_day": out[-1].take_on if out else None,
        },
    )
