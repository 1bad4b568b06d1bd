"""Pages: parse the form, find the patient through the access scope, call the service, render."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from waypoint.accounts.membership import program_or_403  # noqa: F401  (pages of every area import it here)
from waypoint.accounts.roles import CENSUS_READ, CHART_READ, EPISODE_MANAGE, PATIENT_EDIT, PATIENT_REGISTER
from waypoint.web.errors import StaleVersion
from waypoint.web.query import query_parameters

from . import chart_sections, intake_photo, progress_sections, queries, services, transition_checks
from .access import access_patient, access_record, has_permission, require, visible_patients
from .forms import AdmitForm, CensusRangeForm, DischargeForm, PatientForm, SearchForm, TransferForm
from .models import Episode, LevelOfCareStay, Patient


def add_errors(form, error: ValidationError, field_of=lambda key: key) -> None:
    """Put a service's errors next to their fields; `field_of` maps an error key to a form field's name
    (e.g. `responses.gooseflesh` -> `gooseflesh`). An error with no such field goes on top, keeping its
    key when that differs from a plain field name, so the message still says what it is about."""
    for key, messages_ in error.message_dict.items():
        name = field_of(key)
        if name in form.fields:
            form.add_error(name, messages_)
        else:
            form.add_error(None, [f"{key}: {m}" if name != key else m for m in messages_])


def save_and_redirect(
    request,
    form,
    save: Callable[[dict], Any],
    *,
    success: str | Callable[[Any], str],
    then: str | Callable[[Any], str],
    field_of: Callable[[str], str] = lambda key: key,
) -> HttpResponseRedirect | None:
    """A form page's POST: when the form is valid, `save(form.cleaned_data)` calls the service; when the service
    refuses (ValidationError), its errors go next to the form's fields (`add_errors`, with `field_of`). When it
    saves, the page shows `success` and this returns the redirect to `then` (a URL or a page's name); either may be
    a function of what the service returned. None on a GET, a form with errors or a refusal: the view renders its
    page, the form with its errors."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        saved = save(form.cleaned_data)
    except ValidationError as error:
        add_errors(form, error, field_of)
        return None
    messages.success(request, success(saved) if callable(success) else success)
    return redirect(then(saved) if callable(then) else then)


@require_GET
@query_parameters("q", "page")
def patient_list(request):
    program = program_or_403(request)
    require(request.user, program.pk, CHART_READ)
    form = SearchForm(request.GET)
    searchable = form.is_valid()
    text = form.cleaned_data["q"] if searchable else ""
    patients = queries.with_current_care(queries.search(visible_patients(request.user, program), text))
    page = Paginator(patients, 25).get_page(request.GET.get("page"))
    services.record_read(request.user, "patient.list", program=program, detail={"count": len(page.object_list)})
    template = "patients/_rows.html" if request.htmx else "patients/list.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "q": text,
            "can_register": has_permission(request.user, program.pk, PATIENT_REGISTER),
        },
        status=200 if searchable else 400,
    )


@require_http_methods(["GET", "POST"])
def patient_register(request):
    program = program_or_403(request)
    require(request.user, program.pk, PATIENT_REGISTER)
    form = PatientForm(request.POST or None, request.FILES or None, program=program, user=request.user)
    if intake_photo.STORE:  # the area that keeps the identity photo is installed: offer the camera
        form.fields["photo"] = intake_photo.field()
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        photo = fields.pop("photo", None)
        try:
            with transaction.atomic():  # a refused photo refuses the registration: nothing saved
                patient = services.register_patient(acting_user=request.user, program=program, **fields)
                if photo is not None:
                    intake_photo.store(request.user, patient, photo)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{patient.display_name} registered with MRN {patient.mrn}.")
            return redirect(patient)
    return render(request, "patients/form.html", {"form": form, "title": "Register a patient"})


