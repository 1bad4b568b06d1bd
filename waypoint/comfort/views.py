"""Comfort-medication pages: the medication administration record (MAR) of a patient, giving a dose (with the
limits and what is left shown before the nurse acts), and the effectiveness follow-up."""

from datetime import datetime, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET, require_http_methods

from waypoint.accounts.roles import CHART_READ, MOUD_ADMINISTER, MOUD_ORDER
from waypoint.medication.catalog import dose_text
from waypoint.medication.models import Administration
from waypoint.patients.access import access_patient, access_record, has_permission, require
from waypoint.patients.services import record_read
from waypoint.patients.views import add_errors
from waypoint.web.query import query_parameters

from . import catalog, limits, services
from .forms import DoseForm, FollowUpForm
from .models import Dose

VIEWS = {"day": (24, timedelta(hours=1)), "72h": (24, timedelta(hours=3))}


def _now_local():
    return timezone.localtime().replace(second=0, microsecond=0)


def line_status(line, patient, now) -> dict:
    """What the dose form shows of one drug before the nurse acts: the limits, when the next dose is allowed and
    what remains of the 24-hour maximum now."""
    doses = services.doses_of_drug(patient, line.entry.drug, now)
    maximum, origin = services.daily_maximum(line, patient)
    return {
        "line": line,
        "next_allowed": limits.next_allowed(now, doses, line.min_interval),
        "remaining": dose_text(limits.remaining(now, doses, maximum)),
        "maximum": dose_text(maximum),
        "origin": origin,
        "dose_min": dose_text(line.dose_min),
        "dose_max": dose_text(line.dose_max),
    }


def _grid(patient, start: datetime, slots: int, step: timedelta) -> dict:
    """Every comfort and MOUD dose record between start and start + slots * step, one row per medication."""
    end = start + slots * step
    rows: dict[str, list[list]] = {}

    def place(name, at, text, css):
        index = int((at - start) / step)
        rows.setdefault(name, [[] for _ in range(slots)])[index].append({"text": text, "css": css, "at": at})

    for dose in Dose.objects.in_force().filter(patient=patient, at__gte=start, at__lt=end).select_related("entry"):
        amount = f"{dose_text(dose.dose_mg)} mg " if dose.dose_mg is not None else ""
        place(catalog.DRUGS[dose.drug], dose.at, f"{amount}{dose.get_status_display().lower()}", dose.status)
    for record in (
        Administration.objects.in_force().filter(patient=patient, at__gte=start, at__lt=end).select_related("order")
    ):
        amount = f"{dose_text(record.dose)} {record.unit} " if record.dose is not None else ""
        place(
            f"{record.order.get_medication_display()} (MOUD)",
            record.at,
            f"{amount}{record.get_status_display().lower()}",
            record.status,
        )
    heads = [timezone.localtime(start + n * step) for n in range(slots)]
    return {"heads": heads, "rows": sorted(rows.items()), "start": start, "end": end}


@require_GET
@query_parameters("view", "date")
def mar(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    view = request.GET.get("view", "day")
    if view not in VIEWS:
        raise Http404
    tz = patient.program.tz
    day = parse_date(request.GET.get("date", "")) or timezone.localdate(timezone=tz)
    slots, step = VIEWS[view]
    if view == "day":
        start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    else:
        start = timezone.localtime(timezone=tz).replace(minute=0, second=0, microsecond=0) - timedelta(hours=69)
    order = services.active_order(patient)
    now = timezone.now()
    doses = list(Dose.objects.filter(patient=patient).select_related("entry", "recorded_by")[:100])
    record_read(request.user, "comfort.mar.read", patient=patient)
    return render(
        request,
        "comfort/mar.html",
        {
            "patient": patient,
            "order": order,
            "lines": list(order.lines.select_related("entry")) if order else [],
            "grid": _grid(patient, start, slots, step),
            "view": view,
            "day": day,
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "doses": doses,
            "now": now,
            "can_give": has_permission(request.user, patient.program_id, MOUD_ADMINISTER),
            "can_order": has_permission(request.user, patient.program_id, MOUD_ORDER),
        },
    )


@require_http_methods(["GET", "POST"])
@query_parameters("symptom")
def give(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, MOUD_ADMINISTER)
    order = services.active_order(patient)
    lines = list(order.lines.select_related("entry", "order")) if order else []
    symptom = request.GET.get("symptom", "")
    if symptom:
        if symptom not in catalog.SYMPTOMS:
            raise Http404
        lines = [line for line in lines if line.entry.symptom == symptom]
    form = DoseForm(request.POST or None, lines=lines, initial={"at": _now_local(), "status": Dose.Status.GIVEN})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = next((line for line in lines if line.pk == data["line"]), None)
        try:
            dose = services.give_dose(
                acting_user=request.user,
                patient=patient,
                line=chosen,
                at=data["at"],
                dose=data["dose"],
                status=data["status"],
                reason=data["reason"],
                vitals={"pulse_bpm": data["pulse_bpm"], "systolic_mmhg": data["systolic_mmhg"]},
                note=data["note"],
            )
        except ValidationError as error:
            add_errors(form, error, field_of=lambda key: key.split(".", 1)[1] if key.startswith("vitals.") else key)
        else:
            messages.success(request, f"{dose.get_status_display()}: {dose.label}.")
            # the MAR of the program day the dose was given on (a dose at 23:55 recorded at 00:05 is yesterday's)
            day = timezone.localtime(dose.at, patient.program.tz).date()
            return redirect(f"{reverse('comfort:mar', args=[patient.pk])}?date={day.isoformat()}")
    now = timezone.now()
    symptoms = sorted({line.entry.symptom for line in order.lines.select_related("entry")} if order else set())
    return render(
        request,
        "comfort/give.html",
        {
            "patient": patient,
            "form": form,
            "order": order,
            "statuses": [line_status(line, patient, now) for line in lines],
            "symptoms": [(code, catalog.SYMPTOMS[code]) for code in symptoms],
            "symptom": symptom,
            "title": "Give a comfort medication",
        },
    )


@require_http_methods(["GET", "POST"])
def follow_up(request, pk, dose_id):
    patient = access_patient(request.user, pk)
    dose = access_record(patient, Dose.objects.select_related("entry"), dose_id)
    require(request.user, patient.program_id, MOUD_ADMINISTER)
    form = FollowUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_follow_up(acting_user=request.user, dose=dose, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Follow-up of {dose.label} recorded: {form.cleaned_data['outcome']}.")
            return redirect("comfort:mar", pk=patient.pk)
    return render(
        request,
        "comfort/follow_up.html",
        {"patient": patient, "dose": dose, "form": form, "title": f"Follow-up of {dose.label}"},
    )
