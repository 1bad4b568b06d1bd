"""REST API for plans, interventions, sessions, attendance and notes: the same services, the same rules."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from waypoint.accounts.roles import CENSUS_READ, CHART_READ, COUNSELING_NOTE_WRITE
from waypoint.patients.access import access_patient, access_record, require, visible_patients
from waypoint.patients.api import program_from_query
from waypoint.patients.services import record_read
from waypoint.web.api import ApiView, StrictSerializer, limit_of
from waypoint.web.query import date_time_problem

from . import services
from .access import access_session
from .models import CounselingNote, PlanTemplate, ProgressNote, Session, TreatmentPlan
from .outcomes import plan_objective_status
from .settings import modalities


def results_of(name: str, serializer):
    """The schema of a list answer: {"results": [...]}."""
    return inline_serializer(f"{name}List", {"results": serializer(many=True)})


class PlanSerializer(serializers.ModelSerializer):
    clinician_signed_by = serializers.CharField(source="clinician_signed_by.username", default=None)
    patient_witnessed_by = serializers.CharField(source="patient_witnessed_by.username", default=None)

    class Meta:
        model = TreatmentPlan
        fields = [
            "id",
            "patient",
            "episode",
            "version",
            "status",
            "revision",
            "replaces",
            "template_name",
            "change_reason",
            "body",
            "created_at",
            "updated_at",
            "clinician_signed_by",
            "clinician_signed_at",
            "patient_signed_name",
            "patient_signed_at",
            "patient_witnessed_by",
            "superseded_at",
        ]


class PlanStartSerializer(StrictSerializer):
    template = serializers.IntegerField(required=False, allow_null=True, default=None)
    responsible = serializers.IntegerField(required=False, allow_null=True, default=None)


class PlanDraftSerializer(StrictSerializer):
    body = serializers.JSONField(help_text='{"problems": [...]}: see waypoint/treatment/plans.py for the shape.')
    revision = serializers.IntegerField(min_value=1)


class PlanSignSerializer(StrictSerializer):
    revision = serializers.IntegerField(min_value=1)


class AcknowledgeSerializer(StrictSerializer):
    patient_name = serializers.CharField()
    attested = serializers.BooleanField()


class PlanAmendSerializer(StrictSerializer):
    version = serializers.IntegerField(min_value=1)
    reason = serializers.CharField()


class PlanReviewSerializer(StrictSerializer):
    note = serializers.CharField()
    reviewed_at = serializers.DateTimeField(required=False, default=None)


class InterventionSerializer(StrictSerializer):
    problem = serializers.CharField()
    modality = serializers.CharField(max_length=limit_of(Session, "modality"))
    frequency = serializers.CharField()
    responsible = serializers.IntegerField()
    revision = serializers.IntegerField(min_value=1)


def find_plan(request, pk, plan_id) -> TreatmentPlan:
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    return access_record(patient, TreatmentPlan.objects.select_related("patient__program"), plan_id)


class PlanListView(ApiView):
    @extend_schema(responses=results_of("Plan", PlanSerializer))
    def get(self, request, pk):
        """Every version of the patient's plans, newest episode and version first."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CHART_READ)
        rows = list(
            TreatmentPlan.objects.filter(patient=patient)
            .select_related("clinician_signed_by", "patient_witnessed_by")
            .order_by("-episode__admitted_at", "-version")
        )
        record_read(request.user, "plan.list", patient=patient, detail={"count": len(rows)})
        return Response({"results": PlanSerializer(rows, many=True).data})

    @extend_schema(request=PlanStartSerializer, responses={201: PlanSerializer, 400: dict, 403: dict, 404: dict})
    def post(self, request, pk):
        """Start the open episode's plan as a draft, empty or from a program template."""
        patient = access_patient(request.user, pk)
        serializer = PlanStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        template = None
        if data["template"] is not None:
            template = PlanTemplate.objects.filter(
                pk=data["template"], program_id=patient.program_id, active=True
            ).first()
            if template is None:
                raise ValidationError({"template": ["No such template in this program."]})
        plan = services.start_plan(
            acting_user=request.user, patient=patient, template=template, responsible=data["responsible"]
        )
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED)


