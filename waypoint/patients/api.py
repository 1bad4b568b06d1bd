"""REST API for patients and episodes: /api/v1/patients/ ... Same services and access scope as the pages."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from waypoint.accounts.models import CareTeam, Program
from waypoint.accounts.roles import CENSUS_READ, CHART_READ, PATIENT_REGISTER
from waypoint.web.api import ApiView, StrictSerializer, limit_of

from . import queries, services
from .access import access_patient, access_record, memberships, require, role_in, visible_patients
from .models import (
    SINGLE_LINE_CHARACTER,
    SINGLE_LINE_MESSAGE,
    Episode,
    LevelOfCareStay,
    Patient,
    not_before_1900,
    not_in_the_future,
)


def single_line_field(name: str, **kwargs) -> serializers.RegexField:
    """A patient's MRN or name: the model's length and its one-line character rule, published as a pattern."""
    return serializers.RegexField(
        rf"^{SINGLE_LINE_CHARACTER}+$",  # the empty string, where allowed, is allow_blank's
        max_length=limit_of(Patient, name),
        error_messages={"invalid": SINGLE_LINE_MESSAGE},
        **kwargs,
    )


class PatientSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    program = serializers.SlugRelatedField(slug_field="slug", queryset=Program.objects.all(), required=False)
    mrn = single_line_field(
        "mrn", required=False, allow_blank=True, help_text="Empty: generated in the program's format."
    )
    given_name = single_line_field("given_name")
    family_name = single_line_field("family_name")
    preferred_name = single_line_field("preferred_name", required=False, allow_blank=True)
    birth_date = serializers.DateField(
        validators=[not_in_the_future, not_before_1900], help_text="From 1900-01-01 to today."
    )
    sex_at_birth = serializers.ChoiceField(choices=Patient.SexAtBirth.choices)
    gender_identity = serializers.CharField(max_length=60, required=False, allow_blank=True)
    pronouns = serializers.CharField(max_length=30, required=False, allow_blank=True)
    preferred_language = serializers.CharField(max_length=40, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    address_line = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    state = serializers.CharField(max_length=40, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=12, required=False, allow_blank=True)
    emergency_contact_name = single_line_field("emergency_contact_name", required=False, allow_blank=True)
    emergency_contact_relationship = serializers.CharField(max_length=60, required=False, allow_blank=True)
    emergency_contact_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    allergies = serializers.CharField(required=False, allow_blank=True)
    alerts = serializers.CharField(required=False, allow_blank=True)
    care_team = serializers.PrimaryKeyRelatedField(queryset=CareTeam.objects.all(), required=False, allow_null=True)
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="On a change: the version you read. A record changed since is refused with 409 (nothing saved).",
    )
    age = serializers.IntegerField(read_only=True)
    current_episode = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_current_episode(self, patient) -> dict | None:
        episodes = getattr(patient, "open_episodes", None)
        if episodes is None:
            episodes = list(patient.episodes.filter(discharged_at__isnull=True).prefetch_related("stays"))
        return EpisodeSerializer(episodes[0]).data if episodes else None


class StaySerializer(serializers.ModelSerializer):
    level_of_care = serializers.CharField(source="level_code")
    level_name = serializers.CharField(source="level.name")
    placement = serializers.IntegerField(
        source="placement_id", allow_null=True, help_text="The placement assessment the move rests on, if named."
    )
    latest_recommendation = serializers.CharField(
        help_text="Recommended level of the patient's latest placement when the stay began (empty: none)."
    )
    against_recommendation = serializers.BooleanField(read_only=True)

    class Meta:
        model = LevelOfCareStay
        fields = [
            "id",
            "level_of_care",
            "level_name",
            "asam_edition",
            "started_at",
            "ended_at",
            "reason",
            "placement",
            "latest_recommendation",
            "against_recommendation",
        ]


class EpisodeSerializer(serializers.ModelSerializer):
    stays = StaySerializer(many=True, read_only=True)

    class Meta:
        model = Episode
        fields = ["id", "patient", "admitted_at", "discharged_at", "discharge_reason", "discharge_note", "stays"]


def program_team(program, team_id):
    """The program's care team with that id (None: none given); another program's or no such team: 400."""
    if team_id is None:
        return None
    team = CareTeam.objects.filter(program=program, pk=team_id).first()
    if team is None:
        raise ValidationError({"care_team": "No such care team in this program."})
    return team


class AdmitSerializer(StrictSerializer):
    admitted_at = serializers.DateTimeField()
    level_of_care = serializers.CharField(max_length=16)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    capacity_override_reason = serializers.CharField(required=False, allow_blank=True, default="")
    care_team = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the care team that will look after the patient at this level (default: the patient's).",
    )


class TransferSerializer(StrictSerializer):
    at = serializers.DateTimeField()
    level_of_care = serializers.CharField(max_length=16)
    reason = serializers.CharField()
    capacity_override_reason = serializers.CharField(required=False, allow_blank=True, default="")
    placement = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the patient's placement assessment that supports the move.",
    )
    care_team = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the care team that will look after the patient at this level (default: the patient's).",
    )


class DischargeSerializer(StrictSerializer):
    discharged_at = serializers.DateTimeField()
    reason = serializers.ChoiceField(choices=Episode.DischargeReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    continuing_care_plan = serializers.DictField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The continuing-care plan recorded with the discharge (see the API's continuing-care plans for "
        "its fields); a discharge without one is refused, naming the missing fields.",
    )


class NamePagination(CursorPagination):
    ordering = ("family_name", "given_name", "id")
    page_size = 50


def find_episode(request, pk, episode_id) -> Episode:
    patient = access_patient(request.user, pk)
    return access_record(patient, Episode.objects.select_related("patient"), episode_id)


def chosen_program(request, chosen: Program | None) -> Program:
    """The program named in the body, or the user's only program."""
    if chosen is not None:
        if role_in(request.user, chosen.pk) is None:
            raise ValidationError({"program": ["You are not a member of this program."]})
        return chosen
    mine = memberships(request.user)
    if len(mine) != 1:
        raise ValidationError({"program": ["Name the program (its slug): you belong to several or none."]})
    return mine[0].program


