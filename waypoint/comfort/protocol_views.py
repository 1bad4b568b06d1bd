"""Pages for the protocol and the order sets: the program's protocol (every signed version), the medical director
writing a new version (prefilled from the one in force), and a prescriber activating it for a patient (drugs left
out, limits narrowed, widened only with a reason). The services decide; these pages parse, call and render."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET, require_http_methods

from waypoint.accounts.membership import program_or_403
from waypoint.accounts.roles import CHART_READ, MOUD_ORDER, OUTCOMES_READ
from waypoint.medication.catalog import ROUTE_NAMES, dose_text
from waypoint.patients.access import access_patient, has_permission, require
from waypoint.patients.services import record_read
from waypoint.web.query import query_parameters

from . import catalog, report, services
from .models import Protocol, ProtocolEntry

ENTRY_FIELDS = (
    "route",
    "dose_min_mg",
    "dose_max_mg",
    "min_interval_minutes",
    "max_24h_mg",
    "hold_systolic_below",
    "hold_pulse_below",
    "vitals_max_age_minutes",
    "condition",
    "condition_max_24h_mg",
    "follow_up_minutes",
)
LINE_FIELDS = ("dose_max_mg", "min_interval_minutes", "max_24h_mg", "widen_reason")


def _shown(value: Any) -> str:
    if value is None:
        return ""
    return dose_text(value) if not isinstance(value, int | str) else str(value)


@require_GET
def protocol_page(request):
    program = program_or_403(request)
    require(request.user, program.pk, CHART_READ)
    versions = list(Protocol.objects.filter(program=program).select_related("signed_by").prefetch_related("entries"))
    return render(
        request,
        "comfort/protocol.html",
        {
            "versions": versions,
            "current": versions[0] if versions else None,
            "can_sign": has_permission(request.user, program.pk, MOUD_ORDER),
            "title": "Comfort-medication protocol",
        },
    )


def _protocol_rows(post, current: Protocol | None) -> list[dict[str, Any]]:
    """One row per symptom and drug the reference lists: its values as posted, or as the protocol in force has them."""
    kept = {(e.symptom, e.drug): e for e in current.entries.all()} if current else {}
    rows = []
    for symptom, drugs in catalog.DRUGS_FOR.items():
        for drug in drugs:
            key = f"{symptom}-{drug}"
            entry = kept.get((symptom, drug))
            if post is not None:
                values = {field: post.get(f"{key}-{field}", "").strip() for field in ENTRY_FIELDS}
                include = post.get(f"{key}-include") == "on"
            else:
                values = {field: _shown(getattr(entry, field)) if entry else "" for field in ENTRY_FIELDS}
                values["route"] = values["route"] or "oral"
                include = entry is not None
            rows.append(
                {
                    "key": key,
                    "symptom": symptom,
                    "drug": drug,
                    "symptom_name": catalog.SYMPTOMS[symptom],
                    "drug_name": catalog.DRUGS[drug],
                    "include": include,
                    "values": values,
                    "errors": {},
                    "label_max": catalog.LABEL_DAILY_MAX_MG.get(drug),
                    "label_source": catalog.LABEL_SOURCE.get(drug, ""),
                }
            )
    return rows


@require_http_methods(["GET", "POST"])
def protocol_new(request):
    """The medical director signs a new version of the program's protocol."""
    program = program_or_403(request)
    require(request.user, program.pk, MOUD_ORDER)
    current = services.current_protocol(program)
    post = request.POST if request.method == "POST" else None
    rows = _protocol_rows(post, current)
    title = post.get("title", "").strip() if post else (current.title if current else "")
    note = post.get("note", "").strip() if post else ""
    is_demo = (post.get("is_demo") == "on") if post else bool(current and current.is_demo)
    errors: dict[str, list[str]] = {}
    if post is not None:
        chosen = [row for row in rows if row["include"]]
        entries = [
            {"symptom": row["symptom"], "drug": row["drug"], **{k: v for k, v in row["values"].items() if v != ""}}
            for row in chosen
        ]
        try:
            protocol = services.sign_protocol(
                acting_user=request.user, program=program, title=title, entries=entries, is_demo=is_demo, note=note
            )
        except ValidationError as error:
            for key, messages_ in error.message_dict.items():
                parts = key.split(".")
                if parts[0] == "entries" and len(parts) == 3:
                    chosen[int(parts[1])]["errors"][parts[2]] = " ".join(messages_)
                else:
                    errors[key] = messages_
        else:
            messages.success(request, f"Signed: {protocol}. Doses given earlier keep their version.")
            return redirect("comfort:protocol")
    return render(
        request,
        "comfort/protocol_form.html",
        {
            "rows": rows,
            "current": current,
            "title_value": title,
            "note": note,
            "is_demo": is_demo,
            "errors": errors,
            "row_errors": any(row["errors"] for row in rows),
            "routes": list(ROUTE_NAMES.items()),
            "conditions": list(catalog.CONDITIONS.items()),
            "title": "Sign a new version of the protocol",
        },
    )


