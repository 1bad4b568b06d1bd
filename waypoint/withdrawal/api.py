"""REST API for withdrawal assessments, the instruments' definitions and the board."""

from typing import Any, cast

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from waypoint.accounts.roles import CHART_READ
from waypoint.patients.access import access_patient, access_record, require, visible_patients
from waypoint.patients.api import program_from_query
from waypoint.patients.models import Patient
from waypoint.patients.records import RecordStatus
from waypoint.patients.services import record_read
from waypoint.scales import INSTRUMENTS, get_instrument
from waypoint.web.api import ApiView, FastJSONRenderer, StrictSerializer, limit_of, stored_json
from waypoint.web.query import date_time_problem

from . import board, services
from .list_rows import PageRows
from .models import Assessment
from .vitals import VITALS


class AssessmentSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username")
    severity = serializers.SerializerMethodField()
    severity_label = serializers.CharField()
    vitals = serializers.DictField()
    replaces: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(read_only=True)
    status = serializers.ChoiceField(source="record_status", choices=RecordStatus.choices, required=False)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "patient",
            "episode",
            "instrument",
            "instrument_version",
            "taken_at",
            "responses",
            "total",
            "severity",
            "severity_label",
            "band_source",
            "derived",
            "vitals",
            "note",
            "reporter",
            "source",
            "late_entry_reason",
            "recorded_by",
            "recorded_at",
            "status",
            "version",
            "replaces",
            "change_reason",
        ]

    def get_severity(self, assessment) -> str | None:
        return assessment.severity or None


_BAND_LABELS = {(code, band.code): band.label for code, instrument in INSTRUMENTS.items() for band in instrument.bands}


def _iso(value, tz) -> str:
    """DRF's DateTimeField output (ISO 8601 in the active time zone, "Z" for UTC) at a fraction of its cost."""
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def assessment_json(row: dict, tz=None) -> dict:
    """AssessmentSerializer's output for one row of the list's page query (list_rows.PageRows), without building a
    model instance.

    A list of 200 scores spent most of its time in the ModelSerializer; this writes the same keys, in the same
    order, with the same values (a test compares the two on every kind of row)."""
    tz = tz or timezone.get_current_timezone()
    return {
        "id": row["id"],
        "patient": row["patient_id"],
        "episode": row["episode_id"],
        "instrument": row["instrument"],
        "instrument_version": row["instrument_version"],
        "taken_at": _iso(row["taken_at"], tz),
        "responses": stored_json(row["responses_text"]),
        "total": row["total"],
        "severity": row["severity"] or None,
        "severity_label": _BAND_LABELS.get((row["instrument"], row["severity"]), "") or row["band_label"],
        "band_source": row["band_source"],
        "derived": stored_json(row["derived_text"]),
        "vitals": {vital.key: row[vital.key] for vital in VITALS if row[vital.key] is not None},
        "note": row["note"],
        "reporter": row["reporter"],
        "source": row["source"],
        "late_entry_reason": row["late_entry_reason"],
        "recorded_by": row["recorded_by__username"],
        "recorded_at": _iso(row["recorded_at"], tz),
        "status": row["record_status"],
        "version": row["version"],
        "replaces": row["replaces_id"],
        "change_reason": row["change_reason"],
    }


class RecordSerializer(StrictSerializer):
    instrument = serializers.CharField(max_length=limit_of(Assessment, "instrument"))
    taken_at = serializers.DateTimeField()
    responses = serializers.JSONField()
    vitals = serializers.JSONField(required=False, default=dict)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    late_entry_reason = serializers.CharField(required=False, allow_blank=True, default="")


class AmendSerializer(StrictSerializer):
    responses = serializers.JSONField()
    vitals = serializers.JSONField(required=False, default=dict)
    taken_at = serializers.DateTimeField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField()
    version = serializers.IntegerField(min_value=1)


class ErrorSerializer(StrictSerializer):
    reason = serializers.CharField()
    version = serializers.IntegerField(min_value=1)


