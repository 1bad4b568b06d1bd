"""REST API for placement assessments and the program's rule table."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from waypoint.accounts.roles import CENSUS_READ, CHART_READ
from waypoint.patients.access import require
from waypoint.patients.api import find_patient, program_from_query
from waypoint.patients.services import record_read
from waypoint.web.api import ApiView, StrictSerializer

from . import services
from .models import PlacementAssessment
from .settings import table_for


class PlacementSerializer(serializers.ModelSerializer):
    decided_by = serializers.CharField(source="decided_by.username")
    ratings = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField()
    recommendation = serializers.SerializerMethodField()

    class Meta:
        model = PlacementAssessment
        fields = ["id", "patient", "episode", "edition", "ratings", "notes", "recommendation", "decided_level",
                  "reason", "reason_text", "decided_by", "at", "recorded_at"]

    def get_ratings(self, placement) -> dict:
        return dict(zip(services.KEYS, placement.ratings, strict=True))

    def get_notes(self, placement) -> dict:
        return dict(zip(services.KEYS, placement.notes, strict=True))

    def get_recommendation(self, placement) -> dict:
        return {"level": placement.recommended_level, "withdrawal": placement.recommended_withdrawal or None,
                "rules_fired": placement.rules_fired, "table": placement.table_name,
                "table_version": placement.table_version}


class RecordSerializer(StrictSerializer):
    ratings = serializers.JSONField(help_text="Object d1..d6, each a whole number 0-4.")
    notes = serializers.JSONField(required=False, default=dict)
    decided_level = serializers.CharField(required=False, allow_blank=True, default="",
                                          help_text="Empty: the recommended level.")
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    reason_text = serializers.CharField(required=False, allow_blank=True, default="")
    at = serializers.DateTimeField(required=False, default=None)


class PlacementListView(ApiView):
    @extend_schema(responses=PlacementSerializer(many=True))
    def get(self, request, pk):
        """A patient's placement assessments, newest first."""
        patient = find_patient(request, pk)
        require(request.user, patient.program_id, CHART_READ)
        rows = list(PlacementAssessment.objects.filter(patient=patient).select_related("decided_by")[:200])
        record_read(request.user, "placement.list", patient=patient, detail={"count": len(rows)})
        return Response({"results": PlacementSerializer(rows, many=True).data})

    @extend_schema(request=RecordSerializer, responses={201: PlacementSerializer})
    def post(self, request, pk):
        """Rate the six dimensions and record the decision. 400 names `ratings.dN`, `decided_level`, `reason`."""
        patient = find_patient(request, pk)
        serializer = RecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        placement = services.record_placement(acting_user=request.user, patient=patient,
                                              **serializer.validated_data)
        return Response(PlacementSerializer(placement).data, status=status.HTTP_201_CREATED)


class RuleTableView(ApiView):
    def get(self, request):
        """The program's placement rule table (Waypoint's default unless the program set its own)."""
        program = program_from_query(request)
        require(request.user, program.pk, CENSUS_READ)
        return Response(table_for(program))
