"""The outcomes dashboard and its CSV export: the program's figures for a period, each with its definition."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from waypoint.accounts.roles import OUTCOMES_READ
from waypoint.patients.access import require
from waypoint.patients.services import record_read
from waypoint.patients.views import program_or_403
from waypoint.records.replica import reads_from_replica
from waypoint.web.downloads import attachment, csv_writer
from waypoint.web.query import query_parameters

from . import figures, svg
from .forms import period_from


def _period(request):
    program = program_or_403(request)
    require(request.user, program.pk, OUTCOMES_READ)
    form, chosen = period_from(request.GET, program)
    period = figures.Period(program, chosen["start"], chosen["end"], timezone.now()) if chosen else None
    return program, form, period


def shown(figure, result) -> str:
    if figure.kind == "survival":
        if not result.denominator:
            return "no cases in the period"
        at_90 = "not estimable" if result.value is None else f"{round(result.value * 100)}%"
        return f"{at_90} at day 90 ({result.numerator} of {result.denominator})"
    if result.value is None:
        return "no cases in the period" if not result.cohort else "no outcome known"
    if figure.kind == "rate":
        return f"{round(result.value * 100)}% ({result.numerator} of {result.denominator})"
    return f"{result.value:g}"


def beside(result) -> tuple[str, str]:
    """After discharge: the cases lost to follow-up, and those whose outcome is not known, of the cohort."""
    if not result.cohort:
        return "", ""
    lost = f"{result.lost} of {result.cohort} ({round(result.lost * 100 / result.cohort)}%)"
    if result.steps:
        return lost, ""
    return lost, f"outcome not known: {result.cohort - (result.denominator or 0)} of {result.cohort}"


@require_GET
@query_parameters("start", "end")
@reads_from_replica
def dashboard(request):
    program, form, period = _period(request)
    rows, charts, rates, survival = [], [], [], []
    if period is not None:
        for figure, result in figures.compute_all(period):
            rows.append({"figure": figure, "result": result, "shown": shown(figure, result), "beside": beside(result)})
            if figure.chart == "bars":
                charts.append(
                    (
                        f"{figure.title} by week",
                        mark_safe(  # nosec: B308, B703  # escaped markup built by our own code
                            svg.column_chart(  # noqa: S308 - escaped
                                result.series, title=f"{figure.title} by week", what=figure.title
                            )
                        ),
                    )
                )
            elif figure.chart == "line":
                charts.append(
                    (
                        f"{figure.title} at the end of each day",
                        mark_safe(  # nosec: B308, B703  # escaped markup built by our own code
                            svg.line_chart(  # noqa: S308
                                result.series, title=f"{figure.title} by day", what=figure.title
                            )
                        ),
                    )
                )
            elif figure.chart == "survival":
                survival.append(
                    {
                        "title": f"{figure.title} (Kaplan-Meier)",
                        "key": figure.key,
                        "svg": mark_safe(  # nosec: B308, B703  # escaped markup built by our own code
                            svg.survival_chart(  # noqa: S308 - svg escapes every text
                                result.steps, title=f"{figure.title} (Kaplan-Meier)", what=figure.title[8:]
                            )
                        ),
                        "steps": result.steps,
                        # nothing to draw: every discharge ended on its discharge day without the event
                        "empty": not any(day > 0 or events for day, _, events, _, _ in result.steps),
                    }
                )
            elif figure.kind == "rate" and not result.breakdown:
                rates.append((figure.title, result.value, result.numerator, result.denominator))
            if result.breakdown:
                charts.append(
                    (
                        figure.title,
                        mark_safe(  # nosec: B308, B703  # escaped markup built by our own code
                            svg.rate_bars(  # noqa: S308 - svg escapes every text
                                [(label, n / d if d else None, n, d) for label, n, d in result.breakdown],
                                title=figure.title,
                            )
                        ),
                    )
                )
        record_read(
            request.user,
            "outcomes.read",
            program=program,
            detail={"start": period.start.isoformat(), "end": period.end.isoformat()},
        )
    rates_chart = mark_safe(svg.rate_bars(rates, title="Rates in the period")) if rates else None  # noqa: S308  # nosec: B308, B703
    return render(
        request,
        "outcomes/dashboard.html",
        {
            "form": form,
            "period": period,
            "rows": rows,
            "charts": charts,
            "survival": survival,
            "rates_chart": rates_chart,
            "query": request.GET.urlencode(),
        },
    )


@require_GET
@query_parameters("start", "end")
@reads_from_replica
def export_csv(request):
    program, form, period = _period(request)
    if period is None:
        return HttpResponse(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = attachment("outcomes", program.slug, period.start, period.end, extension="csv")
    writer = csv_writer(response)
    writer.writerow(["figure", "title", "part", "value", "numerator", "denominator", "definition"])
    for figure, result in figures.compute_all(period):
        writer.writerow(
            [
                figure.key,
                figure.title,
                "total",
                "" if result.value is None else round(result.value, 4),
                result.numerator if result.numerator is not None else "",
                result.denominator if result.denominator is not None else "",
                figure.definition,
            ]
        )
        for day, value in result.series:
            writer.writerow([figure.key, figure.title, day.isoformat(), value, "", "", ""])
        if result.cohort is not None:
            writer.writerow([figure.key, figure.title, "lost to follow-up", "", result.lost, result.cohort, ""])
        for day, at_risk, events, censored, share in result.steps:
            writer.writerow(
                [
                    figure.key,
                    figure.title,
                    f"day {day} ({events} events, {censored} censored)",
                    round(share, 4),
                    "",
                    at_risk,
                    "",
                ]
            )
        for label, numerator, denominator in result.breakdown:
            writer.writerow(
                [
                    figure.key,
                    figure.title,
                    label,
                    round(numerator / denominator, 4) if denominator else "",
                    numerator,
                    denominator,
                    "",
                ]
            )
    record_read(
        request.user,
        "outcomes.export",
        program=program,
        detail={"start": period.start.isoformat(), "end": period.end.isoformat()},
    )
    return response
