"""REST API of the dosing window: /api/v1/dosing/queue/ (today's queue), /api/v1/patients/{id}/dosing/doses/
(give the observed dose), /api/v1/patients/{id}/dosing/holds/ (list, set). Same services, rules and access scope as
the pages: a refusal is a 400 naming the rule (`order`, `hold`, `already_given`, `dose`, `lot`), nothing saved."""

from datetime import timedelta

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from waypoint.accounts.roles import MOUD_ADMINISTER, STOCK_SIGN_OFF
from waypoint.patients.access import access_patient, access_record, require, visible_patients
from waypoint.patients.api import program_from_query
from waypoint.patients.services import record_read
from waypoint.web.api import ApiView, StrictSerializer, limit_of

from . import services
from .models import (
    CallBack,
    ClosedDay,
    GuestDosing,
    Hold,
    LedgerEntry,
    ReplacementDose,
    StockCount,
    StockLot,
    TakeHomeBottle,
    TakeHomeDecision,
)

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
                "balance_mg": _mg(services.shown_balance(request.user, window.lot)),
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


def _second_user(request, username: str, password: str, field: str, action: str, **where):
    """The second staff member signs with their user name and password, as on the page (a wrong one audited)."""
    from .signers import second_user

    return second_user(
        request._request,
        username,
        password,
        acting_user=request.user,
        action=action,
        field=field,
        who="second signer",
        **where,
    )


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
        second = _second_user(
            request,
            data["second_username"],
            data["second_password"],
            "second_signer",
            "dispensing.replacement",
            patient=patient,
        )
        lot = StockLot.objects.filter(pk=data["lot"], program_id=patient.program_id).first()
        bottle = (
            TakeHomeBottle.objects.filter(patient=patient, code=data["bottle"].strip().upper()).first()
            if data["bottle"].strip()
            else None
        )
        if data["bottle"].strip() and bottle is None:
            services.refused(
                request.user,
                "dispensing.replacement",
                {"bottle": "No such take-home bottle of this patient."},
                patient=patient,
            )
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
        bottle = services.find_bottle(
            acting_user=request.user,
            patients=visible_patients(request.user, program),
            program=program,
            code=data["code"],
        )
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


# --- take-home decisions and bottles, the stock ledger, counts -----------------------------------------------------


class DecisionOut(serializers.ModelSerializer):
    signed_by = serializers.CharField(source="signed_by.username")

    class Meta:
        model = TakeHomeDecision
        fields = ["id", "days", "criteria", "basis", "day_of_treatment", "tier", "signed_by", "signed_at"]


class CriteriaIn(StrictSerializer):
    no_active_sud_or_risk = serializers.BooleanField(help_text=services.CRITERIA["no_active_sud_or_risk"])
    regular_attendance = serializers.BooleanField(help_text=services.CRITERIA["regular_attendance"])
    no_serious_behavior = serializers.BooleanField(help_text=services.CRITERIA["no_serious_behavior"])
    no_recent_diversion = serializers.BooleanField(help_text=services.CRITERIA["no_recent_diversion"])
    safe_transport_storage = serializers.BooleanField(help_text=services.CRITERIA["safe_transport_storage"])
    other_director_criteria = serializers.BooleanField(help_text=services.CRITERIA["other_director_criteria"])


class DecisionIn(StrictSerializer):
    days = serializers.IntegerField(min_value=0, help_text="Take-home days allowed (within the program's tier).")
    criteria = CriteriaIn(help_text="Each of the six federal criteria answered: true (met) or false (not met).")
    basis = serializers.CharField(allow_blank=True, max_length=4000, help_text="The basis of the decision.")


class BottleOut(serializers.ModelSerializer):
    issued_by = serializers.CharField(source="issued_by.username")

    class Meta:
        model = TakeHomeBottle
        fields = ["id", "code", "take_on", "dose", "lot", "order", "decision", "issued_by", "issued_at", "returned_at"]


