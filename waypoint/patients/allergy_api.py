"""REST API: /api/v1/patients/{id}/allergies/ (list; record a drug allergy or "no known drug allergies") and
.../allergies/{allergy}/entered-in-error/. The same services, refusals and access scope as the page."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from waypoint.accounts.roles import CHART_READ
from waypoint.web.api import ApiView, StrictSerializer

from . import allergies
from .access import access_patient, access_record, require
from .allergy_models import Allergy
from .services import record_read

ERRORS = {
    400: OpenApiResponse(description="Refused: the body names each field and why; nothing is saved."),
    403: OpenApiResponse(description="Your role may not do this."),
    404: OpenApiResponse(description="No such patient (or not visible to you)."),
}


class AllergyOut(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username")

    class Meta:
        model = Allergy
        fields = [
            "id",
            "kind",
            "substance",
            "reaction",
            "severity",
            "note",
            "recorded_by",
            "recorded_at",
            "record_status",
            "change_reason",
        ]


class AllergiesOut(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=[allergies.NOT_ASKED, allergies.NONE_KNOWN, allergies.RECORDED],
        help_text="not_asked (no entry in force), none_known, or recorded",
    )
    entries = AllergyOut(many=True, help_text="Every entry, newest first, corrected ones too")


class AllergyIn(StrictSerializer):
    kind = serializers.ChoiceField(choices=Allergy.Kind.choices)
    substance = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
    reaction = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    severity = serializers.ChoiceField(choices=Allergy.Severity.choices, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class InErrorIn(StrictSerializer):
    reason = serializers.CharField()


class AllergyListView(ApiView):
    @extend_schema(responses={200: AllergiesOut, **ERRORS})
    def get(self, request, pk):
        """The patient's drug allergies: whether they were asked, and every entry."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CHART_READ)
        record_read(request.user, "patient.allergy.read", patient=patient)
        state, _entries = allergies.allergy_state(patient)
        rows = Allergy.objects.filter(patient=patient).select_related("recorded_by").order_by("-recorded_at", "-id")
        return Response({"state": state, "entries": AllergyOut(rows, many=True).data})

    @extend_schema(request=AllergyIn, responses={201: AllergyOut, **ERRORS})
    def post(self, request, pk):
        """Record a drug allergy (`kind` drug or drug_class, with `substance`, `reaction`, `severity`) or that the
        patient has no known drug allergies (`kind` none_known, nothing else)."""
        patient = access_patient(request.user, pk)
        serializer = AllergyIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        allergy = allergies.record_allergy(acting_user=request.user, patient=patient, **serializer.validated_data)
        return Response(AllergyOut(allergy).data, status=status.HTTP_201_CREATED)


class AllergyInErrorView(ApiView):
    @extend_schema(request=InErrorIn, responses={200: AllergyOut, **ERRORS})
    def post(self, request, pk, allergy_id):
        """Mark a mistaken entry entered in error, with the reason (it stays, out of every check)."""
        patient = access_patient(request.user, pk)
        allergy = access_record(patient, Allergy, allergy_id)
        serializer = InErrorIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        allergy = allergies.mark_allergy_in_error(
            acting_user=request.user, allergy=allergy, reason=serializer.validated_data["reason"]
        )
        return Response(AllergyOut(allergy).data)
