"""The dosing window's kinds of clinical record (see waypoint/records/registry.py)."""

from waypoint.records.registry import RecordKind, not_a_record, register

from .models import CallBack, GuestDosing, Hold, ReplacementDose, SafeStorageEducation, TakeHomeBottle, TakeHomeDecision

NOT_SEEDED = "the seed's synthetic histories hold no opioid treatment program dosing yet: no generator is written"
NOT_IN_FHIR = "no FHIR kind is written yet for the dosing window's records (MedicationDispense is still to come)"
NOT_ON_CHART = "shown on the dosing window's dose page, not yet on the chart"


def holds_of(patient, user):
    return Hold.objects.filter(patient=patient).select_related("set_by", "lifted_by").order_by("set_at", "pk")


def hold_row(hold: Hold) -> dict:
    return {
        "kind": hold.get_kind_display(),
        "reason": hold.reason,
        "set_by": str(hold.set_by),
        "set_at": hold.set_at,
        "lifted_at": hold.lifted_at or "",
        "lift_note": hold.lift_note,
    }


def decisions_of(patient, user):
    return TakeHomeDecision.objects.filter(patient=patient).select_related("signed_by").order_by("signed_at", "pk")


def decision_row(decision: TakeHomeDecision) -> dict:
    return {
        "days": decision.days,
        "day_of_treatment": decision.day_of_treatment,
        "basis": decision.basis,
        "signed_by": str(decision.signed_by),
        "signed_at": decision.signed_at,
    }


def bottles_of(patient, user):
    return TakeHomeBottle.objects.filter(patient=patient).select_related("order").order_by("take_on", "pk")


def bottle_row(bottle: TakeHomeBottle) -> dict:
    returned = ""
    if bottle.returned_at:
        returned = "empty" if bottle.returned_empty else f"not empty: {bottle.return_note}"
    return {"code": bottle.code, "dose": bottle.label, "take_on": bottle.take_on, "returned": returned}


register(
    RecordKind(
        key="dosing_holds",
        title="Holds on doses at the dosing window",
        model="dispensing.Hold",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="moud",
        rows=holds_of,
        columns=(
            ("kind", "Hold"),
            ("reason", "Reason"),
            ("set_by", "Set by"),
            ("set_at", "Set"),
            ("lifted_at", "Lifted"),
            ("lift_note", "Why lifted"),
        ),
        render=hold_row,
        not_in_fhir=NOT_IN_FHIR,
        not_on_chart=NOT_ON_CHART,
        not_seeded=NOT_SEEDED,
        position=22,
    )
)
register(
    RecordKind(
        key="take_home_decisions",
        title="Take-home dose decisions",
        model="dispensing.TakeHomeDecision",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="moud",
        rows=decisions_of,
        columns=(
            ("days", "Take-home days"),
            ("day_of_treatment", "Day of treatment"),
            ("basis", "Basis"),
            ("signed_by", "Signed by"),
            ("signed_at", "Signed"),
        ),
        render=decision_row,
        not_in_fhir=NOT_IN_FHIR,
        not_on_chart=NOT_ON_CHART,
        not_seeded=NOT_SEEDED,
        position=23,
    )
)
register(
    RecordKind(
        key="take_home_bottles",
        title="Take-home bottles",
        model="dispensing.TakeHomeBottle",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="moud",
        rows=bottles_of,
        columns=(("code", "Bottle"), ("dose", "Dose"), ("take_on", "To take on"), ("returned", "Returned")),
        render=bottle_row,
        fhir_kinds=("take-home-bottle",),
        not_on_chart=NOT_ON_CHART,
        not_seeded=NOT_SEEDED,
        position=24,
    )
)
not_a_record(
    "dispensing.WindowDose",
    "the lot and split part of an observed dose: disclosed with the dose itself (MOUD doses)",
)


def guests_of(patient, user):
    return GuestDosing.objects.filter(patient=patient).select_related("recorded_by").order_by("first_day", "pk")


