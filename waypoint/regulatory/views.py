"""Regulatory pages: consent forms (versioned texts) and consents to renew for the privacy officer; signing a
consent on the kiosk and its printed copy; the breach register."""

from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.accounts.roles import CHART_READ, EPISODE_MANAGE, MOUD_ORDER, PRIVACY_REPORTS
from waypoint.audit import trail as audit
from waypoint.patients.access import access_patient, access_record, require
from waypoint.patients.models import Patient
from waypoint.patients.views import add_errors, program_or_403, save_and_redirect
from waypoint.privacy.models import Consent, InformationKind
from waypoint.web.downloads import attachment
from waypoint.withdrawal.views import current_kiosk, kiosk_scope

from . import pdmp, registry, services, telemedicine
from . import settings as policy
from .forms import (
    BreachForm,
    DualEnrollmentForm,
    NoticeForm,
    PdmpCheckForm,
    ReviseTextForm,
    RiskForm,
    SignDrawnForm,
    SignTypedForm,
    TelemedicineForm,
)
from .models import Breach, ConsentSignature, ConsentText, PdmpCheck, RegistryReport, TelemedicineEncounter


def _officer(request):
    program = program_or_403(request)
    require(request.user, program.pk, PRIVACY_REPORTS)
    return program


# Consent forms and consents to renew (the privacy officer).


@require_GET
def texts(request):
    program = _officer(request)
    current = services.current_texts(program)
    return render(
        request,
        "regulatory/texts.html",
        {"texts": current, "has_tpo": any(t.kind == ConsentText.Kind.TPO for t in current)},
    )


@require_POST
def text_start_tpo(request):
    program = _officer(request)
    if any(t.kind == ConsentText.Kind.TPO for t in services.current_texts(program)):
        messages.error(request, "The program already has its single TPO consent: revise it instead.")
        return redirect("regulatory:texts")
    text = services.start_tpo_text(acting_user=request.user, program=program)
    messages.success(request, "The 2024 single consent for treatment, payment and health care operations is ready.")
    return redirect("regulatory:text", pk=text.pk)


def _text(program, pk) -> ConsentText:
    text = ConsentText.objects.filter(program=program, pk=pk).first()
    if text is None:
        raise Http404
    return text


@require_GET
def text(request, pk):
    program = _officer(request)
    version = _text(program, pk)
    versions = ConsentText.objects.filter(series=version.series).order_by("-version")
    return render(
        request,
        "regulatory/text.html",
        {"text": version, "versions": versions, "is_current": versions[0].pk == version.pk},
    )


@require_http_methods(["GET", "POST"])
def text_revise(request, pk):
    program = _officer(request)
    old = _text(program, pk)
    form = ReviseTextForm(
        request.POST or None,
        initial={
            "title": old.title,
            "body": old.body,
            "information_description": old.terms["information_description"],
            "recipients": "\n".join(old.terms["recipients"]),
        },
    )

    def revise(data):
        terms = old.terms | {
            "information_description": data["information_description"],
            "recipients": data["recipients"].splitlines(),
        }
        return services.revise_consent_text(
            acting_user=request.user,
            text=old,
            title=data["title"],
            body=data["body"],
            terms=terms,
            note=data["change_note"],
        )

    if done := save_and_redirect(
        request,
        form,
        revise,
        success=lambda new: f"Version {new.version} saved. Consents signed on earlier versions need a new signature.",
        then=lambda new: reverse("regulatory:text", args=[new.pk]),
    ):
        return done
    return render(
        request,
        "regulatory/form.html",
        {
            "form": form,
            "title": f"Revise “{old.title}”",
            "submit": "Save new version",
            "back": reverse("regulatory:text", args=[old.pk]),
        },
    )


@require_GET
def review(request):
    program = _officer(request)
    items = services.consents_to_review(program)
    audit.record(request.user, "consent.review.read", program=program)
    return render(
        request,
        "regulatory/review.html",
        {"items": items, "window": policy.CONSENT_REVIEW_DAYS.get(program), "setting": policy.CONSENT_REVIEW_DAYS},
    )


