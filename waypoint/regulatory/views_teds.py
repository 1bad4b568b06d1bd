"""The director's TEDS page: pick the month and the crosswalk, see the counts, the work list of records held back
for a missing field (each with a link to where it is entered), and download the complete records as JSON or CSV.
Viewing and exporting are audited (waypoint.regulatory.teds)."""

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from waypoint.patients.access import visible_patients
from waypoint.patients.views import program_or_403
from waypoint.records.replica import reads_from_replica
from waypoint.screening.models import ROUTE_LABELS
from waypoint.web.downloads import attachment
from waypoint.web.query import query_parameters

from . import teds


class TedsForm(forms.Form):
    period = forms.CharField(
        label="Month", widget=forms.TextInput(attrs={"type": "month"}), help_text="Records of this calendar month."
    )
    state = forms.ChoiceField(
        label="Crosswalk", choices=(), help_text="The state's crosswalk; the sample is not any state's format."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [(key, "Sample" if key == "sample" else key.upper()) for key in teds.available()]

    def clean_period(self):
        try:
            return teds.Period.parse(self.cleaned_data["period"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["period"]) from error

    def clean_state(self):
        try:
            return teds.load(self.cleaned_data["state"])
        except ValidationError as error:
            raise ValidationError(" ".join(" ".join(v) for v in error.message_dict.values())) from error


def _last_month(program) -> str:
    previous = program.today().replace(day=1) - timedelta(days=1)
    return f"{previous:%Y-%m}"


def _report(request):
    program = program_or_403(request)
    teds.check_reader(request.user, program)
    # what is not asked for: last month, the first crosswalk (the sample, while it is the only one)
    form = TedsForm({"period": _last_month(program), "state": teds.available()[0]} | request.GET.dict())
    if not form.is_valid():
        return program, form, None
    chosen = form.cleaned_data
    patients = visible_patients(request.user, program)
    return program, form, teds.build(program, chosen["period"], chosen["state"], patients)


@require_GET
@query_parameters("period", "state")
@reads_from_replica
def page(request):
    program, form, report = _report(request)
    if report is not None:
        teds.record_view(request.user, report)
    context = {"form": form, "report": report}
    if report is not None:
        counts = report.counts()
        context["count_rows"] = [
            (label, counts[kind]["total"], counts[kind]["complete"], counts[kind]["total"] - counts[kind]["complete"])
            for kind, label in (("admission", "Admissions"), ("discharge", "Discharges"))
        ]
        context["query"] = urlencode({"period": str(report.period), "state": report.crosswalk.key})
        context["route_order"] = ", ".join(ROUTE_LABELS[r].lower() for r in report.crosswalk.route_precedence)
    return render(request, "regulatory/teds.html", context)


@require_GET
@query_parameters("period", "state")
@reads_from_replica
def download(request, fmt):
    program, form, report = _report(request)
    if report is None:
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
    content = teds.export(request.user, report, fmt)
    kind = "application/json" if fmt == "json" else "text/csv"
    response = HttpResponse(content, content_type=f"{kind}; charset=utf-8")
    response["Content-Disposition"] = attachment(
        "teds", report.crosswalk.key, program.slug, str(report.period), extension=fmt
    )
    return response


urlpatterns = [
    path("reports/teds/", page, name="teds"),
    path("reports/teds/export.json", download, {"fmt": "json"}, name="teds-json"),
    path("reports/teds/export.csv", download, {"fmt": "csv"}, name="teds-csv"),
]