class BottlesIn(StrictSerializer):
    days = serializers.ListField(
        child=serializers.DateField(), max_length=31, help_text="The days to take the doses home for (after today)."
    )
    lot = serializers.IntegerField(help_text="The stock lot the bottles are poured from.")


def _mg(value) -> str | None:
    return None if value is None else str(value)


class LotOut(serializers.ModelSerializer):
    balance_mg = serializers.SerializerMethodField(
        help_text="The sum of the lot's ledger entries (never typed); null to a user who may count (blind counts: "
        "only the director, who does not dispense, sees balances)."
    )

    class Meta:
        model = StockLot
        fields = ["id", "medication", "strength", "lot_number", "expires_on", "balance_mg"]

    def get_balance_mg(self, lot) -> str | None:
        return _mg(services.shown_balance(self.context["user"], lot))


class EntryOut(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username")
    witness = serializers.CharField(source="witness.username", default=None)

    class Meta:
        model = LedgerEntry
        fields = ["id", "lot", "kind", "quantity_mg", "at", "by", "witness", "bottle", "note"]


class EntryIn(StrictSerializer):
    kind = serializers.ChoiceField(
        choices=["receipt", "waste", "spill", "transfer", "adjustment"],
        help_text="receipt (stock in); waste or spill (witnessed); transfer out; adjustment (down, with the reason).",
    )
    quantity_mg = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="The amount in mg (positive).")
    lot = serializers.IntegerField(required=False, help_text="The stock lot (outflows).")
    medication = serializers.CharField(required=False, default="", allow_blank=True, max_length=32)
    strength = serializers.CharField(required=False, default="", allow_blank=True, max_length=40)
    lot_number = serializers.CharField(required=False, default="", allow_blank=True, max_length=40)
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)
    witness_username = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)
    witness_password = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, write_only=True, style={"input_type": "password"}
    )


class CountOut(serializers.ModelSerializer):
    counted_by = serializers.CharField(source="counted_by.username")
    second_counter = serializers.CharField(source="second_counter.username")
    signed_off_by = serializers.CharField(source="signed_off_by.username", default=None)
    discrepancy_mg = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)

    class Meta:
        model = StockCount
        fields = [
            "id",
            "lot",
            "counted_mg",
            "expected_mg",
            "discrepancy_mg",
            "counted_by",
            "second_counter",
            "at",
            "investigation_note",
            "signed_off_by",
            "signed_off_at",
        ]


class CountIn(StrictSerializer):
    lot = serializers.IntegerField()
    counted_mg = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="What the two users counted.")
    second_username = serializers.CharField(max_length=150, help_text="The second counter, who signs with a password.")
    second_password = serializers.CharField(max_length=200, write_only=True, style={"input_type": "password"})
    investigation_note = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=4000,
        help_text="Optional: the count is recorded whether or not it matches; a discrepancy's note can be written "
        "once the count shows it (`investigation/`).",
    )


class InvestigationIn(StrictSerializer):
    investigation_note = serializers.CharField(max_length=4000, help_text="What was checked, what was found.")


class SignOffIn(StrictSerializer):
    """Nothing to give: the director's sign-off is theirs and now."""


def _program_lot(program, pk):
    """A stock lot of this program: another program's lot (or none) is 404."""
    return get_object_or_404(StockLot, pk=pk, program=program)


