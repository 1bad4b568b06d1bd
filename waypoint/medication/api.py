"""REST API: /api/v1/patients/{id}/moud-orders/ (list, order), .../moud-orders/{order}/stop/,
/api/v1/patients/{id}/moud-administrations/ (list, record). Same services and access scope as the pages."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from waypoint.accounts.roles import CHART_READ
from waypoint.patients.access import access_patient, access_record, require
from waypoint.patients.services import record_read
from waypoint.web.api import ApiView, StrictSerializer, limit_of

from . import catalog, services
from .doses import induction_doses
from .models import Administration, MedicationOrder, Phase

ERRORS = {
    400: OpenApiResponse(description="Refused: the body names each field and why."),
    403: OpenApiResponse(description="Your role may not do this."),
    404: OpenApiResponse(description="No such patient (or not visible to you)."),
}


class MoudOrderOut(serializers.ModelSerializer):
    # named like an attribute of a DRF Field, which the stubs see; DRF declares it as a serializer field
    label = serializers.CharField()  # type: ignore[assignment]
    schedule = serializers.CharField(help_text="The frequency in words, e.g. 'once daily'.")
    prescriber = serializers.CharField(source="prescriber.username")
    stopped_by = serializers.CharField(source="stopped_by.username", default=None)

    class Meta:
        model = MedicationOrder
        fields = [
            "id",
            "medication",
            "label",
            "dose",
            "unit",
            "route",
            "times_per_day",
            "min_interval_minutes",
            "frequency",
            "schedule",
            "agonist_override_reason",
            "phase",
            "instructions",
            "start_at",
            "stop_at",
            "stop_reason",
            "stopped_by",
            "prescriber",
            "episode",
            "recorded_at",
        ]


class AdministrationOut(serializers.ModelSerializer):
    given_by = serializers.CharField(source="recorded_by.username")
    medication = serializers.CharField(source="order.medication")
    entered_in_error_at = serializers.SerializerMethodField()
    error_reason = serializers.SerializerMethodField()

    class Meta:
        model = Administration
        fields = [
            "id",
            "order",
            "medication",
            "status",
            "dose",
            "unit",
            "at",
            "reason",
            "note",
            "cows_override_reason",
            "given_by",
            "episode",
            "recorded_at",
            "entered_in_error_at",
            "error_reason",
        ]

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_entered_in_error_at(self, dose) -> str | None:
        return serializers.DateTimeField().to_representation(dose.status_changed_at) if dose.entered_in_error else None

    def get_error_reason(self, dose) -> str:
        return dose.change_reason if dose.entered_in_error else ""


class MoudOrderIn(StrictSerializer):
    medication = serializers.ChoiceField(choices=catalog.CHOICES)
    dose = serializers.DecimalField(max_digits=7, decimal_places=2)
    unit = serializers.CharField(max_length=limit_of(MedicationOrder, "unit"), required=False, default="mg")
    route = serializers.ChoiceField(choices=list(catalog.ROUTE_NAMES.items()))
    times_per_day = serializers.IntegerField(min_value=1, max_value=24)
    min_interval_hours = serializers.DecimalField(
        max_digits=4, decimal_places=2, required=False, allow_null=True, default=None
    )
    frequency = serializers.CharField(
        max_length=limit_of(MedicationOrder, "frequency"), required=False, allow_blank=True, default=""
    )
    agonist_override_reason = serializers.CharField(required=False, allow_blank=True, default="")
    phase = serializers.ChoiceField(choices=Phase.choices, required=False, default=Phase.MAINTENANCE)
    instructions = serializers.CharField(required=False, allow_blank=True, default="")
    start_at = serializers.DateTimeField()
    stop_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class MoudStopIn(StrictSerializer):
    stop_at = serializers.DateTimeField()
    reason = serializers.CharField()


class AdministrationIn(StrictSerializer):
    order = serializers.IntegerField(required=False, allow_null=True, default=None)
    status = serializers.ChoiceField(choices=Administration.Status.choices)
    dose = serializers.DecimalField(max_digits=7, decimal_places=2, required=False, allow_null=True, default=None)
    at = serializers.DateTimeField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    cows_override_reason = serializers.CharField(required=False, allow_blank=True, default="")


class OrderListView(ApiView):
    @extend_schema(responses={200: MoudOrderOut(many=True), **ERRORS})
    def get(self, request, pk):
        """The patient's MOUD orders, newest start first."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CHART_READ)
        record_read(request.user, "medication.order.read", patient=patient)
        rows = MedicationOrder.objects.filter(patient=patient).select_related("prescriber", "stopped_by")
        return Response(MoudOrderOut(rows, many=True).data)

    @extend_schema(request=MoudOrderIn, responses={201: MoudOrderOut, **ERRORS})
    def post(self, request, pk):
        """Order a MOUD medication (prescribers only). 400 names `dose` when above the program's ceiling
        (medication.max_dose_mg.<medication>), `medication` when an order of it overlaps, `times_per_day` /
        `min_interval_hours` for a frequency that is missing or does not fit a day, `agonist_override_reason` when
        another opioid agonist (methadone / buprenorphine) is active and no reason is given."""
        patient = access_patient(request.user, pk)
        serializer = MoudOrderIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.order_medication(acting_user=request.user, patient=patient, **serializer.validated_data)
        return Response(MoudOrderOut(order).data, status=status.HTTP_201_CREATED)