@require_http_methods(["GET", "POST"])
def patient_edit(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, PATIENT_EDIT)
    read_version = patient.version  # the version this form was opened at (the POST carries it back)
    form = PatientForm(request.POST or None, instance=patient, program=patient.program)
    status = 200
    if request.method == "POST":
        read_version = _int_or_none(request.POST.get("version"))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_patient(
                acting_user=request.user, patient=patient, version=read_version, **form.cleaned_data
            )
        except ValidationError as error:
            add_errors(form, error)
        except StaleVersion as stale:
            form.add_error(None, str(stale))
            # sanctioned (not visible_patients): re-reads the version of the patient found above
            read_version, status = Patient.objects.get(pk=patient.pk).version, 409  # saving again is deliberate
        else:
            messages.success(request, "Demographics saved.")
            return redirect(patient)
    return render(
        request,
        "patients/form.html",
        {"form": form, "patient": patient, "title": "Edit demographics", "version": read_version},
        status=status,
    )


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_GET
def patient_chart(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    episode = patient.episodes.filter(discharged_at__isnull=True).prefetch_related("stays").first()
    timeline = patient.timeline.select_related("recorded_by")[:200]
    services.record_read(request.user, "patient.chart.read", patient=patient, obj=patient)
    return render(
        request,
        "patients/chart.html",
        {
            "patient": patient,
            "episode": episode,
            "stay": episode.current_stay if episode else None,
            "timeline": timeline,
            "episodes": patient.episodes.prefetch_related(
                Prefetch("stays", LevelOfCareStay.objects.select_related("placement"))
            ),
            "header_sections": chart_sections.render_sections(chart_sections.HEADER, request, patient),
            "body_sections": chart_sections.render_sections(chart_sections.BODY, request, patient),
            "can_manage": has_permission(request.user, patient.program_id, EPISODE_MANAGE),
            "can_edit": has_permission(request.user, patient.program_id, PATIENT_EDIT),
        },
    )


@require_GET
def progress(request, pk):
    """The patient's progress page: the sections other areas register (cravings, drug screens, MOUD, and later
    attendance and objective status)."""
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    services.record_read(request.user, "patient.progress.read", patient=patient, obj=patient)
    return render(
        request,
        "patients/progress.html",
        {
            "patient": patient,
            "sections": chart_sections.render_sections(progress_sections.SECTIONS, request, patient),
        },
    )


def _episode_form(request, pk, form_class, *, episode_id=None):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, EPISODE_MANAGE)
    episode = None
    if episode_id is not None:
        episode = access_record(patient, Episode, episode_id)
    kwargs = {"episode": episode} if form_class is DischargeForm else {"program": patient.program}
    if form_class is DischargeForm and transition_checks.DISCHARGE_FORMS:  # the parts other areas record with it
        form_class = type("DischargeForm", (*transition_checks.DISCHARGE_FORMS, DischargeForm), {})
    if form_class is TransferForm:
        kwargs["placements"] = patient.placements.order_by("-at", "-id")[:50]
    return patient, episode, form_class(request.POST or None, **kwargs)


@require_http_methods(["GET", "POST"])
def episode_admit(request, pk):
    patient, _, form = _episode_form(request, pk, AdmitForm)
    if done := save_and_redirect(
        request,
        form,
        lambda data: services.admit(
            acting_user=request.user,
            patient=patient,
            admitted_at=data["admitted_at"],
            level_code=data["level_of_care"],
            reason=data["reason"],
            capacity_override_reason=data["capacity_override_reason"],
            care_team=data["care_team"],
        ),
        success=f"{patient.display_name} admitted.",
        then=patient.get_absolute_url(),
    ):
        return done
    return render(
        request, "patients/episode_form.html", {"form": form, "patient": patient, "title": "Admit", "submit": "Admit"}
    )