class DecisionListView(ApiView):
    @extend_schema(responses={200: DecisionOut(many=True), **ERRORS})
    def get(self, request, pk):
        """The patient's signed take-home decisions, newest first (the first is in force)."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, MOUD_ADMINISTER)
        record_read(request.user, "dispensing.take_homes.read", patient=patient)
        rows = TakeHomeDecision.objects.filter(patient=patient).select_related("signed_by")
        return Response(DecisionOut(rows, many=True).data)

    @extend_schema(request=DecisionIn, responses={201: DecisionOut, **ERRORS})
    def post(self, request, pk):
        """A practitioner signs the take-home decision: the days, each federal criterion answered, the basis. 400
        names `days` (above the program's tier for this day of treatment, naming the tier), `criteria` or `basis`."""
        patient = access_patient(request.user, pk)
        serializer = DecisionIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decision = services.sign_take_home_decision(
            acting_user=request.user,
            patient=patient,
            days=data["days"],
            criteria=dict(data["criteria"]),
            basis=data["basis"],
        )
        return Response(DecisionOut(decision).data, status=status.HTTP_201_CREATED)


class BottleListView(ApiView):
    @extend_schema(responses={200: BottleOut(many=True), **ERRORS})
    def get(self, request, pk):
        """The patient's take-home bottles, latest day first (at most 60)."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, MOUD_ADMINISTER)
        record_read(request.user, "dispensing.take_homes.read", patient=patient)
        rows = TakeHomeBottle.objects.filter(patient=patient).select_related("issued_by").order_by("-take_on")[:60]
        return Response(BottleOut(rows, many=True).data)

    @extend_schema(request=BottlesIn, responses={201: BottleOut(many=True), **ERRORS})
    def post(self, request, pk):
        """Issue one labelled bottle of the ordered dose per day, each an outflow of the lot. 400 names `order`,
        `hold`, `days` (no signed decision, more days than it allows, a day not after today or already issued),
        `safe_storage` (education not recorded) or `lot`."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, MOUD_ADMINISTER)
        serializer = BottlesIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        lot = StockLot.objects.filter(pk=serializer.validated_data["lot"], program_id=patient.program_id).first()
        bottles = services.issue_bottles(
            acting_user=request.user, patient=patient, days=serializer.validated_data["days"], lot=lot
        )
        return Response(BottleOut(bottles, many=True).data, status=status.HTTP_201_CREATED)


class LedgerView(ApiView):
    @extend_schema(
        responses={200: dict, **ERRORS},
        parameters=[
            OpenApiParameter("program", str),
            OpenApiParameter("lot", int, description="One lot's entries only."),
            OpenApiParameter("medication", str, description="One medication's lots only."),
        ],
    )
    def get(self, request):
        """The program's stock lots, each with its balance (the sum of its entries, never typed; null to a user who
        may count: blind counts), and the latest 200 ledger entries (of one lot or medication if asked)."""
        program = program_from_query(request)
        if not services.may_read_ledger(request.user, program.pk):
            require(request.user, program.pk, MOUD_ADMINISTER)
        lots = StockLot.objects.filter(program=program)
        if medication := request.query_params.get("medication"):
            lots = lots.filter(medication=medication)
        if (lot_id := request.query_params.get("lot")) is not None:
            if not lot_id.isdigit():
                services.refused(request.user, "dispensing.ledger.read", {"lot": "Give the lot's id."}, program=program)
            lots = lots.filter(pk=_program_lot(program, int(lot_id)).pk)
        entries = (
            LedgerEntry.objects.filter(program=program, lot__in=lots)
            .select_related("by", "witness")
            .order_by("-at", "-id")[:200]
        )
        record_read(request.user, "dispensing.ledger.read", program=program)
        return Response(
            {
                "program": program.slug,
                "lots": LotOut(lots, many=True, context={"user": request.user}).data,
                "entries": EntryOut(entries, many=True).data,
            }
        )

    @extend_schema(request=EntryIn, responses={201: EntryOut, **ERRORS}, parameters=[OpenApiParameter("program", str)])
    def post(self, request):
        """Record a receipt (`medication`, `strength`, `lot_number`) or an outflow of a `lot` other than a dose:
        waste or spill (witnessed by a second user who may dispense: `witness_username`, `witness_password`),
        transfer or a downward adjustment, each with the `note`. 400 names `kind`, `quantity` (never more than the
        lot holds), `witness`, `note`, `medication`, `strength` or `lot_number`; another program's lot is 404."""
        program = program_from_query(request)
        require(request.user, program.pk, MOUD_ADMINISTER)
        serializer = EntryIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["kind"] == "receipt":
            entry = services.receive_stock(
                acting_user=request.user,
                program=program,
                medication_code=data["medication"],
                strength=data["strength"],
                lot_number=data["lot_number"],
                quantity_mg=data["quantity_mg"],
                note=data["note"],
            )
        else:
            if "lot" not in data:
                services.refused(
                    request.user, "dispensing.ledger.outflow", {"lot": "Choose the stock lot."}, program=program
                )
            lot = _program_lot(program, data["lot"])
            witness = _second_user(
                request,
                data["witness_username"],
                data["witness_password"],
                "witness",
                "dispensing.ledger.outflow",
                program=program,
                obj=lot,
            )
            entry = services.record_outflow(
                acting_user=request.user,
                lot=lot,
                kind=data["kind"],
                quantity_mg=data["quantity_mg"],
                witness=witness,
                note=data["note"],
            )
        return Response(EntryOut(entry).data, status=status.HTTP_201_CREATED)


class CountListView(ApiView):
    @extend_schema(responses={200: CountOut(many=True), **ERRORS}, parameters=[OpenApiParameter("program", str)])
    def get(self, request):
        """The program's recorded counts, newest first (50): each with the expected balance taken when it was
        recorded, the discrepancy and its sign-off."""
        program = program_from_query(request)
        if not services.may_read_ledger(request.user, program.pk):
            require(request.user, program.pk, MOUD_ADMINISTER)
        rows = StockCount.objects.filter(program=program).select_related(
            "counted_by", "second_counter", "signed_off_by"
        )[:50]
        record_read(request.user, "dispensing.count.read", program=program)
        return Response(CountOut(rows, many=True).data)

    @extend_schema(request=CountIn, responses={201: CountOut, **ERRORS}, parameters=[OpenApiParameter("program", str)])
    def post(self, request):
        """A blind count by two users: recorded as counted, whether or not it matches; the expected balance is
        taken only then and is in the answer (never before: a user who may count sees no balance anywhere). 400
        names `counted_mg` or `second_counter` (another user who may dispense, with their password); another
        program's lot is 404. A discrepancy then needs its investigation note before the director's sign-off."""
        program = program_from_query(request)
        require(request.user, program.pk, MOUD_ADMINISTER)
        serializer = CountIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lot = _program_lot(program, data["lot"])
        second = _second_user(
            request,
            data["second_username"],
            data["second_password"],
            "second_counter",
            "dispensing.count",
            program=program,
            obj=lot,
        )
        found = services.record_count(
            acting_user=request.user,
            lot=lot,
            counted_mg=data["counted_mg"],
            second_counter=second,
            investigation_note=data["investigation_note"],
        )
        return Response(CountOut(found).data, status=status.HTTP_201_CREATED)


class CountInvestigationView(ApiView):
    @extend_schema(
        request=InvestigationIn, responses={200: CountOut, **ERRORS}, parameters=[OpenApiParameter("program", str)]
    )
    def post(self, request, count_id):
        """Write the investigation note of a count's discrepancy, once, after the count is recorded. 400 names
        `investigation_note` (empty) or `count` (it matches the ledger, or its note is already written); another
        program's count is 404."""
        program = program_from_query(request)
        require(request.user, program.pk, MOUD_ADMINISTER)
        serializer = InvestigationIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        found = get_object_or_404(StockCount, pk=count_id, program=program)
        note = serializer.validated_data["investigation_note"]
        written = services.write_investigation_note(acting_user=request.user, count=found, note=note)
        return Response(CountOut(written).data)


class CountSignOffView(ApiView):
    @extend_schema(
        request=SignOffIn, responses={200: CountOut, **ERRORS}, parameters=[OpenApiParameter("program", str)]
    )
    def post(self, request, count_id):
        """The director signs off a count (after reading its investigation note); the body is empty (`{}`). 400
        names `count` (already signed off, or a discrepancy without its investigation note)."""
        program = program_from_query(request)
        require(request.user, program.pk, STOCK_SIGN_OFF)
        SignOffIn(data=request.data).is_valid(raise_exception=True)
        found = get_object_or_404(StockCount, pk=count_id, program=program)
        return Response(CountOut(services.sign_off_count(acting_user=request.user, count=found)).data)