def program_from_query(request) -> Program:
    """`?program=<slug>` among the user's programs (another program's slug is 404), or their only one."""
    slug = request.query_params.get("program")
    chosen = get_object_or_404(Program, slug=slug) if slug else None
    if chosen is not None and role_in(request.user, chosen.pk) is None:
        raise Http404
    return chosen_program(request, chosen)


class PatientListView(ApiView):
    pagination_class = NamePagination  # documents the cursor envelope of the GET (drf-spectacular)

    @extend_schema(
        responses=PatientSerializer(many=True),
        parameters=[OpenApiParameter("q", str, description="Name, MRN or birth date (YYYY-MM-DD)")],
    )
    def get(self, request):
        """Patients you may see; `q` searches name, MRN or birth date."""
        patients = queries.search(visible_patients(request.user), request.query_params.get("q", ""))
        patients = queries.with_current_care(patients.select_related("program"))
        paginator = NamePagination()
        page = paginator.paginate_queryset(patients, request, view=self)
        services.record_read(request.user, "patient.list", detail={"count": len(page)})
        return paginator.get_paginated_response(PatientSerializer(page, many=True).data)

    @extend_schema(request=PatientSerializer, responses={201: PatientSerializer})
    def post(self, request):
        """Register a patient. 400 names every offending field; a duplicate MRN is one of them."""
        serializer = PatientSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        program = chosen_program(request, data.pop("program", None))
        data.pop("version", None)  # a new record starts at version 1
        require(request.user, program.pk, PATIENT_REGISTER)
        patient = services.register_patient(acting_user=request.user, program=program, **data)
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)


class PatientDetailView(ApiView):
    @extend_schema(responses=PatientSerializer)
    def get(self, request, pk):
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CHART_READ)
        services.record_read(request.user, "patient.read", patient=patient, obj=patient)
        return Response(PatientSerializer(patient).data)

    @extend_schema(request=PatientSerializer, responses={200: PatientSerializer, 409: dict})
    def patch(self, request, pk):
        return self._update(request, pk, partial=True)

    @extend_schema(request=PatientSerializer, responses={200: PatientSerializer, 409: dict})
    def put(self, request, pk):
        return self._update(request, pk, partial=False)

    def _update(self, request, pk, *, partial):
        patient = access_patient(request.user, pk)
        serializer = PatientSerializer(patient, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "program" in data and data.pop("program") != patient.program:
            raise ValidationError({"program": ["A patient cannot be moved to another program."]})
        patient = services.update_patient(acting_user=request.user, patient=patient, **data)
        return Response(PatientSerializer(patient).data)


class EpisodeListView(ApiView):
    @extend_schema(responses=EpisodeSerializer(many=True))
    def get(self, request, pk):
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CHART_READ)
        episodes = patient.episodes.prefetch_related("stays")
        services.record_read(request.user, "episode.list", patient=patient)
        return Response(EpisodeSerializer(episodes, many=True).data)

    @extend_schema(request=AdmitSerializer, responses={201: EpisodeSerializer})
    def post(self, request, pk):
        """Admit: open an episode of care at a level of care the program offers."""
        patient = access_patient(request.user, pk)
        serializer = AdmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        episode = services.admit(
            acting_user=request.user,
            patient=patient,
            admitted_at=data["admitted_at"],
            level_code=data["level_of_care"],
            reason=data["reason"],
            capacity_override_reason=data["capacity_override_reason"],
            care_team=program_team(patient.program, data["care_team"]),
        )
        return Response(EpisodeSerializer(episode).data, status=status.HTTP_201_CREATED)


class EpisodeDetailView(ApiView):
    @extend_schema(responses=EpisodeSerializer)
    def get(self, request, pk, episode_id):
        episode = find_episode(request, pk, episode_id)
        require(request.user, episode.program_id, CHART_READ)
        services.record_read(request.user, "episode.read", patient=episode.patient, obj=episode)
        return Response(EpisodeSerializer(episode).data)