@require_http_methods(["GET", "POST"])
def episode_transfer(request, pk, episode_id):
    patient, episode, form = _episode_form(request, pk, TransferForm, episode_id=episode_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stay = services.transfer(
                acting_user=request.user,
                episode=episode,
                at=data["at"],
                level_code=data["level_of_care"],
                reason=data["reason"],
                capacity_override_reason=data["capacity_override_reason"],
                placement_id=data["placement"],
                care_team=data["care_team"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{patient.display_name} moved to {stay.level.label}.")
            if stay.against_recommendation:
                messages.warning(
                    request,
                    f"This move is against the latest placement's recommendation ({stay.latest_recommendation}).",
                )
            return redirect(patient)
    return render(
        request,
        "patients/episode_form.html",
        {
            "form": form,
            "patient": patient,
            "episode": episode,
            "title": "Change level of care",
            "submit": "Move",
            "latest_placement": services.latest_placement(patient, timezone.now(), episode),
            "header_sections": chart_sections.render_sections(chart_sections.HEADER, request, patient),
        },
    )


@require_http_methods(["GET", "POST"])
def episode_discharge(request, pk, episode_id):
    patient, episode, form = _episode_form(request, pk, DischargeForm, episode_id=episode_id)
    if done := save_and_redirect(
        request,
        form,
        lambda data: services.discharge(
            acting_user=request.user,
            episode=episode,
            discharged_at=data["discharged_at"],
            reason=data["reason"],
            note=data["note"],
            plan={k: v for k, v in data.items() if k not in DischargeForm.base_fields} or None,
        ),
        success=f"{patient.display_name} discharged.",
        then=patient.get_absolute_url(),
    ):
        return done
    return render(
        request,
        "patients/episode_form.html",
        {
            "form": form,
            "patient": patient,
            "episode": episode,
            "title": "Discharge",
            "submit": "Discharge",
            "header_sections": chart_sections.render_sections(chart_sections.HEADER, request, patient),
        },
    )


@require_GET
@query_parameters("from", "to")
def census(request):
    from django.utils.safestring import mark_safe

    from .census_chart import occupancy_chart

    program = program_or_403(request)
    require(request.user, program.pk, CENSUS_READ)
    rows = queries.census(program, visible_patients(request.user, program))
    status = 200
    try:
        start, end = queries.census_range(program, request.GET.get("from"), request.GET.get("to"))
        form = CensusRangeForm(initial={"from": start.isoformat(), "to": end.isoformat()})
    except ValidationError as error:
        form = CensusRangeForm(request.GET)
        add_errors(form, error)
        start, end = queries.census_range(program, None, None)  # the chart shows the default range meanwhile
        status = 400
    history = queries.census_history(program, start, end)
    charts = [
        {
            "level": row["level"],
            "capacity": row["capacity"],
            "now": row["counts"][-1] if row["counts"] else 0,
            "peak": max(row["counts"], default=0),
            "svg": mark_safe(  # nosec: B308, B703  # escaped markup built by our own code
                occupancy_chart(
                    row["level"].label,
                    history["days"],
                    row["counts"],  # noqa: S308
                    row["capacity"],
                )
            ),
        }  # the chart module escapes every text it draws
        for row in history["levels"]
    ]
    services.record_read(
        request.user, "program.census.read", program=program, detail={"from": start.isoformat(), "to": end.isoformat()}
    )
    return render(
        request,
        "patients/census.html",
        {
            "rows": rows,
            "total": sum(r["count"] for r in rows),
            "form": form,
            "start": start,
            "end": end,
            "charts": charts,
            "definition": history["definition"],
            "program": program,
        },
        status=status,
    )


@require_GET
def unassigned(request):
    """The charge nurse's work list: admitted patients no care team covering their level looks after. It names
    them (name, MRN, level, since) to every clinician of the program (census and chart readers), because nobody on
    the ward can see them otherwise; the chart itself stays behind the access scope."""
    program = program_or_403(request)
    require(request.user, program.pk, CENSUS_READ)
    require(request.user, program.pk, CHART_READ)  # clinicians: not the privacy officer or the administrator
    stays = queries.unassigned(program)
    visible = set(
        visible_patients(request.user, program)
        .filter(pk__in=[s.patient_id for s in stays])
        .values_list("pk", flat=True)
    )
    services.record_read(
        request.user, "program.unassigned.read", program=program, detail={"patients": [s.patient_id for s in stays]}
    )
    rows = [{"stay": stay, "open": stay.patient_id in visible} for stay in stays]
    return render(request, "patients/unassigned.html", {"rows": rows, "program": program})
