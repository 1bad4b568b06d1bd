"""REST API of the dosing window: /api/v1/dosing/queue/ (today's queue), /api/v1/patients/{id}/dosing/doses/
(give the observed dose), /api/v1/patients/{id}/dosing/holds/ (list, set). Same services, rules and access scope as
the pages: a refusal is a 400 naming the rule (`order`, `hold`, `already_given`, `dose`, `lot`), nothing saved."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from waypoint.accounts.roles import MOUD_ADMINISTER
from waypoint.patients.access import access_patient, require, visible_patients
from waypoint.patients.api import program_from_query
from waypoint.patients.services import record_read
from waypoint.web.api import ApiView, StrictSerializer

from . import services
from .models import Hold, StockLot

ERRORS = {
    400: OpenApiResponse(description="Refused: the body names the rule and why; nothing is saved."),
    403: OpenApiResponse(description="Your role may not do this."),
    404: OpenApiResponse(description="No such patient (or not visible to you)."),
}


class HoldOut(serializers.ModelSerializer):
    set_by = serializers.CharField(source="set_by.username")
    lifted_by = serializers.CharField(source="lifted_by.username", default=None)
    how_to_lift = serializers.CharField()

    class Meta:
        model = Hold
        fields = ["id", "kind", "reason", "set_by", "set_at", "how_to_lift", "lifted_at", "lifted_by", "lift_note"]


class HoldIn(StrictSerializer):
    kind = serializers.ChoiceField(choices=[Hold.Kind.CLINICAL, Hold.Kind.ADMINISTRATIVE])
    reason = serializers.CharField(allow_blank=True)


class DoseIn(StrictSerializer):
    amount = serializers.DecimalField(max_digits=9, decimal_places=2, help_text="The dose given, in mg.")
    lot = serializers.IntegerField(help_text="The stock lot the dose is poured from.")


class QueueView(ApiView):
    @extend_schema(
        responses={200: dict, **ERRORS},
        parameters=[OpenApiParameter("program", str), OpenApiParameter("q", str, description="name or MRN")],
    )
    def get(self, request):
        """Today's dosing queue: each patient with a dosing order, and today's status (due, part given, dosed,
        take-home today, on hold)."""
        program = program_from_query(request)
        require(request.user, program.pk, MOUD_ADMINISTER)
        rows = services.queue(
            visible_patients(request.user, program), program, search=request.query_params.get("q", "")
        )
        record_read(request.user, "dispensing.queue.read", program=program, detail={"count": len(rows)})
        return Response(
            {
                "program": program.slug,
                "patients": [
                    {
                        "patient": row.patient.pk,
                        "name": row.patient.display_name,
                        "mrn": row.patient.mrn,
                        "order": row.order.pk,
                        "ordered": row.order.label,
                        "status": row.status,
                        "due": row.due,
                        "given": len(row.given),
                        "parts": row.parts,
                        "holds": [services.hold_message(hold) for hold in row.holds],
                    }
                    for row in rows
                ],
            }
        )


class DoseView(ApiView):
    @extend_schema(request=DoseIn, responses={201: dict, **ERRORS})
    def post(self, request, pk):
        """Give the observed dose now. 400 names `order` (no active order), `hold` (a hold, or the program's
        missed-dose rule), `already_given` (today's dose or every split part given), `dose` (differs from the
        order), `lot` (not this program's, another medication, or too little stock)."""
        patient = access_patient(request.user, pk)
        serializer = DoseIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        lot = StockLot.objects.filter(pk=serializer.validated_data["lot"], program_id=patient.program_id).first()
        record = services.dispense(
            acting_user=request.user, patient=patient, amount=serializer.validated_data["amount"], lot=lot
        )
        window = record.window_dose
        return Response(
            {
                "administration": record.pk,
                "dose": str(record.dose),
                "at": record.at,
                "lot": window.lot_id,
                "part": window.part,
                "of_parts": window.of_parts,
                "balance_mg": str(services.balance(window.lot)),
            },
            status=status.HTTP_201_CREATED,
        )


class HoldListView(ApiView):
    @extend_schema(responses={200: HoldOut(many=True), **ERRORS})
    def get(self, request, pk):
        """The patient's holds, newest first (lifted ones too)."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, MOUD_ADMINISTER)
        record_read(request.user, "dispensing.hold.read", patient=patient)
        return Response(
            HoldOut(Hold.objects.filter(patient=patient).select_related("set_by", "lifted_by"), many=True).data
        )

    @extend_schema(request=HoldIn, responses={201: HoldOut, **ERRORS})
    def post(self, request, pk):
        """Set a clinical or administrative hold on the patient's doses, with the reason."""
        patient = access_patient(request.user, pk)
        serializer = HoldIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        hold = services.set_hold(acting_user=request.user, patient=patient, **serializer.validated_data)
        return Response(HoldOut(hold).data, status=status.HTTP_201_CREATED)