class EpisodeTransferView(ApiView):
    @extend_schema(request=TransferSerializer, responses={201: StaySerializer})
    def post(self, request, pk, episode_id):
        """Move the patient to another level of care (e.g. residential to outpatient step-down)."""
        episode = find_episode(request, pk, episode_id)
        serializer = TransferSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        stay = services.transfer(
            acting_user=request.user,
            episode=episode,
            at=data["at"],
            level_code=data["level_of_care"],
            reason=data["reason"],
            capacity_override_reason=data["capacity_override_reason"],
            placement_id=data["placement"],
            care_team=program_team(episode.program, data["care_team"]),
        )
        return Response(StaySerializer(stay).data, status=status.HTTP_201_CREATED)


class EpisodeDischargeView(ApiView):
    @extend_schema(request=DischargeSerializer, responses=EpisodeSerializer)
    def post(self, request, pk, episode_id):
        episode = find_episode(request, pk, episode_id)
        serializer = DischargeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        episode = services.discharge(
            acting_user=request.user,
            episode=episode,
            discharged_at=data["discharged_at"],
            reason=data["reason"],
            note=data["note"],
            plan=data["continuing_care_plan"],
        )
        return Response(EpisodeSerializer(episode).data)


class CensusPatientSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    since = serializers.DateTimeField()


class CensusLevelSerializer(serializers.Serializer):
    level_of_care = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField(help_text="Patients at this level now (everyone, seen or not).")
    capacity = serializers.IntegerField(allow_null=True, help_text="Beds or slots; null: no set capacity.")
    patients = CensusPatientSerializer(many=True, help_text="Only the patients you may see, by name.")


class CensusDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    total = serializers.IntegerField()
    levels = serializers.DictField(child=serializers.IntegerField(), help_text="Level code -> midnight count.")


class CensusHistorySerializer(serializers.Serializer):
    definition = serializers.CharField()
    time_zone = serializers.CharField()
    capacity = serializers.DictField(child=serializers.IntegerField(allow_null=True))
    days = CensusDaySerializer(many=True)


class CensusSerializer(serializers.Serializer):
    program = serializers.CharField()
    now = serializers.DateTimeField()
    total = serializers.IntegerField()
    levels = CensusLevelSerializer(many=True)
    history = CensusHistorySerializer(help_text=queries.CENSUS_DEFINITION)


class CensusView(ApiView):
    @extend_schema(
        parameters=[
            OpenApiParameter("program", str, description="Program slug (default: your only program)"),
            OpenApiParameter(
                "from",
                OpenApiTypes.DATE,
                description="First date of the history, YYYY-MM-DD (default: 29 days before `to`)",
            ),
            OpenApiParameter(
                "to",
                OpenApiTypes.DATE,
                description="Last date of the history, YYYY-MM-DD (default: today "
                f"in the program's time zone); at most {queries.MAX_HISTORY_DAYS} days",
            ),
        ],
        responses={200: CensusSerializer, 400: dict},
        description="Occupancy now by level of care (names only of the patients you may see) and over time. "
        + queries.CENSUS_DEFINITION,
    )
    def get(self, request):
        """Patients in care now by level of care, and the daily midnight census over a date range."""
        program = program_from_query(request)
        require(request.user, program.pk, CENSUS_READ)
        blank = [name for name in ("from", "to") if name in request.query_params and not request.query_params[name]]
        if blank:  # leave the parameter out for its default; given, it is a date
            raise ValidationError({name: ["Give a date as YYYY-MM-DD."] for name in blank})
        start, end = queries.census_range(program, request.query_params.get("from"), request.query_params.get("to"))
        rows = queries.census(program, visible_patients(request.user, program))
        history = queries.census_history(program, start, end)
        services.record_read(
            request.user,
            "program.census.read",
            program=program,
            detail={"from": start.isoformat(), "to": end.isoformat()},
        )
        codes = [row["level"].code for row in history["levels"]]
        return Response(
            {
                "program": program.slug,
                "now": timezone.now(),
                "total": sum(r["count"] for r in rows),
                "levels": [
                    {
                        "level_of_care": r["level"].code,
                        "name": r["level"].name,
                        "count": r["count"],
                        "capacity": r["capacity"],
                        "patients": [
                            {"id": s.patient_id, "name": s.patient.display_name, "since": s.started_at}
                            for s in r["stays"]
                        ],
                    }
                    for r in rows
                ],
                "history": {
                    "definition": history["definition"],
                    "time_zone": program.time_zone,
                    "capacity": {row["level"].code: row["capacity"] for row in history["levels"]},
                    "days": [
                        {
                            "date": day,
                            "total": sum(row["counts"][i] for row in history["levels"]),
                            "levels": {
                                code: row["counts"][i] for code, row in zip(codes, history["levels"], strict=True)
                            },
                        }
                        for i, day in enumerate(history["days"])
                    ],
                },
            }
        )
