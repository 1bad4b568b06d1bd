"""REST API: /api/v1/patients/{id}/comfort-doses/ (list; give, hold or refuse) and
.../comfort-doses/{dose}/follow-up/. The same services, refusals and access scope as the pages."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from waypoint.accounts.roles import CHART_READ
from waypoint.patients.access import access_patient, access_record, require
from waypoint.patients.services import record_read
from waypoint.web.api import ApiView, StrictSerializer

from . import services
from .models import Dose, OrderLine

ERRORS = {
    400: OpenApiResponse(description="Refused: the body names each rule or field and why; nothing is saved."),
    403: OpenApiResponse(description="Your role may not do this."),
    404: OpenApiResponse(description="No such patient (or not visible to you)."),
}


class DoseOut(serializers.ModelSerializer):
    medication = serializers.CharField(source="label", help_text='e.g. "loperamide 2 mg PO"')
    given_by = serializers.CharField(source="recorded_by.username")
    # the ClinicalRecord status, in the names this API has always used (a dose is never amended: only marked)
    entered_in_error_at = serializers.DateTimeField(source="status_changed_at", read_only=True, allow_null=True)
    error_reason = serializers.CharField(source="change_reason", read_only=True)
    protocol_version = serializers.IntegerField(source="entry.protocol.version")

    class Meta:
        model = Dose
        fields = [
            "id",
            "line",
            "symptom",
            "drug",
            "medication",
            "status",
            "dose_mg",
            "at",
            "reason",
            "pulse_bpm",
            "systolic_mmhg",
            "note",
            "given_by",
            "protocol_version",
            "follow_up_due_at",
            "follow_up_at",
            "follow_up_outcome",
            "follow_up_note",
            "entered_in_error_at",
            "error_reason",
        ]


class VitalsIn(StrictSerializer):
    pulse_bpm = serializers.IntegerField(required=False, allow_null=True)
    systolic_mmhg = serializers.IntegerField(required=False, allow_null=True)


class DoseIn(StrictSerializer):
    line = serializers.IntegerField(help_text="An order line of the patient's active comfort-medication order set.")
    status = serializers.ChoiceField(choices=Dose.Status.choices, default=Dose.Status.GIVEN)
    dose = serializers.DecimalField(max_digits=8, decimal_places=2, required=False, allow_null=True)
    at = serializers.DateTimeField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    vitals = VitalsIn(required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class FollowUpIn(StrictSerializer):
    outcome = serializers.ChoiceField(choices=Dose.Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DoseListView(ApiView):
    @extend_schema(responses={200: DoseOut(many=True), **ERRORS})
    def get(self, request, pk):
        """The patient's comfort-medication doses, newest first (held, refused and entered-in-error ones too)."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CHART_READ)
        record_read(request.user, "comfort.dose.read", patient=patient)
        rows = Dose.objects.filter(patient=patient).select_related("entry__protocol", "recorded_by")
        return Response(DoseOut(rows, many=True).data)

    @extend_schema(request=DoseIn, responses={201: DoseOut, **ERRORS})
    def post(self, request, pk):
        """Give, hold or refuse a dose. 400 names the rule: `line` (not in the active order set), `dose` (outside
        the ordered range), `interval`, `daily_maximum` (every dose of the drug in any rolling 24 hours), `hold`,
        `vitals` (missing or older than the protocol allows), `allergy`, `reason` (held or refused without one)."""
        patient = access_patient(request.user, pk)
        serializer = DoseIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        line = OrderLine.objects.filter(pk=data.pop("line"), order__patient=patient).select_related("entry").first()
        dose = services.give_dose(acting_user=request.user, patient=patient, line=line, **data)
        return Response(DoseOut(dose).data, status=status.HTTP_201_CREATED)


class FollowUpView(ApiView):
    @extend_schema(request=FollowUpIn, responses={200: DoseOut, **ERRORS})
    def post(self, request, pk, dose_id):
        """Record the effectiveness follow-up of a given dose: eased, unchanged or worse."""
        patient = access_patient(request.user, pk)
        dose = access_record(patient, Dose, dose_id)
        serializer = FollowUpIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        dose = services.record_follow_up(acting_user=request.user, dose=dose, **serializer.validated_data)
        return Response(DoseOut(dose).data)
