"""REST API of the dosing window: /api/v1/dosing/queue/ (today's queue), /api/v1/patients/{id}/dosing/doses/
(give the observed dose), /api/v1/patients/{id}/dosing/holds/ (list, set). Same services, rules and access scope as
the pages: a refusal is a 400 naming the rule (`order`, `hold`, `already_given`, `dose`, `lot`), nothing saved."""

from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from waypoint.accounts.roles import MOUD_ADMINISTER
from waypoint.patients.access import access_patient, access_record, require, visible_patients
from waypoint.patients.api import program_from_query
from waypoint.patients.services import record_read
from waypoint.web.api import ApiView, StrictSerializer, limit_of

from . import services
from .models import CallBack, ClosedDay, GuestDosing, Hold, ReplacementDose, StockLot, TakeHomeBottle

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
                        "given": row.given,
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


# --- guests, replacement doses, call-backs, the calendar, returned bottles ----------------------------------------


class GuestOut(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username")

    class Meta:
        model = GuestDosing
        fields = [
            "id",
            "order",
            "sending_program",
            "sending_contact",
            "sending_medication",
            "sending_dose",
            "last_dose_on",
            "first_day",
            "last_day",
            "note",
            "recorded_by",
            "recorded_at",
        ]


class GuestIn(StrictSerializer):
    sending_program = serializers.CharField(max_length=200, allow_blank=True)
    sending_contact = serializers.CharField(
        max_length=200, allow_blank=True, help_text="Who confirmed the order at the sending program."
    )
    medication = serializers.CharField(max_length=32, help_text="The medication code, e.g. methadone.")
    dose = serializers.DecimalField(max_digits=9, decimal_places=2, help_text="The sending program's dose, in mg.")
    last_dose_on = serializers.DateField(help_text="The last dose at the sending program.")
    first_day = serializers.DateField(help_text="The first day dosed here.")
    last_day = serializers.DateField(help_text="The last day dosed here.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReplacementOut(serializers.ModelSerializer):
    given_by = serializers.CharField(source="given_by.username")
    second_signer = serializers.CharField(source="second_signer.username", default=None)
    bottle = serializers.CharField(source="replaces_bottle.code", default=None)

    class Meta:
        model = ReplacementDose
        fields = ["id", "order", "reason", "note", "amount", "lot", "bottle", "given_by", "second_signer", "at"]


class ReplacementIn(StrictSerializer):
    reason = serializers.ChoiceField(choices=ReplacementDose.Reason.choices)
    note = serializers.CharField(allow_blank=True, max_length=2000, help_text="What happened.")
    amount = serializers.DecimalField(max_digits=9, decimal_places=2, help_text="The dose given again, in mg.")
    lot = serializers.IntegerField(help_text="The stock lot it is poured from.")
    bottle = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=limit_of(TakeHomeBottle, "code"),
        help_text="The lost bottle's id (lost take-home).",
    )
    second_username = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)
    second_password = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, write_only=True, style={"input_type": "password"}
    )


class CallBackOut(serializers.ModelSerializer):
    scheduled_by = serializers.CharField(source="scheduled_by.username")
    recorded_by = serializers.CharField(source="recorded_by.username", default=None)

    class Meta:
        model = CallBack
        fields = [
            "id",
            "patient",
            "due_on",
            "bottles_out",
            "scheduled_by",
            "scheduled_at",
            "recorded_at",
            "recorded_by",
            "brought_back",
            "note",
        ]


class CallBackIn(StrictSerializer):
    due_on = serializers.DateField(help_text="The day the patient brings the bottles (today or later).")


class RandomCallBackIn(StrictSerializer):
    due_on = serializers.DateField()
    count = serializers.IntegerField(min_value=1, max_value=100, help_text="How many patients to draw.")


class CallBackResultIn(StrictSerializer):
    brought_back = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ClosedDayIn(StrictSerializer):
    day = serializers.DateField()
    kind = serializers.ChoiceField(choices=ClosedDay.Kind.choices)
    name = serializers.CharField(allow_blank=True, max_length=120)


class ClosedDayBottlesIn(StrictSerializer):
    lots = serializers.ListField(child=serializers.IntegerField(), help_text="The stock lots to pour from.")


class BottleReturnIn(StrictSerializer):
    code = serializers.CharField(
        max_length=limit_of(TakeHomeBottle, "code"), help_text="The bottle id, as scanned from its label's QR code."
    )
    empty = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


