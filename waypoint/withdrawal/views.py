"""Withdrawal pages: the flowsheet, recording and correcting scores, the board, and the patient kiosk."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.accounts.roles import CENSUS_READ, CHART_READ, EPISODE_MANAGE, MOUD_ADMINISTER
from waypoint.accounts.scoping import program_scope, scopes_disabled
from waypoint.accounts.sessions import clear_site_data
from waypoint.patients import views as patient_views
from waypoint.patients.access import access_patient, access_record, has_permission, require, visible_patients
from waypoint.patients.queries import unassigned_count
from waypoint.patients.services import record_read
from waypoint.patients.views import program_or_403
from waypoint.scales import INSTRUMENTS, get_instrument

from . import board, board_html, charts_data, services
from .forms import ReasonForm, assessment_form, field_name, item_fields, split
from .models import Assessment, KioskSession
from .vitals import VITALS

KIOSK_SESSION_KEY = "kiosk_session_id"
VITAL_KEYS = tuple(vital.key for vital in VITALS)


def add_errors(form, error: ValidationError) -> None:
    patient_views.add_errors(form, error, field_of=field_name)


def find_assessment(request, pk, assessment_id) -> Assessment:
    patient = access_patient(request.user, pk)
    return access_record(patient, Assessment.objects.select_related("patient__program"), assessment_id)


@require_GET
def flowsheet(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    assessments = list(Assessment.objects.filter(patient=patient).select_related("recorded_by", "replaces"))
    record_read(request.user, "assessment.flowsheet.read", patient=patient)
    return render(
        request,
        "withdrawal/flowsheet.html",
        {
            "patient": patient,
            "assessments": assessments,
            "chart": charts_data.flowsheet_chart(patient, [a for a in assessments if a.in_force]),
            "status": board.for_patient(patient.program, patient),
            "instruments": INSTRUMENTS.values(),
            "can_record": has_permission(request.user, patient.program_id, EPISODE_MANAGE),
            "ciwa_ar": services.ciwa_ar_monitoring(patient),
            "can_set_ciwa_ar": has_permission(request.user, patient.program_id, MOUD_ADMINISTER),
            "ciwa_errors": {},
        },
    )


@require_POST
def ciwa_ar_monitoring(request, pk):
    """Turn CIWA-Ar on for a patient (alcohol co-use) or off, with the reason: the board shows its column meanwhile."""
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, MOUD_ADMINISTER)
    try:
        if request.POST.get("action") == "stop":
            services.stop_ciwa_ar(acting_user=request.user, patient=patient, reason=request.POST.get("stop_reason", ""))
            messages.success(request, "CIWA-Ar is no longer assessed for this patient.")
        else:
            services.start_ciwa_ar(acting_user=request.user, patient=patient, reason=request.POST.get("reason", ""))
            messages.success(request, "CIWA-Ar is now assessed for this patient; the board shows its column.")
    except ValidationError as error:
        for messages_ in error.message_dict.values():
            for message in messages_:
                messages.error(request, message)
    return redirect("withdrawal:flowsheet", pk=patient.pk)


@require_http_methods(["GET", "POST"])
def record(request, pk, instrument):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, EPISODE_MANAGE)
    if instrument not in INSTRUMENTS:
        raise Http404
    definition = get_instrument(instrument)
    form_class = assessment_form(definition, with_vitals=definition.reporter == "clinician")
    form = form_class(request.POST or None, initial={"taken_at": timezone.localtime().replace(second=0, microsecond=0)})
    if request.method == "POST" and form.is_valid():
        responses, vitals = split(definition, form.cleaned_data)
        try:
            assessment = services.record_assessment(
                acting_user=request.user,
                patient=patient,
                instrument=instrument,
                responses=responses,
                vitals=vitals,
                taken_at=form.cleaned_data["taken_at"],
                note=form.cleaned_data["note"],
                late_entry_reason=form.cleaned_data["late_entry_reason"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                f"{definition.short_title} {assessment.total} recorded"
                + (
                    f" ({assessment.band_words or assessment.severity_label})."
                    if assessment.band_words or assessment.severity_label
                    else "."
                ),
            )
            return redirect("withdrawal:flowsheet", pk=patient.pk)
    return render(
        request,
        "withdrawal/record.html",
        {
            "patient": patient,
            "form": form,
            "instrument": definition,
            "title": f"Record {definition.short_title}",
            "vital_keys": VITAL_KEYS,
        },
    )


@require_http_methods(["GET", "POST"])
def amend(request, pk, assessment_id):
    assessment = find_assessment(request, pk, assessment_id)
    patient = assessment.patient
    require(request.user, patient.program_id, EPISODE_MANAGE)
    definition = assessment.definition
    form_class = assessment_form(definition, with_vitals=definition.reporter == "clinician", amending=True)
    initial = {
        "taken_at": timezone.localtime(assessment.taken_at),
        "note": assessment.note,
        "version": assessment.version,
        **assessment.responses,
        **assessment.vitals,
    }
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        responses, vitals = split(definition, form.cleaned_data)
        try:
            services.amend_assessment(
                acting_user=request.user,
                assessment=assessment,
                responses=responses,
                vitals=vitals,
                taken_at=form.cleaned_data["taken_at"],
                note=form.cleaned_data["note"],
                reason=form.cleaned_data["reason"],
                version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            add_errors(form, error)
        except services.StaleVersion as stale:
            form.add_error(None, str(stale) + " Reload the flowsheet to see the other change.")
        else:
            messages.success(request, f"{definition.short_title} amended.")
            return redirect("withdrawal:flowsheet", pk=patient.pk)
    return render(
        request,
        "withdrawal/record.html",
        {
            "patient": patient,
            "form": form,
            "instrument": definition,
            "title": f"Amend {definition.short_title}",
            "amending": assessment,
            "vital_keys": VITAL_KEYS,
        },
    )


@require_http_methods(["GET", "POST"])
def entered_in_error(request, pk, assessment_id):
    assessment = find_assessment(request, pk, assessment_id)
    require(request.user, assessment.program_id, EPISODE_MANAGE)
    form = ReasonForm(request.POST or None, initial={"version": assessment.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.mark_entered_in_error(
                acting_user=request.user,
                assessment=assessment,
                reason=form.cleaned_data["reason"],
                version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            add_errors(form, error)
        except services.StaleVersion as stale:
            form.add_error(None, str(stale))
        else:
            messages.success(request, "Marked as entered in error.")
            return redirect("withdrawal:flowsheet", pk=assessment.patient_id)
    return render(
        request,
        "withdrawal/entered_in_error.html",
        {"patient": assessment.patient, "form": form, "assessment": assessment},
    )


@require_GET
def board_page(request):
    program = program_or_403(request)
    require(request.user, program.pk, CHART_READ)
    rows = board.build(program, visible_patients(request.user, program))
    record_read(request.user, "withdrawal.board.read", program=program, detail={"count": len(rows)})
    # The charge nurse's alarm: admitted patients no covering team looks after (named on the work list it links to).
    unassigned = unassigned_count(program) if has_permission(request.user, program.pk, CENSUS_READ) else 0
    template = "withdrawal/_board_rows.html" if request.htmx else "withdrawal/board.html"
    return render(
        request,
        template,
        {
            "rows": rows,
            "rows_html": board_html.rows_html(rows),
            "ciwa_column": board_html.ciwa_column(rows),
            "now": timezone.now(),
            "levels": board.board_levels(program),
            "urgency_rule": board.URGENCY_RULE,
            "unassigned": unassigned,
        },
    )


# The kiosk: a staff member opens it for one patient; the device then holds no staff session at all.


@require_POST
def kiosk_open(request, pk):
    patient = access_patient(request.user, pk)
    kiosk = services.open_kiosk(acting_user=request.user, patient=patient)
    logout(request)  # the tablet is handed to the patient: no staff session stays on it
    request.session[KIOSK_SESSION_KEY] = kiosk.pk
    return clear_site_data(redirect("kiosk:start"), "cache", "storage")  # the kiosk's own cookie stays


def kiosk_scope(view):
    """Kiosk pages have no signed-in user: the kiosk session a staff member opened on this device is the
    credential, and its program is the scope of the request (no kiosk session: an empty scope)."""

    @wraps(view)
    def scoped(request, *args, **kwargs):
        kiosk_id = request.session.get(KIOSK_SESSION_KEY)
        with scopes_disabled():  # sanctioned: which program the device's own kiosk session belongs to
            program_ids = list(KioskSession.objects.filter(pk=kiosk_id).values_list("program_id", flat=True))
        with program_scope(*program_ids):
            return view(request, *args, **kwargs)

    return scoped


def current_kiosk(request) -> KioskSession:
    kiosk_id = request.session.get(KIOSK_SESSION_KEY)
    kiosk = KioskSession.objects.select_related("patient", "opened_by").filter(pk=kiosk_id).first()
    if kiosk is None or not kiosk.is_open:
        raise PermissionDenied("This kiosk session has ended. Please hand the device back to staff.")
    return kiosk


@login_not_required
@require_GET
@kiosk_scope
def kiosk_start(request):
    kiosk = current_kiosk(request)
    return render(
        request,
        "withdrawal/kiosk_start.html",
        {
            "kiosk": kiosk,
            "instruments": [get_instrument(code) for code in services.KIOSK_INSTRUMENTS],
        },
    )


@login_not_required
@require_http_methods(["GET", "POST"])
@kiosk_scope
def kiosk_report(request, instrument):
    kiosk = current_kiosk(request)
    if instrument not in services.KIOSK_INSTRUMENTS:
        raise Http404
    definition = get_instrument(instrument)
    form = type("KioskForm", (forms.Form,), item_fields(definition, plain=True))(request.POST or None)
    if request.method == "POST" and form.is_valid():
        responses = {k: v for k, v in form.cleaned_data.items() if v is not None}
        try:
            services.record_self_report(kiosk=kiosk, instrument=instrument, responses=responses)
        except ValidationError as error:
            add_errors(form, error)
        else:
            return redirect(reverse("kiosk:start") + "?thanks=1")
    return render(request, "withdrawal/kiosk_report.html", {"kiosk": kiosk, "form": form, "instrument": definition})


@login_not_required
@require_POST
@kiosk_scope
def kiosk_finish(request):
    kiosk_id = request.session.pop(KIOSK_SESSION_KEY, None)
    kiosk = KioskSession.objects.filter(pk=kiosk_id).first()
    if kiosk is not None:
        services.close_kiosk(kiosk)
    request.session.flush()
    return redirect("login")
