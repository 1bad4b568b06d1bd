"""Privacy pages: break-the-glass access and its report; Part 2 consents, disclosures and their accounting."""

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from waypoint.accounts.roles import BREAK_GLASS, CHART_READ, CONSENT_MANAGE, PRIVACY_REPORTS
from waypoint.audit import trail as audit
from waypoint.patients.access import access_patient, access_record, has_permission, require
from waypoint.patients.views import add_errors, program_or_403
from waypoint.web.downloads import attachment, csv_writer
from waypoint.web.query import query_parameters

from . import services
from .disclosure import disclosed_sections, printed_record
from .forms import BreakGlassForm, ConsentForm, DateRangeForm, DiscloseForm, RevokeForm
from .models import Consent, EmergencyAccess


@require_http_methods(["GET", "POST"])
@query_parameters("mrn")
def break_glass(request):
    program = program_or_403(request)
    require(request.user, program.pk, BREAK_GLASS)
    form = BreakGlassForm(request.POST or None, initial={"mrn": request.GET.get("mrn", "")})
    if request.method == "POST" and form.is_valid():
        try:
            patient, access = services.break_the_glass(acting_user=request.user, program=program, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            if access is not None:
                request.session.cycle_key()  # a privilege change: a new session id
                messages.warning(
                    request,
                    f"Emergency access to {patient.display_name} until "
                    f"{timezone.localtime(access.expires_at):%H:%M}. It is logged and reported.",
                )
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
@query_parameters("since", "until", "format")
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
        response["Content-Disposition"] = attachment("break-the-glass", extension="csv")
        writer = csv_writer(response)
        writer.writerow(["started_at", "expires_at", "user", "patient_mrn", "reason"])
        for row in rows:
            writer.writerow(
                [row.started_at.isoformat(), row.expires_at.isoformat(), row.user.username, row.patient.mrn, row.reason]
            )
        return response
    return render(request, "privacy/break_glass_report.html", {"form": form, "rows": rows})


# Consents, disclosures and their accounting (42 CFR Part 2), per patient.


@require_GET
def patient_privacy(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    audit.record(request.user, "consent.list.read", patient=patient)
    return render(
        request,
        "privacy/patient_privacy.html",
        {
            "patient": patient,
            "consents": patient.consents.select_related("recorded_by"),
            "disclosures": services.accounting(patient),
            "can_manage": has_permission(request.user, patient.program_id, CONSENT_MANAGE),
        },
    )


@require_http_methods(["GET", "POST"])
def consent_new(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CONSENT_MANAGE)
    form = ConsentForm(
        request.POST or None,
        initial={
            "disclosing_party": patient.program.name,
            "signed_by": f"{patient.given_name} {patient.family_name}",
            "signed_on": patient.program.today(),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_consent(acting_user=request.user, patient=patient, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Consent recorded.")
            return redirect("privacy:patient", pk=patient.pk)
    return render(
        request,
        "privacy/form.html",
        {"patient": patient, "form": form, "title": "Record a consent", "submit": "Record consent"},
    )


@require_http_methods(["GET", "POST"])
def consent_revoke(request, pk, consent_id):
    patient = access_patient(request.user, pk)
    consent = access_record(patient, Consent, consent_id)
    require(request.user, patient.program_id, CONSENT_MANAGE)
    form = RevokeForm(request.POST or None, initial={"revoked_on": patient.program.today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.revoke_consent(
                acting_user=request.user,
                consent=consent,
                revoked_on=form.cleaned_data["revoked_on"],
                note=form.cleaned_data["revocation_note"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Consent revoked: no further disclosure may rely on it.")
            return redirect("privacy:patient", pk=patient.pk)
    return render(
        request,
        "privacy/form.html",
        {"patient": patient, "form": form, "title": "Revoke a consent", "submit": "Revoke"},
    )


@require_http_methods(["GET", "POST"])
def disclose(request, pk):
    """Print a record for a recipient outside the program, only under a covering consent, with the notice."""
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CONSENT_MANAGE)
    form = DiscloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            disclosure = services.disclose(acting_user=request.user, patient=patient, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            return render(
                request,
                "privacy/disclosed_record.html",
                {
                    "patient": patient,
                    "disclosure": disclosure,
                    **disclosed_content(patient, disclosure.information, request.user),
                },
            )
    return render(
        request,
        "privacy/form.html",
        {
            "patient": patient,
            "form": form,
            "title": "Disclose a record outside the program",
            "submit": "Check consent and print",
        },
    )


def disclosed_content(patient, information, user) -> dict:
    """The printed record: one table per kind of record the disclosure covers (waypoint/privacy/disclosure.py)."""
    return {"sections": printed_record(disclosed_sections(patient, information, user))}


@require_GET
def accounting_csv(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    audit.record(request.user, "disclosure.accounting.read", patient=patient)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = attachment("disclosures", patient.mrn, extension="csv")
    writer = csv_writer(response)
    writer.writerow(["date", "recipient", "information", "purpose", "disclosed_by"])
    for row in services.accounting(patient):
        writer.writerow(
            [
                row.disclosed_at.isoformat(),
                row.recipient,
                "; ".join(row.information),
                row.purpose,
                row.disclosed_by.username,
            ]
        )
    return response