class NewestFirst(CursorPagination):
    ordering = ("-taken_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_rows(self, rows: PageRows, request, view) -> list[dict]:
        """DRF's cursor paging of the list's page query, which answers what the paginator asks of a queryset."""
        return super().paginate_queryset(cast("QuerySet[Any]", rows), request, view) or []


def narrowed(params) -> dict:
    """The filter of the assessments the list's parameters ask for (instrument, since, until, status: final unless
    another is asked), as one filter() (each filter() copies the query); a parameter not understood is a
    ValidationError naming it."""
    unknown = sorted(set(params) - {"instrument", "since", "until", "status", "cursor", "page_size"})
    if unknown:
        raise ValidationError({name: ["Unknown parameter."] for name in unknown})
    wanted = {}
    if "instrument" in params:
        if params["instrument"] not in INSTRUMENTS:
            raise ValidationError({"instrument": [f"Unknown instrument; known: {', '.join(INSTRUMENTS)}."]})
        wanted["instrument"] = params["instrument"]
    for name, lookup in (("since", "taken_at__gte"), ("until", "taken_at__lt")):
        if name in params:
            when, problem = date_time_problem(params[name], offset_required=True)
            if problem:
                raise ValidationError({name: [problem]})
            wanted[lookup] = when
    status = params.get("status", "final")
    if status != "all":
        if status not in RecordStatus.values:
            raise ValidationError({"status": ["Expected final, amended, entered_in_error or all."]})
        wanted["record_status"] = status
    return wanted


class AssessmentListView(ApiView):
    pagination_class = NewestFirst  # documents the cursor envelope of the GET (drf-spectacular)
    renderer_classes = [FastJSONRenderer]  # the flowsheet: up to 500 scores a page

    @extend_schema(
        responses=AssessmentSerializer(many=True),
        parameters=[
            OpenApiParameter("instrument", str),
            OpenApiParameter("since", str, description="ISO-8601, inclusive"),
            OpenApiParameter("until", str, description="ISO-8601, exclusive"),
            OpenApiParameter("status", str, description="final (default), amended, entered_in_error, or all"),
        ],
    )
    def get(self, request, pk):
        """A patient's assessments, newest first."""
        paginator = NewestFirst()
        try:
            wanted = narrowed(request.query_params)
            # the patient is found in the page's own query: a patient the user may not see has no rows to show
            visible = visible_patients(request.user).filter(pk=pk).values("pk")
            page = paginator.paginate_rows(PageRows(pk, visible).filter(**wanted), request, view=self)
        except (ValidationError, NotFound):  # a bad parameter or cursor
            access_patient(request.user, pk)  # a patient the user may not see is not found, whatever was asked
            raise
        # nothing to show: the patient may have no such scores yet, or may not be the user's to see (404)
        patient = Patient(pk=pk, program_id=page[0]["program_id"]) if page else access_patient(request.user, pk)
        require(request.user, patient.program_id, CHART_READ)
        record_read(request.user, "assessment.list", patient=patient, detail={"count": len(page)})
        tz = timezone.get_current_timezone()
        return paginator.get_paginated_response([assessment_json(row, tz) for row in page])

    @extend_schema(request=RecordSerializer, responses={201: AssessmentSerializer})
    def post(self, request, pk):
        """Score and record an assessment. 400 names every offending key (`responses.<item>`, `vitals.<sign>`)."""
        patient = access_patient(request.user, pk)
        serializer = RecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment = services.record_assessment(acting_user=request.user, patient=patient, **serializer.validated_data)
        return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


def find_assessment(request, pk, assessment_id) -> Assessment:
    patient = access_patient(request.user, pk)
    return access_record(patient, Assessment.objects.select_related("patient__program", "recorded_by"), assessment_id)


class AssessmentDetailView(ApiView):
    @extend_schema(responses=AssessmentSerializer)
    def get(self, request, pk, assessment_id):
        assessment = find_assessment(request, pk, assessment_id)
        require(request.user, assessment.program_id, CHART_READ)
        record_read(request.user, "assessment.read", patient=assessment.patient, obj=assessment)
        return Response(AssessmentSerializer(assessment).data)


class AmendView(ApiView):
    @extend_schema(request=AmendSerializer, responses={201: AssessmentSerializer, 409: dict})
    def post(self, request, pk, assessment_id):
        """Amend: a new version replaces this one. 409 when `version` is not the current one."""
        assessment = find_assessment(request, pk, assessment_id)
        serializer = AmendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        new = services.amend_assessment(acting_user=request.user, assessment=assessment, **serializer.validated_data)
        return Response(AssessmentSerializer(new).data, status=status.HTTP_201_CREATED)


class EnteredInErrorView(ApiView):
    @extend_schema(request=ErrorSerializer, responses={200: AssessmentSerializer, 409: dict})
    def post(self, request, pk, assessment_id):
        assessment = find_assessment(request, pk, assessment_id)
        serializer = ErrorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        marked = services.mark_entered_in_error(
            acting_user=request.user, assessment=assessment, **serializer.validated_data
        )
        return Response(AssessmentSerializer(marked).data)


def instrument_json(instrument) -> dict:
    return {
        "code": instrument.code,
        "version": instrument.version,
        "title": instrument.title,
        "short_title": instrument.short_title,
        "source": instrument.source,
        "reporter": instrument.reporter,
        "instructions": instrument.instructions,
        "min_total": instrument.min_total,
        "max_total": instrument.max_total,
        "items": [
            {
                "key": item.key,
                "label": item.label,
                "help": item.help,
                "choices": [{"score": s, "text": t} for s, t in item.choices],
            }
            for item in instrument.items
        ],
        "bands": [{"code": b.code, "low": b.low, "high": b.high, "label": b.label} for b in instrument.bands],
    }


class InstrumentListView(ApiView):
    @extend_schema(responses={200: {"type": "array", "items": {"type": "object"}}})
    def get(self, request):
        """The instruments' definitions: items, allowed scores with their anchors, bands."""
        return Response([instrument_json(i) for i in INSTRUMENTS.values()])


class InstrumentDetailView(ApiView):
    @extend_schema(responses={200: dict})
    def get(self, request, code):
        if code not in INSTRUMENTS:
            raise NotFound("Unknown instrument.")
        return Response(instrument_json(get_instrument(code)))


def ciwa_json(ciwa: "board.CiwaStatus | None") -> dict | None:
    """The board's CIWA-Ar column (None: CIWA-Ar is not turned on for the patient)."""
    if ciwa is None:
        return None
    return {
        "reason": ciwa.reason,
        "since": ciwa.since,
        "latest_total": ciwa.total,
        "taken_at": ciwa.taken_at,
        "band": ciwa.band_label or None,
        "band_source": ciwa.band_source or None,
        "band_text": ciwa.band_text or None,
        "next_due": ciwa.next_due,
        "overdue": ciwa.overdue,
    }


class BoardView(ApiView):
    @extend_schema(responses={200: dict}, parameters=[OpenApiParameter("program", str)])
    def get(self, request):
        """The withdrawal board of a program: patients in withdrawal management, most urgent first."""
        program = program_from_query(request)
        require(request.user, program.pk, CHART_READ)
        rows = board.build(program, visible_patients(request.user, program))
        record_read(request.user, "withdrawal.board.read", program=program, detail={"count": len(rows)})
        return Response(
            {
                "program": program.slug,
                "order": board.URGENCY_RULE,
                "patients": [
                    {
                        "patient": row.patient.pk,
                        "name": row.patient.display_name,
                        "level_of_care": row.stay.level_code,
                        "latest_cows": row.latest.total if row.latest else None,
                        "severity": row.latest.severity if row.latest else None,
                        "taken_at": row.latest.taken_at if row.latest else None,
                        "change": row.change,
                        "next_due": row.next_due,
                        "overdue": row.overdue,
                        "lateness": row.lateness,
                        "urgency": row.urgency,
                        "alerts": [{"code": a.code, "text": a.text} for a in row.alerts],
                        "induction_flag": row.meets_induction or None,
                        "ciwa_ar": ciwa_json(row.ciwa),
                    }
                    for row in rows
                ],
            }
        )