class PlanDetailView(ApiView):
    @extend_schema(responses=PlanSerializer)
    def get(self, request, pk, plan_id):
        plan = find_plan(request, pk, plan_id)
        record_read(request.user, "plan.read", patient=plan.patient, obj=plan)
        return Response(PlanSerializer(plan).data)

    @extend_schema(request=PlanDraftSerializer, responses={200: PlanSerializer, 400: dict, 409: dict})
    def put(self, request, pk, plan_id):
        """Replace a draft's body. 409 when the plan is signed (never edited) or `revision` is not the current one."""
        plan = find_plan(request, pk, plan_id)
        serializer = PlanDraftSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = services.save_draft(acting_user=request.user, plan=plan, **serializer.validated_data)
        return Response(PlanSerializer(plan).data)


class PlanSignView(ApiView):
    @extend_schema(request=PlanSignSerializer, responses={200: PlanSerializer, 400: dict, 409: dict})
    def post(self, request, pk, plan_id):
        """The clinician's electronic signature; 400 names each gap of an incomplete plan."""
        plan = find_plan(request, pk, plan_id)
        serializer = PlanSignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = services.sign_plan(acting_user=request.user, plan=plan, **serializer.validated_data)
        return Response(PlanSerializer(plan).data)


class PlanAcknowledgeView(ApiView):
    @extend_schema(request=AcknowledgeSerializer, responses={200: PlanSerializer, 400: dict})
    def post(self, request, pk, plan_id):
        """The patient's acknowledgement of the signed plan (their name as registered, and the attestation)."""
        plan = find_plan(request, pk, plan_id)
        serializer = AcknowledgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = services.acknowledge_plan(acting_user=request.user, plan=plan, **serializer.validated_data)
        return Response(PlanSerializer(plan).data)


class PlanAmendView(ApiView):
    @extend_schema(request=PlanAmendSerializer, responses={201: PlanSerializer, 400: dict, 409: dict})
    def post(self, request, pk, plan_id):
        """A new draft version of the signed plan. 409 when `version` is not the newest signed version."""
        plan = find_plan(request, pk, plan_id)
        serializer = PlanAmendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        draft = services.amend_plan(acting_user=request.user, plan=plan, **serializer.validated_data)
        return Response(PlanSerializer(draft).data, status=status.HTTP_201_CREATED)


class PlanReviewView(ApiView):
    @extend_schema(request=PlanReviewSerializer, responses={201: dict, 400: dict})
    def post(self, request, pk, plan_id):
        """Record a review that keeps the signed plan unchanged."""
        plan = find_plan(request, pk, plan_id)
        serializer = PlanReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.review_plan(acting_user=request.user, plan=plan, **serializer.validated_data)
        return Response(
            {
                "id": review.pk,
                "plan": plan.pk,
                "reviewed_at": review.reviewed_at,
                "reviewed_by": review.reviewed_by.username,
                "note": review.note,
            },
            status=status.HTTP_201_CREATED,
        )


class InterventionListView(ApiView):
    @extend_schema(responses=dict)
    def get(self, request, pk, plan_id):
        """The plan's interventions, each with its problem."""
        plan = find_plan(request, pk, plan_id)
        record_read(request.user, "plan.read", patient=plan.patient, obj=plan)
        return Response(
            {
                "results": [
                    {**i, "problem": p["id"]} for p in plan.body.get("problems", []) for i in p.get("interventions", [])
                ]
            }
        )

    @extend_schema(request=InterventionSerializer, responses={201: PlanSerializer, 400: dict, 409: dict})
    def post(self, request, pk, plan_id):
        """Add an intervention to a problem of a draft (modality, frequency, responsible staff member)."""
        plan = find_plan(request, pk, plan_id)
        serializer = InterventionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = services.add_intervention(acting_user=request.user, plan=plan, **serializer.validated_data)
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED)