class OrderStopView(ApiView):
    @extend_schema(request=MoudStopIn, responses={200: MoudOrderOut, **ERRORS})
    def post(self, request, pk, order_id):
        """Stop an order (prescribers only), with the reason."""
        patient = access_patient(request.user, pk)
        order = access_record(patient, MedicationOrder, order_id)
        serializer = MoudStopIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.stop_order(acting_user=request.user, order=order, **serializer.validated_data)
        return Response(MoudOrderOut(order).data)


class AdministrationListView(ApiView):
    @extend_schema(responses={200: AdministrationOut(many=True), **ERRORS})
    def get(self, request, pk):
        """The dose record, newest first, and the induction doses with the COWS before and after each."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CHART_READ)
        record_read(request.user, "medication.administration.read", patient=patient)
        rows = Administration.objects.filter(patient=patient).select_related("order", "recorded_by")
        induction = [
            {
                "administration": row.dose.pk,
                "cows_before": (
                    {"assessment": row.before.pk, "total": row.before.total, "taken_at": row.before.taken_at}
                    if row.before
                    else None
                ),
                "cows_after": (
                    {"assessment": row.after.pk, "total": row.after.total, "taken_at": row.after.taken_at}
                    if row.after
                    else None
                ),
                "change": row.change,
            }
            for row in induction_doses(patient)
        ]
        return Response({"administrations": AdministrationOut(rows, many=True).data, "induction": induction})

    @extend_schema(request=AdministrationIn, responses={201: AdministrationOut, **ERRORS})
    def post(self, request, pk):
        """Record a dose given / held / refused / missed against an order active at `at`. 400 names `order`
        (no active order), `dose` (above the order or the program's ceilings), `at` (more often than the order's
        frequency), `reason` (held without one), `cows_override_reason` (a buprenorphine induction dose without a
        recent COWS at or above the program's threshold, and no reason to give it anyway)."""
        patient = access_patient(request.user, pk)
        serializer = AdministrationIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        order_id = data.pop("order")
        order = MedicationOrder.objects.filter(pk=order_id, patient=patient).first() if order_id else None
        if order_id and order is None:
            return Response({"order": ["No such order for this patient."]}, status=status.HTTP_400_BAD_REQUEST)
        record = services.record_administration(acting_user=request.user, patient=patient, order=order, **data)
        return Response(AdministrationOut(record).data, status=status.HTTP_201_CREATED)


class ReasonIn(StrictSerializer):
    reason = serializers.CharField(allow_blank=True)


class AdministrationErrorView(ApiView):
    @extend_schema(request=ReasonIn, responses={200: AdministrationOut, **ERRORS})
    def post(self, request, pk, administration_id):
        """Mark a dose record entered in error, with the reason; it stays, but counts nowhere."""
        patient = access_patient(request.user, pk)
        record = access_record(patient, Administration, administration_id)
        serializer = ReasonIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.mark_administration_in_error(
            acting_user=request.user, administration=record, **serializer.validated_data
        )
        return Response(AdministrationOut(record).data)