def _second_user(request, username: str, password: str, field: str):
    """The second staff member signs with their user name and password, as on the page."""
    from django.contrib.auth import authenticate

    if not username:
        return None
    user = authenticate(request._request, username=username, password=password)
    if user is None:
        raise DjangoValidationError({field: "The second signer's user name or password is wrong."})
    return user


class GuestListView(ApiView):
    @extend_schema(responses={200: GuestOut(many=True), **ERRORS})
    def get(self, request, pk):
        """The patient's guest dosings from other programs, newest first."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, MOUD_ADMINISTER)
        record_read(request.user, "dispensing.guest.read", patient=patient)
        rows = GuestDosing.objects.filter(patient=patient).select_related("recorded_by")
        return Response(GuestOut(rows, many=True).data)

    @extend_schema(request=GuestIn, responses={201: GuestOut, **ERRORS})
    def post(self, request, pk):
        """A prescriber accepts a guest from another OTP, with the sending program's order and dates. 400 names
        `sending_program`, `sending_contact`, `medication`, `dose`, `first_day`, `last_day`, `last_dose_on` or the
        order's own rules (ceilings, an overlapping order)."""
        patient = access_patient(request.user, pk)
        serializer = GuestIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        guest = services.accept_guest(
            acting_user=request.user, patient=patient, medication_code=data.pop("medication"), **data
        )
        return Response(GuestOut(guest).data, status=status.HTTP_201_CREATED)


class ReplacementListView(ApiView):
    @extend_schema(responses={200: ReplacementOut(many=True), **ERRORS})
    def get(self, request, pk):
        """The patient's replacement doses, newest first."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, MOUD_ADMINISTER)
        record_read(request.user, "dispensing.replacement.read", patient=patient)
        rows = (
            ReplacementDose.objects.filter(patient=patient)
            .select_related("given_by", "second_signer", "replaces_bottle")
            .order_by("-at", "-id")
        )
        return Response(ReplacementOut(rows, many=True).data)

    @extend_schema(request=ReplacementIn, responses={201: ReplacementOut, **ERRORS})
    def post(self, request, pk):
        """Give a dose again for a spilled dose or a lost take-home bottle. 400 names `order`, `hold`, `reason`
        (no dose today to replace, already replaced), `bottle`, `note`, `dose`, `lot` or `second_signer` (the
        program requires a second staff member who may dispense: `second_username` and `second_password`)."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, MOUD_ADMINISTER)
        serializer = ReplacementIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        second = _second_user(request, data["second_username"], data["second_password"], "second_signer")
        lot = StockLot.objects.filter(pk=data["lot"], program_id=patient.program_id).first()
        bottle = (
            TakeHomeBottle.objects.filter(patient=patient, code=data["bottle"].strip().upper()).first()
            if data["bottle"].strip()
            else None
        )
        if data["bottle"].strip() and bottle is None:
            raise DjangoValidationError({"bottle": "No such take-home bottle of this patient."})
        replacement = services.replace_dose(
            acting_user=request.user,
            patient=patient,
            reason=data["reason"],
            note=data["note"],
            amount=data["amount"],
            lot=lot,
            bottle=bottle,
            second_signer=second,
        )
        return Response(ReplacementOut(replacement).data, status=status.HTTP_201_CREATED)


class PatientCallBackView(ApiView):
    @extend_schema(responses={200: CallBackOut(many=True), **ERRORS})
    def get(self, request, pk):
        """The patient's call-backs, newest first."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, MOUD_ADMINISTER)
        record_read(request.user, "dispensing.call_backs.read", patient=patient)
        rows = CallBack.objects.filter(patient=patient).select_related("scheduled_by", "recorded_by")
        return Response(CallBackOut(rows, many=True).data)

    @extend_schema(request=CallBackIn, responses={201: CallBackOut, **ERRORS})
    def post(self, request, pk):
        """Call the patient back to bring their take-home bottles. 400 names `due_on` (before today, no bottles out,
        a call-back already waiting)."""
        patient = access_patient(request.user, pk)
        serializer = CallBackIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        call_back = services.schedule_call_back(
            acting_user=request.user, patient=patient, due_on=serializer.validated_data["due_on"]
        )
        return Response(CallBackOut(call_back).data, status=status.HTTP_201_CREATED)


class CallBackResultView(ApiView):
    @extend_schema(request=CallBackResultIn, responses={200: CallBackOut, **ERRORS})
    def post(self, request, pk, call_back_id):
        """Record the call-back: bottles brought back or not (then the note says why). 400 names `call_back`
        (already recorded) or `note`."""
        patient = access_patient(request.user, pk)
        found = access_record(patient, CallBack, call_back_id)
        serializer = CallBackResultIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        recorded = services.record_call_back(acting_user=request.user, call_back=found, **serializer.validated_data)
        return Response(CallBackOut(recorded).data)


class CallBackListView(ApiView):
    @extend_schema(responses={200: CallBackOut(many=True), **ERRORS}, parameters=[OpenApiParameter("program", str)])
    def get(self, request):
        """The program's call-backs (of patients you can see), newest first."""
        program = program_from_query(request)
        require(request.user, program.pk, MOUD_ADMINISTER)
        visible = visible_patients(request.user, program)
        rows = list(
            CallBack.objects.filter(program=program, patient__in=visible).select_related("scheduled_by", "recorded_by")[
                :100
            ]
        )
        record_read(request.user, "dispensing.call_backs.read", program=program, detail={"count": len(rows)})
        return Response(CallBackOut(rows, many=True).data)

    @extend_schema(
        request=RandomCallBackIn,
        responses={201: CallBackOut(many=True), **ERRORS},
        parameters=[OpenApiParameter("program", str)],
    )
    def post(self, request):
        """Draw `count` patients at random among those with bottles out and call them back on `due_on`."""
        program = program_from_query(request)
        serializer = RandomCallBackIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        made = services.schedule_random_call_backs(
            acting_user=request.user,
            program=program,
            patients=visible_patients(request.user, program),
            **serializer.validated_data,
        )
        return Response(CallBackOut(made, many=True).data, status=status.HTTP_201_CREATED)


