"""REST API: /api/v1/outcomes/?start=YYYY-MM-DD&end=YYYY-MM-DD[&program=slug] — every figure of the period with
its definition; after discharge, each rate's cohort and lost-to-follow-up count, and the survival curves' steps.
Same permission as the dashboard (program.outcomes:read)."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from waypoint.accounts.roles import OUTCOMES_READ
from waypoint.patients.access import memberships, require
from waypoint.patients.services import record_read
from waypoint.records.replica import reads_from_replica
from waypoint.web.api import ApiView

from . import figures
from .forms import period_from


class OutcomesView(ApiView):
    @extend_schema(
        parameters=[
            OpenApiParameter("start", str),
            OpenApiParameter("end", str),
            OpenApiParameter("program", str, description="slug; default: your only program"),
        ],
        responses={
            200: OpenApiResponse(description="The figures."),
            400: OpenApiResponse(description="Bad period; the body names the field."),
            403: OpenApiResponse(description="Your role may not read outcomes."),
            404: OpenApiResponse(description="No such program of yours."),
        },
    )
    @reads_from_replica
    def get(self, request):
        from django.http import Http404
        from django.utils import timezone

        slug = request.query_params.get("program")
        mine = [m.program for m in memberships(request.user)]
        chosen = [p for p in mine if p.slug == slug] if slug else mine[:1] if len(mine) == 1 else []
        if not chosen:
            if slug or not mine:
                raise Http404
            raise ValidationError({"program": ["You belong to several programs: name one (slug)."]})
        program = chosen[0]
        require(request.user, program.pk, OUTCOMES_READ)
        form, period_data = period_from(request.query_params, program)
        if period_data is None:
            raise ValidationError({k: list(v) for k, v in form.errors.items()})
        period = figures.Period(program, period_data["start"], period_data["end"], timezone.now())
        body = {"program": program.slug, "start": period.start, "end": period.end, "figures": []}
        for figure, result in figures.compute_all(period):
            body["figures"].append(
                {
                    "key": figure.key,
                    "title": figure.title,
                    "kind": figure.kind,
                    "definition": figure.definition,
                    "value": result.value,
                    "numerator": result.numerator,
                    "denominator": result.denominator,
                    "series": [{"date": day, "value": value} for day, value in result.series],
                    "cohort": result.cohort,
                    "lost_to_follow_up": result.lost,
                    "survival": [
                        {"day": d, "followed": n, "events": e, "censored": c, "share": share}
                        for d, n, e, c, share in result.steps
                    ],
                    "breakdown": [
                        {"label": label, "numerator": n, "denominator": d} for label, n, d in result.breakdown
                    ],
                }
            )
        record_read(
            request.user,
            "outcomes.read",
            program=program,
            detail={"start": period.start.isoformat(), "end": period.end.isoformat()},
        )
        return Response(body)