class ObjectiveStatusView(ApiView):
    @extend_schema(responses=dict)
    def get(self, request, pk):
        """Where each objective of the plan in force stands (outcomes.plan_objective_status)."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CHART_READ)
        status_ = plan_objective_status(patient)
        record_read(request.user, "plan.objectives.read", patient=patient)
        plan = status_["plan"]
        return Response(
            {
                "plan": plan.pk if plan else None,
                "version": plan.version if plan else None,
                "objectives": status_["objectives"],
                "counts": status_["counts"],
            }
        )


class TemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanTemplate
        fields = ["id", "name", "level_codes", "body", "created_at"]


class TemplateCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=limit_of(PlanTemplate, "name"))
    level_codes = serializers.ListField(child=serializers.CharField())
    body = serializers.DictField(help_text='{"problems": [...]}: see waypoint/treatment/plans.py for the shape.')


class TemplateListView(ApiView):
    @extend_schema(
        responses=inline_serializer(
            "TemplateList",
            {
                "results": TemplateSerializer(many=True),
                "modalities": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request):
        """The program's plan templates and its modality list."""
        program = program_from_query(request)
        require(request.user, program.pk, CENSUS_READ)
        rows = PlanTemplate.objects.filter(program=program, active=True)
        return Response({"results": TemplateSerializer(rows, many=True).data, "modalities": modalities(program)})

    @extend_schema(request=TemplateCreateSerializer, responses={201: TemplateSerializer, 400: dict, 403: dict})
    def post(self, request):
        """Save a template (objectives with `target_days`, no staff); the same name retires the old one."""
        program = program_from_query(request)
        serializer = TemplateCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        template = services.save_template(acting_user=request.user, program=program, **serializer.validated_data)
        return Response(TemplateSerializer(template).data, status=status.HTTP_201_CREATED)


# --- sessions -------------------------------------------------------------------------------------------


class SessionSerializer(serializers.ModelSerializer):
    facilitator = serializers.CharField(source="facilitator.username")

    class Meta:
        model = Session
        fields = ["id", "kind", "modality", "modality_label", "topic", "facilitator", "room", "starts_at", "ends_at"]


def busy_slot(session) -> dict:
    """An individual session of a patient outside the reader's care teams: its time only."""
    return {"id": None, "kind": "busy", "starts_at": session.starts_at, "ends_at": session.ends_at}


class SessionCreateSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=Session.Kind.choices)
    modality = serializers.CharField(max_length=limit_of(Session, "modality"))
    topic = serializers.CharField(max_length=limit_of(Session, "topic"))
    facilitator = serializers.IntegerField()
    room = serializers.CharField(max_length=limit_of(Session, "room"), required=False, allow_blank=True, default="")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    patient = serializers.IntegerField(required=False, allow_null=True, default=None)


class PatientRefSerializer(StrictSerializer):
    patient = serializers.IntegerField()


class AttendanceInSerializer(StrictSerializer):
    patient = serializers.IntegerField()
    status = serializers.CharField()


class GroupNoteInSerializer(StrictSerializer):
    body = serializers.CharField(allow_blank=True)
    entries = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text="Patient id -> the individualized part for that attendee.",
    )


def session_patient(request, session, patient_id):
    patient = visible_patients(request.user, session.program).filter(pk=patient_id).first()
    if patient is None:
        raise ValidationError({"patient": ["No such patient that you can see in this program."]})
    return patient


def session_data(request, session) -> dict:
    """The session as services.session_as_seen_by gives it (the same rows as the page), in the API's shape."""
    seen = services.session_as_seen_by(request.user, session)
    note = seen["note"]
    return {
        **SessionSerializer(session).data,
        "roster": [
            {"patient": row["patient"].pk, "attendance": row["mark"].status if row["mark"] else None}
            for row in seen["rows"]
        ],
        "hidden": seen["hidden"],
        "group_note": None
        if note is None
        else {
            "body": note.body,
            "written_by": note.written_by.username,
            "written_at": note.written_at,
            "entries": {str(row["patient"].pk): row["entry"] for row in seen["rows"] if row["entry"]},
        },
    }


