"""REST API: /api/v1/patients/{id}/drug-screens/ (list with expected / unexpected findings, record)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from waypoint.accounts.roles import CHART_READ
from waypoint.patients.access import access_patient, access_record, require
from waypoint.patients.services import record_read
from waypoint.web.api import ApiView, StrictSerializer

from . import services
from .models import DrugScreen

ERRORS = {
    400: OpenApiResponse(description="Refused: the body names each field and why."),
    403: OpenApiResponse(description="Your role may not record drug screens."),
    404: OpenApiResponse(description="No such patient (or not visible to you)."),
}


def screen_out(read: services.ReadScreen) -> dict:
    screen = read.screen
    return {
        "id": screen.pk,
        "collected_at": screen.collected_at,
        "observed": screen.observed,
        "results": screen.results,
        "note": screen.note,
        "episode": screen.episode_id,
        "recorded_by": screen.recorded_by.username,
        "recorded_at": screen.recorded_at,
        "entered_in_error_at": screen.status_changed_at if screen.entered_in_error else None,
        "error_reason": screen.change_reason if screen.entered_in_error else "",
        "findings": [
            {"analyte": f.analyte, "result": f.result, "kind": f.kind, "why": f.why}
            for f in read.findings
            if f.kind != "not_tested"
        ],
        "unexpected": [f.analyte for f in read.unexpected],
    }


class DrugScreenIn(StrictSerializer):
    collected_at = serializers.DateTimeField()
    observed = serializers.BooleanField()
    results = serializers.DictField(child=serializers.CharField())
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DrugScreenListView(ApiView):
    @extend_schema(
        responses={
            200: OpenApiResponse(
                description="The screens, newest first, each with findings: "
                "kind expected_positive / unexpected_positive / expected_absent "
                "/ negative."
            ),
            **ERRORS,
        }
    )
    def get(self, request, pk):
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CHART_READ)
        record_read(request.user, "drug_screen.read", patient=patient)
        screens = services.with_findings(list(DrugScreen.objects.filter(patient=patient).select_related("recorded_by")))
        return Response([screen_out(r) for r in screens])

    @extend_schema(request=DrugScreenIn, responses={201: OpenApiResponse(description="The screen recorded."), **ERRORS})
    def post(self, request, pk):
        """Record a screen: results {analyte: positive|negative|not_tested}; analytes left out are not tested.
        400 names `results.<analyte>`, `results` (none tested), `collected_at`."""
        patient = access_patient(request.user, pk)
        serializer = DrugScreenIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        screen = services.record_screen(acting_user=request.user, patient=patient, **serializer.validated_data)
        return Response(screen_out(services.with_findings([screen])[0]), status=status.HTTP_201_CREATED)


class ScreenReasonIn(StrictSerializer):
    reason = serializers.CharField(allow_blank=True)


class DrugScreenErrorView(ApiView):
    @extend_schema(
        request=ScreenReasonIn, responses={200: OpenApiResponse(description="The screen, marked."), **ERRORS}
    )
    def post(self, request, pk, screen_id):
        """Mark a screen entered in error, with the reason; it stays, but counts in no figure."""
        patient = access_patient(request.user, pk)
        screen = access_record(patient, DrugScreen, screen_id)
        serializer = ScreenReasonIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        screen = services.mark_screen_in_error(acting_user=request.user, screen=screen, **serializer.validated_data)
        return Response(screen_out(services.with_findings([screen])[0]))