def guest_row(guest: GuestDosing) -> dict:
    return {
        "sending_program": guest.sending_program,
        "sending_contact": guest.sending_contact,
        "dose": f"{guest.get_sending_medication_display()} {guest.sending_dose} mg",
        "last_dose_on": guest.last_dose_on,
        "first_day": guest.first_day,
        "last_day": guest.last_day,
    }


register(
    RecordKind(
        key="guest_dosings",
        title="Guest dosing from another program",
        model="dispensing.GuestDosing",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="moud",
        rows=guests_of,
        columns=(
            ("sending_program", "Sending program"),
            ("sending_contact", "Confirmed with"),
            ("dose", "Sending order"),
            ("last_dose_on", "Last dose there"),
            ("first_day", "First day here"),
            ("last_day", "Last day here"),
        ),
        render=guest_row,
        not_in_fhir=NOT_IN_FHIR,
        not_on_chart=NOT_ON_CHART,
        not_seeded=NOT_SEEDED,
        position=25,
    )
)


def replacements_of(patient, user):
    return ReplacementDose.objects.filter(patient=patient).select_related("given_by", "second_signer").order_by("at")


def replacement_row(replacement: ReplacementDose) -> dict:
    return {
        "reason": replacement.get_reason_display(),
        "note": replacement.note,
        "amount": f"{replacement.amount} mg",
        "given_by": str(replacement.given_by),
        "second_signer": str(replacement.second_signer or ""),
        "at": replacement.at,
    }


register(
    RecordKind(
        key="replacement_doses",
        title="Replacement doses (spilled or lost take-home)",
        model="dispensing.ReplacementDose",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="moud",
        rows=replacements_of,
        columns=(
            ("reason", "Reason"),
            ("note", "What happened"),
            ("amount", "Dose"),
            ("given_by", "Given by"),
            ("second_signer", "Second signer"),
            ("at", "Given"),
        ),
        render=replacement_row,
        fhir_kinds=("replacement-dose",),
        not_on_chart=NOT_ON_CHART,
        not_seeded=NOT_SEEDED,
        position=26,
    )
)


def call_backs_of(patient, user):
    return CallBack.objects.filter(patient=patient).select_related("recorded_by").order_by("due_on", "pk")


def call_back_row(call_back: CallBack) -> dict:
    result = ""
    if call_back.recorded_at is not None:
        result = "brought back" if call_back.brought_back else "not brought back"
    return {
        "due_on": call_back.due_on,
        "bottles": ", ".join(call_back.bottles_out),
        "result": result,
        "note": call_back.note,
    }


register(
    RecordKind(
        key="call_backs",
        title="Take-home call-backs",
        model="dispensing.CallBack",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="moud",
        rows=call_backs_of,
        columns=(("due_on", "Day"), ("bottles", "Bottles"), ("result", "Result"), ("note", "Note")),
        render=call_back_row,
        chart_section="waypoint.dispensing.sections.dispensing_body",
        not_in_fhir=NOT_IN_FHIR,
        not_seeded=NOT_SEEDED,
        position=27,
    )
)


def educations_of(patient, user):
    return SafeStorageEducation.objects.filter(patient=patient).select_related("given_by").order_by("at", "pk")


def education_row(education: SafeStorageEducation) -> dict:
    return {"at": education.at, "given_by": str(education.given_by), "note": education.note}


register(
    RecordKind(
        key="safe_storage_educations",
        title="Safe-storage education for take-home doses",
        model="dispensing.SafeStorageEducation",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="moud",
        rows=educations_of,
        columns=(("at", "Given"), ("given_by", "By"), ("note", "What was taught")),
        render=education_row,
        chart_section="waypoint.dispensing.sections.dispensing_body",
        not_in_fhir=NOT_IN_FHIR,
        not_seeded=NOT_SEEDED,
        position=28,
    )
)
not_a_record(
    "dispensing.PatientPhoto",
    "the identity photo shown at the dosing window only (not clinical content; never disclosed or exported)",
)