class SessionListView(ApiView):
    @extend_schema(
        responses=results_of("Session", SessionSerializer),
        parameters=[
            OpenApiParameter("program", str, description="Program slug (default: your only program)"),
            OpenApiParameter("start", OpenApiTypes.DATETIME, description="ISO date-time (inclusive)"),
            OpenApiParameter("end", OpenApiTypes.DATETIME, description="ISO date-time (exclusive)"),
        ],
    )
    def get(self, request):
        """The program's sessions between `start` and `end` (default: the coming 7 days)."""
        program = program_from_query(request)
        require(request.user, program.pk, CHART_READ)
        given = {}
        for name in ("start", "end"):
            if name in request.query_params:
                given[name], problem = date_time_problem(request.query_params[name], offset_required=False)
                if problem:
                    raise ValidationError({name: [problem]})
        start, end = given.get("start"), given.get("end")
        start = start or timezone.now()
        end = end or start + timedelta(days=7)
        rows = Session.objects.filter(program=program, starts_at__gte=start, starts_at__lt=end).select_related(
            "facilitator"
        )[:500]
        rows = services.mark_busy(request.user, program, list(rows))
        return Response({"results": [busy_slot(s) if s.busy else SessionSerializer(s).data for s in rows]})

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionSerializer, 400: dict, 403: dict})
    def post(self, request):
        """Schedule a group session (roster added after) or an individual session with its patient."""
        program = program_from_query(request)
        serializer = SessionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        patient = None
        if data["patient"] is not None:
            patient = visible_patients(request.user, program).filter(pk=data["patient"]).first()
            if patient is None:
                raise ValidationError({"patient": ["No such patient that you can see in this program."]})
        facilitator = get_user_model().objects.filter(pk=data.pop("facilitator")).first()
        data.pop("patient")
        session = services.schedule_session(
            acting_user=request.user, program=program, facilitator=facilitator, patient=patient, **data
        )
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)


class SessionDetailView(ApiView):
    @extend_schema(responses=dict)
    def get(self, request, session_id):
        """The session with its roster and attendance (patients you can see) and its group note."""
        session = access_session(request.user, session_id)
        data = session_data(request, session)
        record_read(
            request.user, "session.read", program=session.program, obj=session, detail={"patients": len(data["roster"])}
        )
        return Response(data)


class RosterView(ApiView):
    @extend_schema(request=PatientRefSerializer, responses={201: dict, 400: dict})
    def post(self, request, session_id):
        session = access_session(request.user, session_id)
        serializer = PatientRefSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient = session_patient(request, session, serializer.validated_data["patient"])
        services.add_to_roster(acting_user=request.user, session=session, patient=patient)
        return Response(session_data(request, session), status=status.HTTP_201_CREATED)


class AttendanceView(ApiView):
    @extend_schema(request=AttendanceInSerializer, responses={200: dict, 400: dict})
    def post(self, request, session_id):
        """Mark a rostered patient's attendance once the session has started (400 names `patient` or `session`)."""
        session = access_session(request.user, session_id)
        serializer = AttendanceInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient = session_patient(request, session, serializer.validated_data["patient"])
        mark = services.mark_attendance(
            acting_user=request.user, session=session, patient=patient, status=serializer.validated_data["status"]
        )
        return Response(
            {"session": session.pk, "patient": patient.pk, "status": mark.status, "recorded_at": mark.recorded_at}
        )


