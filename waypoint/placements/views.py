"""Placement pages: rate and decide beside the chart, and the program's rule table."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from waypoint.accounts.roles import CENSUS_READ, CHART_READ, EPISODE_MANAGE
from waypoint.patients.access import has_permission, require
from waypoint.patients.services import record_read
from waypoint.patients.views import chart_patient, program_or_403
from waypoint.placement import rules

from . import services
from .forms import field_for, placement_form
from .models import PlacementAssessment
from .settings import RULE_TABLE, table_for


def add_errors(form, error: ValidationError) -> None:
    for key, messages_ in error.message_dict.items():
        name = field_for(key)
        form.add_error(name if name in form.fields else None, messages_)


@require_http_methods(["GET", "POST"])
def placement(request, pk):
    patient = chart_patient(request, pk)
    require(request.user, patient.program_id, CHART_READ)
    can_record = has_permission(request.user, patient.program_id, EPISODE_MANAGE)
    edition = patient.program.asam_edition
    form_class = placement_form(edition)
    form = form_class(request.POST or None,
                      initial={"at": timezone.localtime().replace(second=0, microsecond=0)})
    if request.method == "POST":
        require(request.user, patient.program_id, EPISODE_MANAGE)
        if form.is_valid():
            data = form.cleaned_data
            ratings = {key: data[f"rating_{key}"] for key in services.KEYS if data[f"rating_{key}"] not in ("", None)}
            notes = {key: data[f"note_{key}"] for key in services.KEYS}
            try:
                saved = services.record_placement(
                    acting_user=request.user, patient=patient, ratings=ratings, notes=notes,
                    decided_level=data["decided_level"], reason=data["reason"], reason_text=data["reason_text"],
                    at=data["at"])
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"Placement recorded: level {saved.decided_level} (recommended "
                                 f"{saved.recommended_level}).")
                return redirect("placements:placement", pk=patient.pk)
    history = list(PlacementAssessment.objects.filter(patient=patient).select_related("decided_by")[:20])
    record_read(request.user, "placement.list", patient=patient, detail={"count": len(history)})
    rating_rows = [(form[f"rating_{key}"], form[f"note_{key}"]) for key in services.KEYS]
    return render(request, "placements/placement.html", {
        "patient": patient, "form": form, "rating_rows": rating_rows, "history": history,
        "latest": history[0] if history else None, "can_record": can_record,
    })


@require_GET
def rule_table(request):
    program = program_or_403(request)
    require(request.user, program.pk, CENSUS_READ)
    table = table_for(program)
    edition = table["edition"]
    rows = [{"id": rule["id"], "when": [rules.describe(c, edition) for c in rule["when"]],
             "level": rule.get("level") or "", "withdrawal": rule.get("withdrawal") or "", "why": rule.get("why", "")}
            for rule in table["rules"]]
    return render(request, "placements/rule_table.html", {
        "table": table, "rows": rows, "dimensions": rules.DIMENSIONS[edition], "program": program,
        "customised": RULE_TABLE.get(program) is not None, "setting": RULE_TABLE,
        "problem": rules.validate(table),
    })
