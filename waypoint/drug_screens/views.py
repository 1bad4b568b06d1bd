"""The drug screen page: record a screen (form) and read the patient's screens, expected told from unexpected."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from waypoint.accounts.roles import CHART_READ, DRUG_SCREEN_WRITE
from waypoint.patients.access import access_patient, access_record, has_permission, require
from waypoint.patients.services import record_read
from waypoint.patients.views import add_errors

from . import rules, services
from .forms import ScreenForm, field_of
from .models import DrugScreen


@require_http_methods(["GET", "POST"])
def screens_page(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    can_record = has_permission(request.user, patient.program_id, DRUG_SCREEN_WRITE)
    form = ScreenForm(
        request.POST or None, initial={"collected_at": timezone.localtime().replace(second=0, microsecond=0)}
    )
    if request.method == "POST":
        require(request.user, patient.program_id, DRUG_SCREEN_WRITE)
        if form.is_valid():
            try:
                services.record_screen(acting_user=request.user, patient=patient, **form.screen())
            except ValidationError as error:
                add_errors(form, error, field_of=field_of)
            else:
                messages.success(request, "Drug screen recorded.")
                return redirect("drug_screens:page", pk=patient.pk)
    else:
        record_read(request.user, "drug_screen.read", patient=patient)
    screens = services.with_findings(list(DrugScreen.objects.filter(patient=patient).select_related("recorded_by")))
    return render(
        request,
        "drug_screens/page.html",
        {
            "patient": patient,
            "form": form,
            "screens": screens,
            "can_record": can_record,
            "rules": rules.EXPECTED,
            "analytes": rules.ANALYTES,
        },
    )


@require_POST
def screen_in_error(request, pk, screen_id):
    patient = access_patient(request.user, pk)
    screen = access_record(patient, DrugScreen, screen_id)
    try:
        services.mark_screen_in_error(acting_user=request.user, screen=screen, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, f"Screen of {timezone.localtime(screen.collected_at):%Y-%m-%d %H:%M}: {message}")
    else:
        messages.success(request, "Screen marked entered in error.")
    return redirect("drug_screens:page", pk=patient.pk)