class GroupNoteView(ApiView):
    @extend_schema(request=GroupNoteInSerializer, responses={201: dict, 400: dict})
    def post(self, request, session_id):
        """The group note and each attendee's individualized part (errors name `entries.<patient id>`)."""
        session = access_session(request.user, session_id)
        serializer = GroupNoteInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visible = set(visible_patients(request.user, session.program).values_list("pk", flat=True))
        entries = {}
        for key, text in serializer.validated_data["entries"].items():
            if not key.isdigit() or int(key) not in visible:
                raise ValidationError({f"entries.{key}": ["No such patient that you can see in this program."]})
            entries[int(key)] = text
        services.write_group_note(
            acting_user=request.user, session=session, body=serializer.validated_data["body"], entries=entries
        )
        return Response(session_data(request, session), status=status.HTTP_201_CREATED)


# --- notes ---------------------------------------------------------------------------------------------


class ProgressNoteSerializer(serializers.ModelSerializer):
    written_by = serializers.CharField(source="written_by.username")

    class Meta:
        model = ProgressNote
        fields = [
            "id",
            "patient",
            "episode",
            "session",
            "plan",
            "occurred_at",
            "body",
            "objective_updates",
            "written_by",
            "written_at",
        ]


class ProgressNoteInSerializer(StrictSerializer):
    body = serializers.CharField(allow_blank=True)
    occurred_at = serializers.DateTimeField()
    session = serializers.IntegerField(required=False, allow_null=True, default=None)
    # the stubs take a JSONField default to be a mapping; a JSON list is as valid
    objective_updates = serializers.JSONField(required=False, default=list)  # type: ignore[arg-type]


class ProgressNoteListView(ApiView):
    @extend_schema(responses=results_of("ProgressNote", ProgressNoteSerializer))
    def get(self, request, pk):
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CHART_READ)
        rows = list(ProgressNote.objects.filter(patient=patient).select_related("written_by")[:200])
        record_read(request.user, "note.progress.list", patient=patient, detail={"count": len(rows)})
        return Response({"results": ProgressNoteSerializer(rows, many=True).data})

    @extend_schema(request=ProgressNoteInSerializer, responses={201: ProgressNoteSerializer, 400: dict})
    def post(self, request, pk):
        """A progress note; `objective_updates` [{objective, status, comment}] on the signed plan's objectives."""
        patient = access_patient(request.user, pk)
        serializer = ProgressNoteInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        session = None
        session_id = data.pop("session")
        if session_id is not None:
            session = Session.objects.filter(pk=session_id, program_id=patient.program_id).first()
            if session is None:
                raise ValidationError({"session": ["No such session in this program."]})
        note = services.write_progress_note(acting_user=request.user, patient=patient, session=session, **data)
        return Response(ProgressNoteSerializer(note).data, status=status.HTTP_201_CREATED)


class CounselingNoteSerializer(serializers.ModelSerializer):
    written_by = serializers.CharField(source="written_by.username")

    class Meta:
        model = CounselingNote
        fields = ["id", "patient", "occurred_at", "body", "written_by", "written_at"]


class CounselingNoteInSerializer(StrictSerializer):
    body = serializers.CharField(allow_blank=True)
    occurred_at = serializers.DateTimeField()


class CounselingNoteListView(ApiView):
    @extend_schema(responses=results_of("CounselingNote", CounselingNoteSerializer))
    def get(self, request, pk):
        """SUD counseling notes this user may read (their own; a care-team counselor's: the team's)."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CHART_READ)
        services.require_counseling_access(request.user, patient)
        rows = list(services.readable_counseling_notes(request.user, patient).select_related("written_by")[:200])
        record_read(request.user, "note.counseling.list", patient=patient, detail={"count": len(rows)})
        return Response({"results": CounselingNoteSerializer(rows, many=True).data})

    @extend_schema(request=CounselingNoteInSerializer, responses={201: CounselingNoteSerializer, 400: dict})
    def post(self, request, pk):
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, COUNSELING_NOTE_WRITE)
        serializer = CounselingNoteInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.write_counseling_note(acting_user=request.user, patient=patient, **serializer.validated_data)
        return Response(CounselingNoteSerializer(note).data, status=status.HTTP_201_CREATED)