# The signed copy, from the chart.


@require_GET
def signed_copy(request, pk, consent_id):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    consent = access_record(patient, Consent, consent_id)
    signature = ConsentSignature.objects.filter(consent=consent).select_related("text").first()
    if signature is None:
        raise Http404
    audit.record(request.user, "consent.copy.read", patient=patient, obj=consent)
    return render(
        request,
        "regulatory/signed_copy.html",
        {"patient": patient, "consent": consent, "signature": signature, "base": "web/base.html"},
    )


# The kiosk: the patient reads a consent and signs it; then a printed copy.


@login_not_required
@require_GET
@kiosk_scope
def kiosk_list(request):
    kiosk = current_kiosk(request)
    return render(
        request, "regulatory/kiosk_list.html", {"kiosk": kiosk, "texts": services.current_texts(kiosk.patient.program)}
    )


@login_not_required
@require_http_methods(["GET", "POST"])
@kiosk_scope
def kiosk_sign(request, text_id):
    kiosk = current_kiosk(request)
    text = ConsentText.objects.filter(program_id=kiosk.program_id, pk=text_id).first()
    if text is None:
        raise Http404
    method = policy.SIGNATURE_METHOD.get(kiosk.patient.program)
    form_class = SignDrawnForm if method == ConsentSignature.Method.DRAWN else SignTypedForm
    staff = kiosk.opened_by
    witnessed = bool(policy.CONSENT_WITNESS.get(kiosk.patient.program))
    form = form_class(
        request.POST or None,
        initial={"shown_sha256": text.sha256},
        witness_name=services.staff_name(staff) if witnessed else None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        password = data.get("witness_password") or ""
        # the auth backends check the password (and count failures, as at sign-in); the service checks who it is
        witness = authenticate(request, username=staff.get_username(), password=password) if password else None
        signed = services.SignatureInput(
            text_id=text.pk,
            shown_sha256=data["shown_sha256"],
            method=method,
            typed_name=data.get("typed_name", ""),
            attested=data.get("attested", False),
            drawing=data.get("drawing", ""),
            signer_is_patient=data["signer"] == "patient",
            representative_name=data["representative_name"],
            representative_authority=data["representative_authority"],
            witness=witness,
        )
        try:
            consent = services.sign_consent(kiosk=kiosk, signed=signed)
        except ValidationError as error:
            add_errors(form, error)
        else:
            return redirect("kiosk-consent:copy", consent_id=consent.pk)
    return render(
        request,
        "regulatory/kiosk_sign.html",
        {"kiosk": kiosk, "text": text, "form": form, "method": method, "witnessed": witnessed},
    )


@login_not_required
@require_GET
@kiosk_scope
def kiosk_copy(request, consent_id):
    kiosk = current_kiosk(request)
    signature = (
        ConsentSignature.objects.filter(consent_id=consent_id, patient=kiosk.patient, kiosk_session_id=kiosk.pk)
        .select_related("text", "consent")
        .first()
    )
    if signature is None:
        raise Http404
    return render(
        request,
        "regulatory/kiosk_copy.html",
        {"patient": kiosk.patient, "consent": signature.consent, "signature": signature, "kiosk": kiosk},
    )


# The breach register.


@require_GET
def breaches(request):
    program = _officer(request)
    rows = Breach.objects.filter(program=program)
    audit.record(request.user, "breach.list.read", program=program)
    return render(request, "regulatory/breaches.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
def breach_new(request):
    program = _officer(request)
    form = BreachForm(
        request.POST or None, users=services.program_staff(program), initial={"discovered_on": program.today()}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        users = data.pop("involved_users")
        try:
            breach = services.record_breach(acting_user=request.user, program=program, involved_users=users, **data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            return redirect("regulatory:breach", pk=breach.pk)
    return render(
        request,
        "regulatory/form.html",
        {"form": form, "title": "Record a breach", "submit": "Record breach", "back": reverse("regulatory:breaches")},
    )


def _breach(program, pk) -> Breach:
    breach = Breach.objects.filter(program=program, pk=pk).first()
    if breach is None:
        raise Http404
    return breach


@require_http_methods(["GET", "POST"])
def breach(request, pk):
    program = _officer(request)
    found = _breach(program, pk)
    patients = list(services.affected_patients(found))
    notice_form = NoticeForm(None, patients=patients, initial={"sent_on": program.today()})
    risk_form = RiskForm(None, initial={"risk_assessment": found.risk_assessment})
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "notice":
                notice_form = NoticeForm(request.POST, patients=patients)
                if notice_form.is_valid():
                    data = notice_form.cleaned_data
                    patient = next((p for p in patients if p.pk == data["patient"]), None)
                    services.record_notice(
                        acting_user=request.user,
                        breach=found,
                        recipient=data["recipient"],
                        sent_on=data["sent_on"],
                        how=data["how"],
                        patient=patient,
                    )
                    messages.success(request, "Notice recorded.")
                    return redirect("regulatory:breach", pk=found.pk)
            elif action == "risk":
                risk_form = RiskForm(request.POST)
                if risk_form.is_valid():
                    services.record_risk_assessment(
                        acting_user=request.user, breach=found, text=risk_form.cleaned_data["risk_assessment"]
                    )
                    return redirect("regulatory:breach", pk=found.pk)
            elif action in (Breach.Status.CLOSED, Breach.Status.NOT_A_BREACH):
                services.close_breach(acting_user=request.user, breach=found, status=action)
                return redirect("regulatory:breach", pk=found.pk)
        except ValidationError as error:
            form = notice_form if action == "notice" else risk_form
            add_errors(form, error)
    audit.record(request.user, "breach.read", program=program, obj=found, detail={"patients": len(patients)})
    noticed = set(found.notices.filter(recipient="individual").values_list("patient_id", flat=True))
    return render(
        request,
        "regulatory/breach.html",
        {
            "breach": found,
            "patients": patients,
            "noticed": noticed,
            "deadlines": services.deadlines(found, patients),
            "notices": found.notices.select_related("patient", "recorded_by"),
            "notice_form": notice_form,
            "risk_form": risk_form,
        },
    )


# PDMP checks (prescribers), per patient.


@require_http_methods(["GET", "POST"])
def pdmp_checks(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, MOUD_ORDER)
    program = patient.program
    telemedicine_post = request.method == "POST" and request.POST.get("action") == "telemedicine"
    check_post = request.method == "POST" and not telemedicine_post
    form = PdmpCheckForm(
        request.POST if check_post else None,
        request.FILES if check_post else None,
        initial={"state": patient.state[:2].upper(), "checked_at": timezone.localtime(timezone=program.tz)},
    )
    telemedicine_form = TelemedicineForm(
        request.POST if telemedicine_post else None, initial={"at": timezone.localtime(timezone=program.tz)}
    )

    def record_check(data):
        fields = dict(data)
        upload = fields.pop("report_file")
        if upload is not None:  # read one byte past the limit at most: the service refuses a larger file
            fields |= {"report_file": upload.read(pdmp.MAX_REPORT_BYTES + 1), "report_file_name": upload.name}
        pdmp.record_check(acting_user=request.user, patient=patient, **fields)

    if done := save_and_redirect(  # each form is bound only when the POST is for it
        request,
        form,
        record_check,
        success="PDMP check recorded.",
        then=reverse("regulatory:pdmp", args=[patient.pk]),
    ):
        return done
    if done := save_and_redirect(
        request,
        telemedicine_form,
        lambda data: telemedicine.record_encounter(acting_user=request.user, patient=patient, **data),
        success="Telemedicine encounter recorded: a buprenorphine order written today uses it.",
        then=reverse("regulatory:pdmp", args=[patient.pk]),
    ):
        return done
    rule, days = policy.PDMP_RULE.get(program), policy.PDMP_DAYS.get(program)
    return render(
        request,
        "regulatory/pdmp.html",
        {
            "patient": patient,
            "form": form,
            "telemedicine_form": telemedicine_form,
            "encounters": TelemedicineEncounter.objects.filter(patient=patient).select_related(
                "prescriber", "order", "pdmp_check"
            ),
            "telemedicine_settings": [
                (setting, setting.get(program))
                for setting in (policy.TELEMEDICINE_NEEDS_PDMP, policy.TELEMEDICINE_NO_AUDIO_ONLY)
            ],
            "checks": PdmpCheck.objects.filter(patient=patient).select_related("checked_by"),
            "current": pdmp.current_check(patient, timezone.now()),
            "rule": policy.PDMP_RULE.describe(rule),
            "days": policy.PDMP_DAYS.describe(days) if days is not None else "not set: no rule applies",
        },
    )


# The dual-enrollment answer at admission (clinical staff), per patient.


@require_http_methods(["GET", "POST"])
def dual_enrollment(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, EPISODE_MANAGE)
    form = DualEnrollmentForm(request.POST or None)
    if done := save_and_redirect(
        request,
        form,
        lambda data: registry.record_dual_enrollment(acting_user=request.user, patient=patient, **data),
        success="The answer about another opioid treatment program is recorded.",
        then=patient.get_absolute_url(),
    ):
        return done
    return render(request, "regulatory/dual_enrollment.html", {"patient": patient, "form": form})


# Central-registry reports (the privacy officer): sent and refused, each sent one with its accounting entry.


@require_GET
def registry_reports(request):
    program = _officer(request)
    sent = list(RegistryReport.objects.filter(program=program).select_related("patient", "disclosure")[:200])
    refused = registry.refusals(program)
    # sanctioned: the privacy officer's register names the patients of the program's reports, care team or not
    names = {p.pk: p for p in Patient.objects.filter(program=program, pk__in={r.patient_id for r in refused})}
    audit.record(request.user, "registry.report.list.read", program=program, detail={"sent": len(sent)})
    return render(
        request,
        "regulatory/registry_reports.html",
        {
            "sent": sent,
            "refused": [(r, names.get(r.patient_id)) for r in refused],
            "registry_name": str(policy.CENTRAL_REGISTRY.get(program)).strip(),
            "setting": policy.CENTRAL_REGISTRY,
        },
    )


@require_GET
def registry_report(request, pk):
    program = _officer(request)
    row = RegistryReport.objects.filter(program=program, pk=pk).select_related("patient", "disclosure").first()
    if row is None:
        raise Http404
    disclosure = row.disclosure
    audit.record(request.user, "registry.report.read", patient=row.patient, obj=row)
    labels = dict(InformationKind.choices)
    events = dict(RegistryReport.Event.choices)
    return render(
        request,
        "regulatory/registry_report.html",
        {
            "row": row,
            "disclosure": disclosure,
            "information": [labels.get(kind, kind) for kind in disclosure.information],
            "fields": [
                (FIELD_WORDS[name], events.get(value, value) if name == "event" else value)
                for name in registry.ALLOWED_FIELDS
                for value in [row.payload.get(name, "")]
            ],
        },
    )


FIELD_WORDS = {
    "given_name": "Given name",
    "family_name": "Family name",
    "birth_date": "Date of birth",
    "event": "Event",
    "event_date": "Date of the event",
    "medication": "Medication",
    "dose": "Dose",
    "unit": "Unit",
}


@require_GET
def pdmp_report(request, pk, check_id):
    """The PDMP's report file kept with a check: for the prescriber roles only; each download audited."""
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, MOUD_ORDER)
    check = access_record(patient, PdmpCheck, check_id)
    if not check.has_report_file:
        raise Http404
    audit.record(
        request.user, "pdmp.report.download", patient=patient, obj=check, detail={"sha256": check.report_file_sha256}
    )
    extension = dict(pdmp.REPORT_TYPES.values())[check.report_file_type]  # from the file's kind, not its name
    response = HttpResponse(bytes(check.report_file), content_type=check.report_file_type)
    day = timezone.localtime(check.checked_at, patient.program.tz).date()
    response["Content-Disposition"] = attachment("pdmp", patient.mrn, day, extension=extension)
    return response
