"""REST API for placement assessments and the program's rule table."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from waypoint.accounts.roles import CENSUS_READ, CHART_READ, REFERRAL_READ, REFERRAL_WRITE
from waypoint.audit import trail as audit
from waypoint.patients.access import access_patient, has_permission, require, visible_patients
from waypoint.patients.api import program_from_query, program_team
from waypoint.patients.services import record_read
from waypoint.web.api import ApiView, StrictSerializer, limit_of

from . import referrals, services
from .models import PlacementAssessment, Referral
from .settings import table_for


class PlacementSerializer(serializers.ModelSerializer):
    decided_by = serializers.CharField(source="decided_by.username")
    ratings = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField()
    recommendation = serializers.SerializerMethodField()

    class Meta:
        model = PlacementAssessment
        fields = [
            "id",
            "patient",
            "episode",
            "edition",
            "ratings",
            "notes",
            "recommendation",
            "decided_level",
            "reason",
            "reason_text",
            "decided_by",
            "at",
            "recorded_at",
        ]

    def get_ratings(self, placement) -> dict:
        return dict(zip(services.KEYS, placement.ratings, strict=True))

    def get_notes(self, placement) -> dict:
        return dict(zip(services.KEYS, placement.notes, strict=True))

    def get_recommendation(self, placement) -> dict:
        return {
            "level": placement.recommended_level,
            "withdrawal": placement.recommended_withdrawal or None,
            "rules_fired": placement.rules_fired,
            "table": placement.table_name,
            "table_version": placement.table_version,
            "program_table": placement.rule_table_id is not None,
        }  # false: Waypoint's default table


@extend_schema_serializer(component_name="PlacementRecord")  # withdrawal has a RecordSerializer too
class RecordSerializer(StrictSerializer):
    ratings = serializers.JSONField(help_text="Object d1..d6, each a whole number 0-4.")
    notes = serializers.JSONField(required=False, default=dict)
    decided_level = serializers.CharField(
        max_length=limit_of(PlacementAssessment, "decided_level"),
        required=False,
        allow_blank=True,
        default="",
        help_text="Empty: the recommended level.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    reason_text = serializers.CharField(required=False, allow_blank=True, default="")
    at = serializers.DateTimeField(required=False, default=None)


class PlacementListView(ApiView):
    @extend_schema(responses=PlacementSerializer(many=True))
    def get(self, request, pk):
        """A patient's placement assessments, newest first."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CHART_READ)
        rows = list(PlacementAssessment.objects.filter(patient=patient).select_related("decided_by")[:200])
        record_read(request.user, "placement.list", patient=patient, detail={"count": len(rows)})
        return Response({"results": PlacementSerializer(rows, many=True).data})

    @extend_schema(request=RecordSerializer, responses={201: PlacementSerializer})
    def post(self, request, pk):
        """Rate the six dimensions and record the decision. 400 names `ratings.dN`, `decided_level`, `reason`."""
        patient = access_patient(request.user, pk)
        serializer = RecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        placement = services.record_placement(acting_user=request.user, patient=patient, **serializer.validated_data)
        return Response(PlacementSerializer(placement).data, status=status.HTTP_201_CREATED)


class RuleTableView(ApiView):
    def get(self, request):
        """The program's placement rule table (Waypoint's default unless the program set its own)."""
        program = program_from_query(request)
        require(request.user, program.pk, CENSUS_READ)
        return Response(table_for(program))


class ReferralSerializer(serializers.ModelSerializer):
    class Meta:
        model = Referral
        fields = [
            "id",
            "name",
            "contact",
            "source",
            "source_detail",
            "received_at",
            "urgency",
            "requested_level",
            "priority_flags",
            "note",
            "status",
            "outcome_at",
            "outcome_reason",
            "patient",
            "episode",
            "created_at",
        ]


class ReferralCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=limit_of(Referral, "name"))
    contact = serializers.CharField(max_length=limit_of(Referral, "contact"))
    # named like an attribute of a DRF Field, which the stubs see; DRF declares it as a serializer field
    source = serializers.ChoiceField(choices=Referral.Source.choices)  # type: ignore[assignment]
    source_detail = serializers.CharField(
        max_length=limit_of(Referral, "source_detail"), required=False, allow_blank=True, default=""
    )
    received_at = serializers.DateTimeField()
    urgency = serializers.ChoiceField(choices=Referral.Urgency.choices, required=False, default="routine")
    requested_level = serializers.CharField(max_length=limit_of(Referral, "requested_level"))
    priority_flags = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReferralAdmitSerializer(StrictSerializer):
    patient = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Empty: registered from the referral now."
    )
    admitted_at = serializers.DateTimeField()
    level_code = serializers.CharField(required=False, allow_blank=True, default="")
    birth_date = serializers.DateField(required=False, allow_null=True, default=None)
    sex_at_birth = serializers.CharField(required=False, allow_blank=True, default="")
    care_team = serializers.IntegerField(required=False, allow_null=True, default=None)


class ReferralCloseSerializer(StrictSerializer):
    status = serializers.CharField()
    reason = serializers.CharField()


def find_referral(request, referral_id) -> Referral:
    programs = [
        m.program_id
        for m in request.user.memberships.all()
        if has_permission(request.user, m.program_id, REFERRAL_READ)
    ]
    return get_object_or_404(Referral, pk=referral_id, program_id__in=programs)


class ReferralListView(ApiView):
    @extend_schema(
        responses=inline_serializer("ReferralList", {"results": ReferralSerializer(many=True)}),
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=[*Referral.Status.values, "all"],
                description="screening (default), admitted, referred_elsewhere, closed, or all",
            ),
            OpenApiParameter("program", str, description="program slug (needed when the user belongs to several)"),
        ],
    )
    def get(self, request):
        """The program's referrals (the waitlist by default: status screening), oldest first."""
        program = program_from_query(request)
        require(request.user, program.pk, REFERRAL_READ)
        rows = Referral.objects.filter(program=program)
        wanted = request.query_params.get("status", "screening")
        if wanted != "all":
            if wanted not in Referral.Status.values:
                raise ValidationError({"status": ["Expected " + ", ".join(Referral.Status.values) + " or all."]})
            rows = rows.filter(status=wanted)
        rows = list(rows[:500])
        audit.record(request.user, "referral.list", program=program, detail={"count": len(rows)})
        return Response({"results": ReferralSerializer(rows, many=True).data})

    @extend_schema(request=ReferralCreateSerializer, responses={201: ReferralSerializer})
    def post(self, request):
        """Record a referral (first contact). `?program=<slug>` when you work in several programs."""
        program = program_from_query(request)
        serializer = ReferralCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        referral = referrals.create_referral(acting_user=request.user, program=program, **serializer.validated_data)
        return Response(ReferralSerializer(referral).data, status=status.HTTP_201_CREATED)


class ReferralDetailView(ApiView):
    @extend_schema(responses=ReferralSerializer)
    def get(self, request, referral_id):
        referral = find_referral(request, referral_id)
        audit.record(request.user, "referral.read", program=referral.program, obj=referral)
        return Response(ReferralSerializer(referral).data)


class ReferralAdmitView(ApiView):
    @extend_schema(request=ReferralAdmitSerializer, responses={200: ReferralSerializer})
    def post(self, request, referral_id):
        """Admit the referred person (a registered patient you can see) at the requested or given level."""
        referral = find_referral(request, referral_id)
        require(request.user, referral.program_id, REFERRAL_WRITE)
        serializer = ReferralAdmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        patient_id, patient = data.pop("patient"), None
        if patient_id is not None:
            patient = visible_patients(request.user).filter(pk=patient_id).first()
            if patient is None:
                raise ValidationError({"patient": ["No such patient that you can see."]})
        data["care_team"] = program_team(referral.program, data["care_team"])
        referral = referrals.admit_referral(acting_user=request.user, referral=referral, patient=patient, **data)
        return Response(ReferralSerializer(referral).data)


class ReferralCloseView(ApiView):
    @extend_schema(request=ReferralCloseSerializer, responses={200: ReferralSerializer})
    def post(self, request, referral_id):
        """Referred elsewhere or closed, with the reason."""
        referral = find_referral(request, referral_id)
        serializer = ReferralCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        referral = referrals.close_referral(acting_user=request.user, referral=referral, **serializer.validated_data)
        return Response(ReferralSerializer(referral).data)
