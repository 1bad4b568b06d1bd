"""MOUD pages: the medication page (orders, dose record, induction doses with the COWS around them, the chart),
ordering and stopping (prescribers), recording a dose (nurses and prescribers)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.accounts.roles import CHART_READ, MOUD_ADMINISTER, MOUD_ORDER
from waypoint.patients.access import access_patient, access_record, has_permission, require
from waypoint.patients.services import record_read
from waypoint.patients.views import save_and_redirect
from waypoint.withdrawal import charts_data
from waypoint.withdrawal.models import Assessment

from . import catalog, induction, services, settings
from .doses import induction_doses
from .forms import AdministrationForm, OrderForm, StopForm
from .models import Administration, MedicationOrder


def _now_local():
    return timezone.localtime().replace(second=0, microsecond=0)


def _ceilings(program) -> dict:
    """The program's dose ceilings in words, which medications have none, and where they come from."""
    rows = [
        {
            "medication": catalog.MEDICATIONS[code].name,
            "single": settings.ceiling(settings.MAX_DOSE, program, code),
            "daily": settings.ceiling(settings.MAX_DAILY, program, code),
        }
        for code in settings.MAX_DOSE
    ]
    return {
        "rows": rows,
        "missing": [row["medication"] for row in rows if row["single"] is None and row["daily"] is None],
        "source": settings.CEILINGS_SOURCE.get(program),
    }


@require_GET
def medication_page(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    orders = list(MedicationOrder.objects.filter(patient=patient).select_related("prescriber", "stopped_by"))
    administrations = list(Administration.objects.filter(patient=patient).select_related("order", "recorded_by")[:100])
    induction = induction_doses(patient)
    chart = None
    if induction:
        current = list(Assessment.objects.in_force().filter(patient=patient))
        chart = charts_data.flowsheet_chart(patient, current)
    record_read(request.user, "medication.read", patient=patient)
    return render(
        request,
        "medication/page.html",
        {
            "patient": patient,
            "orders": orders,
            "administrations": administrations,
            "induction": induction,
            "chart": chart,
            "now": timezone.now(),
            "ceilings": _ceilings(patient.program),
            "can_order": has_permission(request.user, patient.program_id, MOUD_ORDER),
            "can_administer": has_permission(request.user, patient.program_id, MOUD_ADMINISTER),
            "stop_form": StopForm(initial={"stop_at": _now_local()}),
        },
    )


@require_http_methods(["GET", "POST"])
def order_new(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, MOUD_ORDER)
    form = OrderForm(request.POST or None, initial={"start_at": _now_local()})
    if done := save_and_redirect(
        request,
        form,
        lambda data: services.order_medication(acting_user=request.user, patient=patient, **data),
        success=lambda order: f"Ordered: {order.label}, {order.schedule}.",
        then=reverse("medication:page", args=[patient.pk]),
    ):
        return done
    return render(
        request,
        "medication/form.html",
        {
            "patient": patient,
            "form": form,
            "title": "Order MOUD",
            "button": "Sign the order",
            "ceilings": _ceilings(patient.program),
        },
    )


@require_http_methods(["GET", "POST"])
def order_stop(request, pk, order_id):
    patient = access_patient(request.user, pk)
    order = access_record(patient, MedicationOrder, order_id)
    require(request.user, patient.program_id, MOUD_ORDER)
    form = StopForm(request.POST or None, initial={"stop_at": _now_local()})
    if done := save_and_redirect(
        request,
        form,
        lambda data: services.stop_order(acting_user=request.user, order=order, **data),
        success=f"Stopped: {order.label}.",
        then=reverse("medication:page", args=[patient.pk]),
    ):
        return done
    return render(
        request,
        "medication/form.html",
        {"patient": patient, "form": form, "title": f"Stop {order.label}", "button": "Stop the order"},
    )


@require_http_methods(["GET", "POST"])
def administer(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, MOUD_ADMINISTER)
    orders = MedicationOrder.objects.filter(patient=patient).order_by("-start_at", "-id")
    active = [o for o in orders if o.is_active()]
    initial = {"at": _now_local()}
    if len(active) == 1:
        initial |= {"order": str(active[0].pk), "dose": active[0].dose}
    form = AdministrationForm(request.POST or None, orders=orders, initial=initial)
    if done := save_and_redirect(
        request,
        form,
        lambda data: services.record_administration(
            acting_user=request.user,
            patient=patient,
            order=form.chosen_order(),
            **{name: value for name, value in data.items() if name != "order"},  # the order chosen, not its id
        ),
        success=lambda record: f"{record.get_status_display()}: {record.label}.",
        then=reverse("medication:page", args=[patient.pk]),
    ):
        return done
    return render(
        request,
        "medication/form.html",
        {
            "patient": patient,
            "form": form,
            "title": "Record a dose",
            "button": "Record",
            "no_active": not active,
            "induction": _induction_check(patient, active),
        },
    )


def _induction_check(patient, active):
    """What the dose form shows above an induction dose: the latest COWS, its time, the threshold and window."""
    if not any(induction.needs_cows(order) for order in active):
        return None
    now = timezone.now()
    found = induction.check(patient, now)
    return {"check": found, "problem": found.problem(now)}


@require_POST
def administration_in_error(request, pk, administration_id):
    patient = access_patient(request.user, pk)
    record = access_record(patient, Administration, administration_id)
    try:
        services.mark_administration_in_error(
            acting_user=request.user, administration=record, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, f"Dose record of {timezone.localtime(record.at):%Y-%m-%d %H:%M}: {message}")
    else:
        messages.success(request, "Dose record marked entered in error.")
    return redirect("medication:page", pk=patient.pk)
