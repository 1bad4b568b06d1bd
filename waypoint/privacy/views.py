"""Privacy pages: break-the-glass access and the privacy officer's break-the-glass report."""

import csv
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from waypoint.accounts.roles import BREAK_GLASS, PRIVACY_REPORTS
from waypoint.patients.access import require
from waypoint.patients.views import add_errors, program_or_403

from . import audit, services
from .forms import BreakGlassForm, DateRangeForm
from .models import EmergencyAccess


@require_http_methods(["GET", "POST"])
def break_glass(request):
    program = program_or_403(request)
    require(request.user, program.pk, BREAK_GLASS)
    form = BreakGlassForm(request.POST or None, initial={"mrn": request.GET.get("mrn", "")})
    if request.method == "POST" and form.is_valid():
        try:
            patient, access = services.break_the_glass(acting_user=request.user, program=program,
                                                       **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            if access is not None:
                messages.warning(request, f"Emergency access to {patient.display_name} until "
                                 f"{timezone.localtime(access.expires_at):%H:%M}. It is logged and reported.")
            return redirect(patient)
    return render(request, "privacy/break_glass.html", {"form": form})


def _range(request):
    form = DateRangeForm(request.GET or None)
    since = until = None
    if form.is_valid():
        if form.cleaned_data["since"]:
            since = timezone.make_aware(datetime.combine(form.cleaned_data["since"], time.min))
        if form.cleaned_data["until"]:
            until = timezone.make_aware(datetime.combine(form.cleaned_data["until"], time.min)) + timedelta(days=1)
    return form, since, until


@require_GET
def break_glass_report(request):
    program = program_or_403(request)
    require(request.user, program.pk, PRIVACY_REPORTS)
    form, since, until = _range(request)
    rows = EmergencyAccess.objects.filter(program=program).select_related("user", "patient")
    if since:
        rows = rows.filter(started_at__gte=since)
    if until:
        rows = rows.filter(started_at__lt=until)
    audit.record(request.user, "privacy.break_glass_report.read", program=program)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="break-the-glass.csv"'
        writer = csv.writer(response)
        writer.writerow(["started_at", "expires_at", "user", "patient_mrn", "reason"])
        for row in rows:
            writer.writerow([row.started_at.isoformat(), row.expires_at.isoformat(), row.user.username,
                             row.patient.mrn, row.reason])
        return response
    return render(request, "privacy/break_glass_report.html", {"form": form, "rows": rows})
