"""Placement pages: rate and decide beside the chart, and the program's rule table."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.accounts.roles import (
    CENSUS_READ,
    CHART_READ,
    EPISODE_MANAGE,
    REFERRAL_READ,
    REFERRAL_WRITE,
    SETTINGS_MANAGE,
)
from waypoint.audit import trail as audit
from waypoint.patients import views as patient_views
from waypoint.patients.access import access_patient, has_permission, require
from waypoint.patients.services import record_read
from waypoint.patients.views import program_or_403, save_and_redirect
from waypoint.placement import rules

from . import referrals, rule_tables, services
from .forms import AdmitReferralForm, CloseReferralForm, RuleTableForm, field_for, placement_form, referral_form
from .models import PlacementAssessment, RuleTableVersion


def add_errors(form, error: ValidationError) -> None:
    patient_views.add_errors(form, error, field_of=field_for)


@require_http_methods(["GET", "POST"])
def placement(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    can_record = has_permission(request.user, patient.program_id, EPISODE_MANAGE)
    edition = patient.program.asam_edition
    form_class = placement_form(edition)
    form = form_class(request.POST or None, initial={"at": timezone.localtime().replace(second=0, microsecond=0)})
    if request.method == "POST":
        require(request.user, patient.program_id, EPISODE_MANAGE)
    if done := save_and_redirect(
        request,
        form,
        lambda data: services.record_placement(
            acting_user=request.user,
            patient=patient,
            ratings={key: data[f"rating_{key}"] for key in services.KEYS if data[f"rating_{key}"] not in ("", None)},
            notes={key: data[f"note_{key}"] for key in services.KEYS},
            decided_level=data["decided_level"],
            reason=data["reason"],
            reason_text=data["reason_text"],
            at=data["at"],
        ),
        success=lambda saved: (
            f"Placement recorded: level {saved.decided_level} (recommended {saved.recommended_level})."
        ),
        then=reverse("placements:placement", args=[patient.pk]),
        field_of=field_for,
    ):
        return done
    history = list(PlacementAssessment.objects.filter(patient=patient).select_related("decided_by")[:20])
    record_read(request.user, "placement.list", patient=patient, detail={"count": len(history)})
    rating_rows = [(form[f"rating_{key}"], form[f"note_{key}"]) for key in services.KEYS]
    return render(
        request,
        "placements/placement.html",
        {
            "patient": patient,
            "form": form,
            "rating_rows": rating_rows,
            "history": history,
            "latest": history[0] if history else None,
            "can_record": can_record,
        },
    )


def _table_context(table) -> dict:
    edition = table["edition"]
    rows = [
        {
            "id": rule["id"],
            "when": [rules.describe(c, edition) for c in rule["when"]],
            "level": rule.get("level") or "",
            "withdrawal": rule.get("withdrawal") or "",
            "why": rule.get("why", ""),
        }
        for rule in table["rules"]
    ]
    return {"table": table, "rows": rows, "dimensions": rules.DIMENSIONS[edition], "problem": rules.validate(table)}


@require_GET
def rule_table(request):
    program = program_or_403(request)
    require(request.user, program.pk, CENSUS_READ)
    table, version = rule_tables.table_in_force(program)
    return render(
        request,
        "placements/rule_table.html",
        {
            **_table_context(table),
            "program": program,
            "version": version,
            "versions": RuleTableVersion.objects.filter(program=program).select_related("author", "restored_from"),
            "can_edit": has_permission(request.user, program.pk, SETTINGS_MANAGE),
            "report": indicated_versus_decided(program),
        },
    )


def _version(request, number):
    from django.shortcuts import get_object_or_404

    program = program_or_403(request)
    require(request.user, program.pk, CENSUS_READ)
    return program, get_object_or_404(
        RuleTableVersion.objects.select_related("author", "restored_from"), program=program, number=number
    )


@require_GET
def rule_table_version(request, number):
    program, version = _version(request, number)
    active = rule_tables.active_version(program)
    return render(
        request,
        "placements/rule_table_version.html",
        {
            **_table_context(version.table),
            "program": program,
            "version": version,
            "is_active": active is not None and active.pk == version.pk,
            "can_edit": has_permission(request.user, program.pk, SETTINGS_MANAGE),
            "placements_used": version.placements.count(),
        },
    )


@require_POST
def rule_table_restore(request, number):
    program, version = _version(request, number)
    require(request.user, program.pk, SETTINGS_MANAGE)
    try:
        saved = rule_tables.restore(
            acting_user=request.user, program=program, version=version, note=request.POST.get("note", "")
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("placements:rule-table-version", number=number)
    messages.success(request, f"Version {version.number} restored as version {saved.number}, now in force.")
    return redirect("placements:rule-table")


@require_http_methods(["GET", "POST"])
def rule_table_edit(request):
    program = program_or_403(request)
    require(request.user, program.pk, SETTINGS_MANAGE)
    table, version = rule_tables.table_in_force(program)
    form = RuleTableForm(request.POST or None, initial={"table": rule_tables.pretty(table)})
    if done := save_and_redirect(
        request,
        form,
        lambda data: rule_tables.save_version(
            acting_user=request.user, program=program, table=data["table"], note=data["note"]
        ),
        success=lambda saved: f"Rule table version {saved.number} saved; it is in force from now on.",
        then="placements:rule-table",
        field_of=field_for,
    ):
        return done
    return render(
        request,
        "placements/rule_table_edit.html",
        {
            "form": form,
            "program": program,
            "version": version,
            "table": table,
        },
    )


def indicated_versus_decided(program, days: int = 90) -> dict:
    """Counts only (no names): placements of the last `days` days, how many differ, by reason and by pair."""
    from collections import Counter

    since = timezone.now() - timedelta(days=days)
    rows = list(
        PlacementAssessment.objects.filter(program=program, at__gte=since).values_list(
            "recommended_level", "decided_level", "reason"
        )
    )
    differing = [(rec, dec, reason) for rec, dec, reason in rows if rec != dec]
    labels = dict(PlacementAssessment.Reason.choices)
    return {
        "days": days,
        "total": len(rows),
        "differing": len(differing),
        "by_reason": sorted(
            ((labels.get(r, r), n) for r, n in Counter(r for *_, r in differing).items()), key=lambda item: -item[1]
        ),
        "by_pair": sorted(Counter((rec, dec) for rec, dec, _ in differing).items(), key=lambda item: -item[1]),
    }


def find_referral(request, referral_id):
    from django.shortcuts import get_object_or_404

    from .models import Referral

    program = program_or_403(request)
    require(request.user, program.pk, REFERRAL_READ)
    return get_object_or_404(Referral.objects.select_related("program", "patient"), pk=referral_id, program=program)


@require_GET
def waitlist_page(request):
    from waypoint.placement.waitlist import in_words

    program = program_or_403(request)
    require(request.user, program.pk, REFERRAL_READ)
    rows = referrals.waiting(program)
    flags = dict(referrals.flag_choices(program))
    figures = referrals.waitlist_figures(program)
    from .models import Referral

    recent = (
        Referral.objects.filter(program=program).exclude(status=Referral.Status.SCREENING).order_by("-outcome_at")[:20]
    )
    audit.record(request.user, "referral.waitlist.read", program=program, detail={"count": len(rows)})
    return render(
        request,
        "placements/waitlist.html",
        {
            "program": program,
            "rows": [(r, [flags.get(f, f) for f in r.priority_flags]) for r in rows],
            "figures": [(f, in_words(f.median), in_words(f.p90)) for f in figures],
            "recent": recent,
            "can_write": has_permission(request.user, program.pk, REFERRAL_WRITE),
        },
    )


@require_http_methods(["GET", "POST"])
def referral_new(request):
    program = program_or_403(request)
    require(request.user, program.pk, REFERRAL_WRITE)
    form = referral_form(program)(
        request.POST or None, initial={"received_at": timezone.localtime().replace(second=0, microsecond=0)}
    )
    if done := save_and_redirect(
        request,
        form,
        lambda data: referrals.create_referral(acting_user=request.user, program=program, **data),
        success=lambda referral: f"Referral of {referral.name} recorded.",
        then=lambda referral: reverse("placements:referral", kwargs={"referral_id": referral.pk}),
        field_of=field_for,
    ):
        return done
    return render(request, "placements/referral_new.html", {"form": form})


@require_GET
def referral_detail(request, referral_id):
    referral = find_referral(request, referral_id)
    audit.record(request.user, "referral.read", program=referral.program, obj=referral)
    return render(request, "placements/referral.html", _detail_context(request, referral))


def _detail_context(request, referral, admit_form=None, close_form=None):
    flags = dict(referrals.flag_choices(referral.program))
    return {
        "referral": referral,
        "flags": [flags.get(f, f) for f in referral.priority_flags],
        "admit_form": admit_form
        or AdmitReferralForm(
            initial={"admitted_at": timezone.localtime().replace(second=0, microsecond=0)}, program=referral.program
        ),
        "close_form": close_form or CloseReferralForm(),
        "can_write": has_permission(request.user, referral.program_id, REFERRAL_WRITE),
    }


@require_POST
def referral_admit(request, referral_id):
    from waypoint.patients.access import visible_patients

    referral = find_referral(request, referral_id)
    require(request.user, referral.program_id, REFERRAL_WRITE)
    form = AdmitReferralForm(request.POST, program=referral.program)
    if form.is_valid():
        data = dict(form.cleaned_data)
        mrn = data.pop("mrn").strip()
        patient = visible_patients(request.user, referral.program).filter(mrn=mrn).first() if mrn else None
        if mrn and patient is None:
            form.add_error("mrn", "No patient with this MRN that you can see in this program.")
        else:
            try:
                admitted = referrals.admit_referral(
                    acting_user=request.user, referral=referral, patient=patient, **data
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                patient = admitted.patient
                messages.success(request, f"{patient.display_name} admitted from the referral (MRN {patient.mrn}).")
                return redirect("patients:chart", pk=patient.pk)
    return render(request, "placements/referral.html", _detail_context(request, referral, admit_form=form), status=400)


@require_POST
def referral_close(request, referral_id):
    referral = find_referral(request, referral_id)
    require(request.user, referral.program_id, REFERRAL_WRITE)
    form = CloseReferralForm(request.POST)
    if done := save_and_redirect(
        request,
        form,
        lambda data: referrals.close_referral(acting_user=request.user, referral=referral, **data),
        success="Referral closed.",
        then="placements:waitlist",
        field_of=field_for,
    ):
        return done
    return render(request, "placements/referral.html", _detail_context(request, referral, close_form=form), status=400)


@require_GET
def due_page(request):
    from waypoint.patients.access import visible_patients

    from .due import due_for

    program = program_or_403(request)
    require(request.user, program.pk, CHART_READ)
    rows = due_for(program, visible_patients(request.user, program))
    record_read(request.user, "placement.due.list", program=program, detail={"count": len(rows)})
    return render(request, "placements/due.html", {"program": program, "rows": rows})
