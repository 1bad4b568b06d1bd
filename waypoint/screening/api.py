"""REST API: /api/v1/patients/{id}/history/, screens/, follow-ups/, overdose-risk/, naloxone/, events/.
Same services and access scope as the pages."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from waypoint.accounts.roles import CHART_READ
from waypoint.patients.access import access_patient, access_record, require
from waypoint.patients.services import record_read
from waypoint.web.api import ApiView, StrictSerializer, limit_of

from . import services
from .models import (
    FREQUENCIES,
    ROUTES,
    SUBSTANCES,
    Education,
    FollowUp,
    History,
    NaloxoneKit,
    Refusal,
    Screen,
    SubstanceUse,
    UseEvent,
)

# --- output ---------------------------------------------------------------------------------------------


class UseOut(serializers.ModelSerializer):
    class Meta:
        model = SubstanceUse
        fields = ["substance", "other_name", "routes", "frequency", "amount", "age_first_use", "last_use"]


class HistoryOut(serializers.ModelSerializer):
    uses = UseOut(many=True)
    recorded_by = serializers.CharField(source="recorded_by.username")

    class Meta:
        model = History
        fields = [
            "id",
            "version",
            "uses",
            "fentanyl_xylazine",
            "prior_overdoses",
            "most_recent_overdose",
            "naloxone_used",
            "uses_alone",
            "shared_equipment",
            "prior_treatment",
            "conditions",
            "recorded_by",
            "recorded_at",
        ]


class ScreenOut(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username")

    class Meta:
        model = Screen
        fields = ["id", "screen_code", "screen_version", "taken_at", "answers", "episode", "recorded_by", "recorded_at"]


class FollowUpOut(serializers.ModelSerializer):
    # named like an attribute of a DRF Field, which the stubs see; DRF declares it as a serializer field
    label = serializers.CharField(source="get_code_display")  # type: ignore[assignment]
    updated_by = serializers.CharField(source="updated_by.username")

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "code",
            "label",
            "reasons",
            "status",
            "result",
            "note",
            "created_at",
            "updated_at",
            "updated_by",
        ]


class KitOut(serializers.ModelSerializer):
    class Meta:
        model = NaloxoneKit
        fields = [
            "id",
            "episode",
            "dispensed_at",
            "formulation",
            "strength",
            "quantity",
            "recipient",
            "recipient_name",
            "recorded_at",
        ]


class EducationOut(serializers.ModelSerializer):
    given_by = serializers.CharField(source="given_by.username")

    class Meta:
        model = Education
        fields = ["id", "episode", "given_at", "given_by", "note", "recorded_at"]


class RefusalOut(serializers.ModelSerializer):
    class Meta:
        model = Refusal
        fields = ["id", "episode", "what", "refused_at", "note", "recorded_at"]


class EventOut(serializers.ModelSerializer):
    class Meta:
        model = UseEvent
        fields = [
            "id",
            "kind",
            "occurred_at",
            "during_care",
            "episode",
            "place",
            "naloxone_given",
            "outcome",
            "substance",
            "how_known",
            "note",
            "recorded_at",
        ]


# --- input ----------------------------------------------------------------------------------------------


class UseIn(StrictSerializer):
    substance = serializers.ChoiceField(choices=SUBSTANCES)
    other_name = serializers.CharField(
        max_length=limit_of(SubstanceUse, "other_name"), required=False, allow_blank=True, default=""
    )
    routes = serializers.ListField(child=serializers.ChoiceField(choices=ROUTES), required=False, default=list)
    frequency = serializers.ChoiceField(choices=FREQUENCIES, required=False, default="unknown")
    amount = serializers.CharField(
        max_length=limit_of(SubstanceUse, "amount"), required=False, allow_blank=True, default=""
    )
    age_first_use = serializers.IntegerField(required=False, allow_null=True, default=None)
    last_use = serializers.DateTimeField(required=False, allow_null=True, default=None)


class HistoryIn(StrictSerializer):
    uses = UseIn(many=True)
    fentanyl_xylazine = serializers.ChoiceField(choices=History.Supply.choices, required=False, default="no")
    prior_overdoses = serializers.IntegerField(min_value=0, required=False, default=0)
    most_recent_overdose = serializers.DateField(required=False, allow_null=True, default=None)
    naloxone_used = serializers.BooleanField(required=False, allow_null=True, default=None)
    uses_alone = serializers.BooleanField(required=False, default=False)
    shared_equipment = serializers.BooleanField(required=False, default=False)
    prior_treatment = serializers.CharField(required=False, allow_blank=True, default="")
    conditions = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class ScreenIn(StrictSerializer):
    taken_at = serializers.DateTimeField()
    answers = serializers.JSONField()


class FollowUpIn(StrictSerializer):
    status = serializers.CharField()
    result = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class NaloxoneIn(StrictSerializer):
    record = serializers.ChoiceField(choices=["kit", "education", "refusal"])
    dispensed_at = serializers.DateTimeField(required=False)
    formulation = serializers.CharField(required=False)
    strength = serializers.CharField(max_length=limit_of(NaloxoneKit, "strength"), required=False)
    quantity = serializers.IntegerField(required=False)
    recipient = serializers.CharField(required=False)
    recipient_name = serializers.CharField(
        max_length=limit_of(NaloxoneKit, "recipient_name"), required=False, allow_blank=True
    )
    given_at = serializers.DateTimeField(required=False)
    what = serializers.CharField(required=False)
    refused_at = serializers.DateTimeField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)

    NEEDS = {
        "kit": ("dispensed_at", "formulation", "strength", "quantity"),
        "education": ("given_at",),
        "refusal": ("what", "refused_at"),
    }
    ALLOWED = {
        "kit": ("dispensed_at", "formulation", "strength", "quantity", "recipient", "recipient_name"),
        "education": ("given_at", "note"),
        "refusal": ("what", "refused_at", "note"),
    }

    def validate(self, data):
        record = data.pop("record")
        errors = {name: ["Required for this record."] for name in self.NEEDS[record] if name not in data}
        errors.update(
            {name: [f"Does not belong to a {record} record."] for name in data if name not in self.ALLOWED[record]}
        )
        if errors:
            raise serializers.ValidationError(errors)
        return {"record": record, **data}


class EventIn(StrictSerializer):
    kind = serializers.ChoiceField(choices=UseEvent.Kind.choices)
    occurred_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=limit_of(UseEvent, "place"), required=False, allow_blank=True, default="")
    naloxone_given = serializers.BooleanField(required=False, allow_null=True, default=None)
    outcome = serializers.CharField(required=False, allow_blank=True, default="")
    substance = serializers.CharField(required=False, allow_blank=True, default="")
    how_known = serializers.CharField(
        max_length=limit_of(UseEvent, "how_known"), required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


# --- views ----------------------------------------------------------------------------------------------


def _patient_for_read(request, pk, action):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    record_read(request.user, action, patient=patient)
    return patient


class HistoryView(ApiView):
    @extend_schema(responses=HistoryOut(many=True))
    def get(self, request, pk):
        """The history versions, newest (in force) first."""
        patient = _patient_for_read(request, pk, "screening.history.read")
        rows = History.objects.filter(patient=patient).prefetch_related("uses").select_related("recorded_by")
        return Response(HistoryOut(rows, many=True).data)

    @extend_schema(request=HistoryIn, responses={201: HistoryOut})
    def post(self, request, pk):
        """Record a new version of the history. 400 names `uses.<n>.<field>` and the other fields."""
        patient = access_patient(request.user, pk)
        serializer = HistoryIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        history = services.record_history(
            acting_user=request.user, patient=patient, uses=[dict(u) for u in data.pop("uses")], **data
        )
        return Response(HistoryOut(history).data, status=status.HTTP_201_CREATED)


class ScreenListView(ApiView):
    @extend_schema(responses=ScreenOut(many=True))
    def get(self, request, pk):
        patient = _patient_for_read(request, pk, "screening.screen.read")
        return Response(ScreenOut(Screen.objects.filter(patient=patient).select_related("recorded_by"), many=True).data)

    @extend_schema(request=ScreenIn, responses={201: ScreenOut})
    def post(self, request, pk):
        """Record a screen: answers {item: "present"|"absent"|"not_assessed" or {status, since, note}}."""
        patient = access_patient(request.user, pk)
        serializer = ScreenIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        screen = services.record_screen(acting_user=request.user, patient=patient, **serializer.validated_data)
        return Response(ScreenOut(screen).data, status=status.HTTP_201_CREATED)


class FollowUpListView(ApiView):
    @extend_schema(responses=FollowUpOut(many=True))
    def get(self, request, pk):
        patient = _patient_for_read(request, pk, "screening.follow_up.read")
        return Response(
            FollowUpOut(FollowUp.objects.filter(patient=patient).select_related("updated_by"), many=True).data
        )


class FollowUpDetailView(ApiView):
    @extend_schema(request=FollowUpIn, responses=FollowUpOut)
    def post(self, request, pk, follow_up_id):
        """Move a follow-up on: ordered, done (with result), declined or not_applicable (with note)."""
        patient = access_patient(request.user, pk)
        item = access_record(patient, FollowUp, follow_up_id)
        serializer = FollowUpIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.update_follow_up(acting_user=request.user, follow_up=item, **serializer.validated_data)
        return Response(FollowUpOut(item).data)


class RiskView(ApiView):
    def get(self, request, pk):
        """The overdose-risk picture: present factors with their sources, and the level with its rule."""
        patient = _patient_for_read(request, pk, "screening.risk.read")
        picture = services.risk_picture(patient)
        return Response(
            {
                "level": picture.level,
                "level_label": picture.level_label,
                "rule": picture.rule.when,
                "headline": picture.headline or None,
                "factors": [
                    {
                        "key": p.factor.key,
                        "label": p.factor.label,
                        "reference": p.factor.reference,
                        "sources": list(p.sources),
                    }
                    for p in picture.factors
                ],
            }
        )


class NaloxoneView(ApiView):
    def get(self, request, pk):
        """Kits dispensed, education given, refusals; and what the open episode still lacks."""
        patient = _patient_for_read(request, pk, "screening.naloxone.read")
        episode = patient.episodes.filter(discharged_at__isnull=True).first()
        return Response(
            {
                "kits": KitOut(NaloxoneKit.objects.filter(patient=patient), many=True).data,
                "education": EducationOut(
                    Education.objects.filter(patient=patient).select_related("given_by"), many=True
                ).data,
                "refusals": RefusalOut(Refusal.objects.filter(patient=patient), many=True).data,
                "missing_for_transition": services.naloxone_missing(episode) if episode else [],
            }
        )

    @extend_schema(request=NaloxoneIn)
    def post(self, request, pk):
        """Record a kit (`record: kit`), education (`education`) or a refusal (`refusal`)."""
        patient = access_patient(request.user, pk)
        serializer = NaloxoneIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        record = data.pop("record")
        if record == "kit":
            made = KitOut(services.dispense_naloxone(acting_user=request.user, patient=patient, **data)).data
        elif record == "education":
            made = EducationOut(services.record_education(acting_user=request.user, patient=patient, **data)).data
        else:
            made = RefusalOut(services.record_refusal(acting_user=request.user, patient=patient, **data)).data
        return Response({"record": record, **made}, status=status.HTTP_201_CREATED)


class EventListView(ApiView):
    @extend_schema(responses=EventOut(many=True))
    def get(self, request, pk):
        patient = _patient_for_read(request, pk, "screening.events.read")
        return Response(EventOut(UseEvent.objects.filter(patient=patient), many=True).data)

    @extend_schema(request=EventIn, responses={201: EventOut})
    def post(self, request, pk):
        patient = access_patient(request.user, pk)
        serializer = EventIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.record_event(acting_user=request.user, patient=patient, **serializer.validated_data)
        return Response(EventOut(event).data, status=status.HTTP_201_CREATED)