class CalendarView(ApiView):
    @extend_schema(responses={200: dict, **ERRORS}, parameters=[OpenApiParameter("program", str)])
    def get(self, request):
        """The closed days of the next 60 days (Sundays when the program closes on them, holidays, closures) and
        the run of closed days after today that take-home bottles are issued for."""
        program = program_from_query(request)
        require(request.user, program.pk, MOUD_ADMINISTER)
        today = program.today()
        closed = services.closed_days(program, today, today + timedelta(days=60))
        return Response(
            {
                "program": program.slug,
                "closed": [{"day": day, "why": why} for day, why in closed.items()],
                "next_closed_run": services.next_closed_run(program, today),
            }
        )

    @extend_schema(request=ClosedDayIn, responses={201: dict, **ERRORS}, parameters=[OpenApiParameter("program", str)])
    def post(self, request):
        """Add a holiday or closure. 400 names `day` (before today, already on the calendar), `kind` or `name`."""
        program = program_from_query(request)
        serializer = ClosedDayIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        closed = services.add_closed_day(acting_user=request.user, program=program, **serializer.validated_data)
        return Response(
            {"id": closed.pk, "day": closed.day, "kind": closed.kind, "name": closed.name},
            status=status.HTTP_201_CREATED,
        )


class ClosedDayBottlesView(ApiView):
    @extend_schema(
        request=ClosedDayBottlesIn, responses={200: dict, **ERRORS}, parameters=[OpenApiParameter("program", str)]
    )
    def post(self, request):
        """Issue the take-home bottles of the closed days after today for every patient with a dosing order, within
        each one's signed decision: the bottles issued, and each patient refused with the reason."""
        program = program_from_query(request)
        serializer = ClosedDayBottlesIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        lots = list(StockLot.objects.filter(program=program, pk__in=serializer.validated_data["lots"]))
        issued, refused = services.closed_day_bottles(
            acting_user=request.user, program=program, lots=lots, patients=visible_patients(request.user, program)
        )
        return Response(
            {
                "issued": [
                    {"patient": patient.pk, "bottles": [b.code for b in bottles]} for patient, bottles in issued.items()
                ],
                "refused": [{"patient": patient.pk, "why": why} for patient, why in refused.items()],
            }
        )


class BottleReturnView(ApiView):
    @extend_schema(
        request=BottleReturnIn, responses={200: dict, **ERRORS}, parameters=[OpenApiParameter("program", str)]
    )
    def post(self, request):
        """Check in a returned bottle by its id as scanned from the label. 400 names `code` (no such bottle of a
        patient you can see), `bottle` (already checked in) or `note` (not empty: say what was in it)."""
        program = program_from_query(request)
        require(request.user, program.pk, MOUD_ADMINISTER)
        serializer = BottleReturnIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        bottle = services.find_bottle(visible_patients(request.user, program), program, data["code"])
        bottle = services.return_bottle(acting_user=request.user, bottle=bottle, empty=data["empty"], note=data["note"])
        return Response(
            {
                "bottle": bottle.code,
                "patient": bottle.patient_id,
                "returned_at": bottle.returned_at,
                "empty": bottle.returned_empty,
                "note": bottle.return_note,
            }
        )
