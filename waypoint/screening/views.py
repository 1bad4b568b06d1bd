"""Pages: parse the form, find the patient through the access scope, call the service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.accounts.roles import CHART_READ
from waypoint.patients.access import access_patient, access_record, require, visible_patients
from waypoint.patients.services import record_read
from waypoint.patients.views import program_or_403
from waypoint.screening_rules import overdose
from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS
from waypoint.screening_rules.followups import TABLE
from waypoint.screening_rules.overdose import LEVEL_RULES

from . import services
from . import settings as program_settings
from .forms import EducationForm, EventForm, FollowUpForm, HistoryForm, KitForm, RefusalForm, ScreenForm
from .models import Education, FollowUp, NaloxoneKit, Refusal, Screen, UseEvent


def _read(request, pk, action):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    record_read(request.user, action, patient=patient)
    return patient


@require_http_methods(["GET", "POST"])
def history(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    current = services.current_history(patient)
    form = HistoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_history(
                acting_user=request.user, patient=patient, uses=form.uses(), **form.history_fields()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Substance use history recorded.")
            return redirect("screening:history", pk=patient.pk)
    else:
        record_read(request.user, "screening.history.read", patient=patient)
    return render(request, "screening/history.html", {"patient": patient, "form": form, "current": current})


@require_http_methods(["GET", "POST"])
def screen(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    form = ScreenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.record_screen(
                acting_user=request.user,
                patient=patient,
                answers=form.answers(),
                taken_at=form.cleaned_data["taken_at"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            count = len(saved.present)
            messages.success(
                request,
                f"Complication screen recorded: {count} item{'' if count == 1 else 's'} present "
                "(shown under Recent screens below).",
            )
            return redirect("screening:screen", pk=patient.pk)
    else:
        record_read(request.user, "screening.screen.read", patient=patient)
    screens = Screen.objects.filter(patient=patient)[:5]
    follow_ups = FollowUp.objects.filter(patient=patient)
    return render(
        request,
        "screening/screen.html",
        {
            "patient": patient,
            "form": form,
            "screens": screens,
            "follow_ups": follow_ups,
            "definition": HEROIN_COMPLICATIONS,
            "table": TABLE,
            "follow_up_form": FollowUpForm(),
        },
    )


@require_POST
def follow_up(request, pk, follow_up_id):
    patient = access_patient(request.user, pk)
    item = access_record(patient, FollowUp, follow_up_id)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.update_follow_up(acting_user=request.user, follow_up=item, **form.cleaned_data)
        except ValidationError as error:
            for messages_ in error.message_dict.values():
                for message in messages_:
                    messages.error(request, f"{item.get_code_display()}: {message}")
        else:
            messages.success(request, f"{item.get_code_display()}: {form.cleaned_data['status'].replace('_', ' ')}.")
    else:
        messages.error(request, "Choose a status.")
    return redirect(request.POST.get("next") or f"/patients/{patient.pk}/screen/")


@require_GET
def worklist(request):
    program = program_or_403(request)
    require(request.user, program.pk, CHART_READ)
    rows = (
        FollowUp.objects.filter(
            program=program, status__in=FollowUp.OPEN, patient__in=visible_patients(request.user, program)
        )
        .select_related("patient")
        .order_by("created_at", "id")
    )
    record_read(request.user, "screening.worklist.read", program=program)
    return render(request, "screening/worklist.html", {"rows": rows, "follow_up_form": FollowUpForm()})


@require_http_methods(["GET", "POST"])
def naloxone(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    action = request.POST.get("action")
    forms_ = {
        "kit": KitForm(request.POST if action == "kit" else None, prefix="kit"),
        "education": EducationForm(request.POST if action == "education" else None, prefix="education"),
        "refusal": RefusalForm(request.POST if action == "refusal" else None, prefix="refusal"),
    }
    if request.method == "POST":
        form = forms_.get(action)
        if form is not None and form.is_valid():
            service = {
                "kit": services.dispense_naloxone,
                "education": services.record_education,
                "refusal": services.record_refusal,
            }[action]
            try:
                service(acting_user=request.user, patient=patient, **form.cleaned_data)
            except ValidationError as error:
                for field, messages_ in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages_)
            else:
                messages.success(request, "Recorded.")
                return redirect("screening:naloxone", pk=patient.pk)
    else:
        record_read(request.user, "screening.naloxone.read", patient=patient)
    episode = patient.episodes.filter(discharged_at__isnull=True).first()
    return render(
        request,
        "screening/naloxone.html",
        {
            "patient": patient,
            "forms": forms_,
            "kits": NaloxoneKit.objects.filter(patient=patient),
            "education": Education.objects.filter(patient=patient).select_related("given_by"),
            "refusals": Refusal.objects.filter(patient=patient),
            "missing": services.naloxone_missing(episode) if episode else None,
        },
    )


@require_http_methods(["GET", "POST"])
def events(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_event(acting_user=request.user, patient=patient, **form.event())
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages_)
        else:
            messages.success(request, "Event recorded.")
            return redirect("screening:events", pk=patient.pk)
    else:
        record_read(request.user, "screening.events.read", patient=patient)
    return render(
        request,
        "screening/events.html",
        {"patient": patient, "form": form, "events": UseEvent.objects.filter(patient=patient)},
    )


@require_GET
def risk(request, pk):
    patient = _read(request, pk, "screening.risk.read")
    return render(
        request,
        "screening/risk.html",
        {
            "patient": patient,
            "risk": services.risk_picture(patient),
            "rules": LEVEL_RULES,
            "high_factors": overdose.factor_labels(program_settings.HIGH_FACTORS.get(patient.program)),
            "days_setting": program_settings.DAYS_WITHOUT_USE.words,
            "days": program_settings.DAYS_WITHOUT_USE.get(patient.program),
        },
    )


@require_GET
def handout(request, pk):
    patient = _read(request, pk, "screening.handout.read")
    latest = Screen.objects.filter(patient=patient).first()
    findings = [HEROIN_COMPLICATIONS.item(key) for key in latest.present] if latest else []
    text = program_settings.HANDOUT_EDUCATION.get(patient.program)
    return render(
        request,
        "screening/handout.html",
        {
            "patient": patient,
            "findings": findings,
            "risk": services.risk_picture(patient),
            "follow_ups": FollowUp.objects.filter(patient=patient, status__in=FollowUp.OPEN),
            "education": [line for line in text.splitlines() if line.strip()],
        },
    )