@require_http_methods(["GET", "POST"])
def order_new(request, pk):
    """A prescriber activates the program's protocol in force for the patient."""
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, MOUD_ORDER)
    protocol = services.current_protocol(patient.program)
    entries: list[ProtocolEntry] = list(protocol.entries.all()) if protocol else []
    post = request.POST if request.method == "POST" else None
    rows = []
    for entry in entries:
        values = {field: (post.get(f"e{entry.pk}-{field}", "").strip() if post else "") for field in LINE_FIELDS}
        keep = (post.get(f"e{entry.pk}-keep") == "on") if post else True
        rows.append({"entry": entry, "keep": keep, "values": values, "errors": {}})
    errors: dict[str, list[str]] = {}
    if post is not None and protocol is not None:
        chosen = {row["entry"].pk: {k: v for k, v in row["values"].items() if v != ""} for row in rows if row["keep"]}
        try:
            # on the minute: a dose recorded in the same minute (the dose form's times are minutes) falls inside it
            start_at = timezone.now().replace(second=0, microsecond=0)
            services.activate_order(acting_user=request.user, patient=patient, entries=chosen, start_at=start_at)
        except ValidationError as error:
            by_pk = {row["entry"].pk: row for row in rows}
            for key, messages_ in error.message_dict.items():
                parts = key.split(".")
                if parts[0] == "lines" and len(parts) == 3 and int(parts[1]) in by_pk:
                    by_pk[int(parts[1])]["errors"][parts[2]] = " ".join(messages_)
                else:
                    errors[key] = messages_
        else:
            messages.success(request, f"Comfort medications ordered under {protocol}.")
            return redirect("comfort:mar", pk=patient.pk)
    if request.method == "GET":
        record_read(request.user, "comfort.order.form.read", patient=patient)
    return render(
        request,
        "comfort/order_form.html",
        {
            "patient": patient,
            "protocol": protocol,
            "rows": rows,
            "errors": errors,
            "active": services.active_order(patient),
            "title": "Order comfort medications",
        },
    )


def _day(value):
    try:
        return parse_date(value or "")
    except ValueError:  # well formed, not a day (2026-02-30)
        return None


@require_GET
@query_parameters("from", "to")
def report_page(request):
    """The program's comfort-medication figures: for the program director and the prescribers (medical director)."""
    program = program_or_403(request)
    if not (
        has_permission(request.user, program.pk, OUTCOMES_READ) or has_permission(request.user, program.pk, MOUD_ORDER)
    ):
        raise PermissionDenied("The comfort-medication figures are for the program director and the prescribers.")
    today = program.today()
    last = _day(request.GET.get("to")) or today
    first = _day(request.GET.get("from")) or last - timedelta(days=6)
    if first > last or (last - first).days > 92:
        first = last - timedelta(days=6)
    found = report.comfort_report(program, first, last)
    rows = [(name, [per_day[day] for day in found.days]) for name, per_day in found.given.items()]
    return render(
        request,
        "comfort/report.html",
        {
            "report": found,
            "rows": rows,
            "first": first,
            "last": last,
            "title": "Comfort medications: the program's view",
        },
    )
