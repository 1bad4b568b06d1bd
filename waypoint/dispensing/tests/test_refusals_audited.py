"""Every refusal at the dosing window is audited once (outcome denied, the rule named, never a password) and saves
nothing: holds, the calendar, receipts, call-backs scheduled and recorded, a scanned bottle id refused, a wrong
witness, second-counter or second-signer password, a refused photo, and a refusal raised inside a change's own
transaction (here the medication app's dose ceiling under a guest's order)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from waypoint.accounts import program_settings
from waypoint.dispensing import services
from waypoint.dispensing.models import (
    CallBack,
    ClosedDay,
    GuestDosing,
    Hold,
    LedgerEntry,
    PatientPhoto,
    ReplacementDose,
    StockCount,
    TakeHomeBottle,
)
from waypoint.medication.models import MedicationOrder
from waypoint.patients.access import visible_patients
from waypoint.privacy.models import AuditEvent

from .conftest import MORNING

TODAY = MORNING.date()
WRONG = "not-the-password-7431"


def refusal(action, rule):
    """The one audit event of the refusal: outcome denied, the rule named."""
    [event] = AuditEvent.objects.filter(action=action, outcome=AuditEvent.Outcome.DENIED)
    assert event.detail["rule"] == rule, event.detail
    return event


def out_bottles(nurse, prescriber, patient, lot, days=2):
    services.sign_take_home_decision(
        acting_user=prescriber, patient=patient, days=days, criteria=dict.fromkeys(services.CRITERIA, True), basis="ok"
    )
    return services.issue_bottles(
        acting_user=nurse, patient=patient, days=[TODAY + timedelta(days=n) for n in range(1, days + 1)], lot=lot
    )


def test_a_refused_hold_closed_day_and_receipt_are_audited_and_save_nothing(clock, nurse, program, patient, api):
    held = api(nurse).post(
        reverse("dispensing-api:holds", args=[patient.pk]), {"kind": "clinical", "reason": " "}, format="json"
    )
    assert held.status_code == 400 and "reason" in held.json() and not Hold.objects.exists()
    assert refusal("dispensing.hold.set", "reason").patient_id == patient.pk
    with pytest.raises(ValidationError, match="today or later"):
        services.add_closed_day(
            acting_user=nurse, program=program, day=TODAY - timedelta(days=1), kind="holiday", name="Past"
        )
    assert refusal("dispensing.calendar.closed_day", "day").program_id == program.pk
    assert not ClosedDay.objects.exists()
    with pytest.raises(ValidationError, match="lot number"):
        services.receive_stock(
            acting_user=nurse,
            program=program,
            medication_code="methadone",
            strength="10 mg/mL",
            lot_number=" ",
            quantity_mg="100",
        )
    refusal("dispensing.ledger.receipt", "lot_number")
    assert not LedgerEntry.objects.exists()


def test_call_backs_refused_when_scheduled_or_recorded_are_audited_and_save_nothing(
    clock, nurse, prescriber, program, patient, order, lot, educated, api
):
    client = api(nurse)
    url = reverse("dispensing-api:patient-call-backs", args=[patient.pk])
    none_out = client.post(url, {"due_on": TODAY.isoformat()}, format="json")
    assert none_out.status_code == 400 and not CallBack.objects.exists()
    assert refusal("dispensing.call_back.schedule", "due_on").patient_id == patient.pk
    with pytest.raises(ValidationError):
        services.schedule_random_call_backs(
            acting_user=nurse, program=program, patients=visible_patients(nurse, program), due_on=TODAY, count=0
        )
    events = AuditEvent.objects.filter(action="dispensing.call_back.schedule", outcome=AuditEvent.Outcome.DENIED)
    assert [e.detail["rule"] for e in events.order_by("id")] == ["due_on", "count"]
    assert events.order_by("id").last().program_id == program.pk and not CallBack.objects.exists()
    out_bottles(nurse, prescriber, patient, lot)
    call_back = services.schedule_call_back(acting_user=nurse, patient=patient, due_on=TODAY)
    result = reverse("dispensing-api:call-back-result", args=[patient.pk, call_back.pk])
    unexplained = client.post(result, {"brought_back": False}, format="json")
    assert unexplained.status_code == 400 and "note" in unexplained.json()
    assert refusal("dispensing.call_back.record", "note").patient_id == patient.pk
    call_back.refresh_from_db()
    assert call_back.recorded_at is None  # the lock's transaction rolled back; the refusal's event kept


def test_a_scanned_bottle_id_that_is_refused_is_audited_and_nothing_is_checked_in(
    clock, nurse, prescriber, north_nurse, patient, order, lot, educated, page, api
):
    bottle = out_bottles(nurse, prescriber, patient, lot)[0]
    scan = reverse("dispensing:bottle-scan")
    unknown = page(nurse).post(scan, {"code": "NOPE123", "empty": "yes"})
    assert unknown.status_code == 400 and "No take-home bottle NOPE123" in unknown.content.decode()
    assert refusal("dispensing.bottle.return", "code").actor_id == nurse.pk
    elsewhere = api(north_nurse).post(
        reverse("dispensing-api:bottle-return"), {"code": bottle.code, "empty": True}, format="json"
    )
    assert elsewhere.status_code == 400 and "code" in elsewhere.json()  # another program's bottle: as none
    theirs = AuditEvent.objects.filter(action="dispensing.bottle.return", actor_id=north_nurse.pk).get()
    assert theirs.outcome == AuditEvent.Outcome.DENIED and theirs.program_id == north_nurse.memberships.get().program_id
    assert not TakeHomeBottle.objects.filter(returned_at__isnull=False).exists()
    services.return_bottle(acting_user=nurse, bottle=bottle, empty=True)
    again = page(nurse).post(scan, {"code": bottle.code, "empty": "yes"})
    assert again.status_code == 400 and "already checked in" in again.content.decode()
    [twice] = AuditEvent.objects.filter(
        action="dispensing.bottle.return", outcome=AuditEvent.Outcome.DENIED, detail__rule="bottle"
    )
    assert twice.patient_id == patient.pk


def test_a_wrong_witness_password_for_a_waste_is_audited_without_the_password(
    clock, nurse, second_nurse, program, lot, page
):
    waste = {
        "action": "outflow",
        "out-lot": lot.pk,
        "out-kind": "waste",
        "out-quantity_mg": "2.5",
        "out-note": "dropped",
        "out-witness_username": "nurse2",
        "out-witness_password": WRONG,
    }
    response = page(nurse).post(reverse("dispensing:ledger-entry"), waste)
    assert response.status_code == 400 and "witness&#x27;s user name or password is wrong" in response.content.decode()
    event = refusal("dispensing.ledger.outflow", "witness_password")
    assert WRONG not in str(event.detail) and event.program_id == program.pk
    assert not LedgerEntry.objects.filter(kind="waste").exists() and services.balance(lot) == Decimal("10000")


def test_a_wrong_second_signer_password_for_a_replacement_is_audited_without_the_password(
    clock, nurse, second_nurse, patient, order, lot, page
):
    services.dispense(acting_user=nurse, patient=patient, amount="60", lot=lot)
    form = {"reason": "spill", "note": "spilled", "amount": "60", "lot": lot.pk, "second_username": "nurse2"}
    response = page(nurse).post(
        reverse("dispensing:replacement-new", args=[patient.pk]), form | {"second_password": WRONG}
    )
    assert response.status_code == 400 and not ReplacementDose.objects.exists()
    event = refusal("dispensing.replacement", "second_password")
    assert WRONG not in str(event.detail) and event.patient_id == patient.pk


def test_a_wrong_second_counter_password_is_audited_on_the_page_and_in_the_api(
    clock, nurse, second_nurse, program, lot, page, api
):
    count = {"lot": lot.pk, "counted_mg": "10000", "second_username": "nurse2", "second_password": WRONG}
    response = page(nurse).post(reverse("dispensing:count"), count)
    assert (
        response.status_code == 400
        and "second counter&#x27;s user name or password is wrong" in response.content.decode()
    )
    event = refusal("dispensing.count", "second_password")
    assert WRONG not in str(event.detail) and event.object_id == str(lot.pk)
    by_api = api(nurse).post(reverse("dispensing-api:counts"), count, format="json")
    assert by_api.status_code == 400 and "second_counter" in by_api.json()
    [from_api] = AuditEvent.objects.filter(action="dispensing.count", detail__rule="second_counter")
    assert WRONG not in str(from_api.detail) and not StockCount.objects.exists()


def test_a_refused_count_sign_off_and_api_outflow_are_audited(clock, nurse, second_nurse, director, program, lot, api):
    count = services.record_count(
        acting_user=nurse, lot=lot, counted_mg="9990", second_counter=second_nurse, investigation_note="short 10 mg"
    )
    services.sign_off_count(acting_user=director, count=count)
    again = api(director).post(reverse("dispensing-api:count-sign-off", args=[count.pk]), {}, format="json")
    assert again.status_code == 400 and refusal("dispensing.count.sign_off", "count").object_id == str(count.pk)
    no_lot = api(nurse).post(
        reverse("dispensing-api:ledger"), {"kind": "adjustment", "quantity_mg": "1", "note": "x"}, format="json"
    )
    assert no_lot.status_code == 400 and refusal("dispensing.ledger.outflow", "lot").program_id == program.pk
    assert not LedgerEntry.objects.filter(kind="adjustment").exists()


def test_an_unknown_bottle_for_a_replacement_in_the_api_is_audited(clock, nurse, patient, order, lot, api):
    body = {"reason": "lost_take_home", "note": "lost", "amount": "60", "lot": lot.pk, "bottle": "NOPE123"}
    response = api(nurse).post(reverse("dispensing-api:replacements", args=[patient.pk]), body, format="json")
    assert response.status_code == 400 and "bottle" in response.json() and not ReplacementDose.objects.exists()
    assert refusal("dispensing.replacement", "bottle").patient_id == patient.pk


def test_a_refused_photo_is_audited_and_not_kept(clock, nurse, patient, page):
    gif = SimpleUploadedFile("me.gif", b"GIF89a", content_type="image/gif")
    response = page(nurse).post(reverse("dispensing:photo-new", args=[patient.pk]), {"photo": gif})
    assert response.status_code == 400 and not PatientPhoto.objects.exists()
    assert refusal("dispensing.photo.create", "photo").patient_id == patient.pk


def test_a_refusal_raised_inside_the_change_is_audited_once_and_rolls_it_back(
    clock, director, prescriber, program, patient
):
    program_settings.change(program, "medication.max_dose_mg.methadone", "50", acting_user=director)
    with pytest.raises(ValidationError):
        services.accept_guest(
            acting_user=prescriber,
            patient=patient,
            sending_program="Bay OTP",
            sending_contact="Kim",
            medication_code="methadone",
            dose="60",
            last_dose_on=TODAY - timedelta(days=1),
            first_day=TODAY,
            last_day=TODAY + timedelta(days=2),
        )
    assert AuditEvent.objects.filter(action="dispensing.guest", outcome=AuditEvent.Outcome.DENIED).count() == 1
    assert not GuestDosing.objects.exists() and not MedicationOrder.objects.filter(patient=patient).exists()


def test_a_refusal_the_checks_name_is_audited_once_not_again_on_its_way_out(clock, nurse, patient, lot):
    with pytest.raises(ValidationError, match="No active MOUD order"):
        services.dispense(acting_user=nurse, patient=patient, amount="60", lot=lot)
    assert refusal("dispensing.dose", "order").patient_id == patient.pk


def test_a_refused_search_report_day_or_ledger_lot_is_audited_and_reads_nothing(
    clock, nurse, program, patient, order, lot, page, api
):
    too_long = page(nurse).get(reverse("dispensing:queue"), {"q": "x" * 101})
    assert too_long.status_code == 400 and "Dose Maria Rivera" not in too_long.content.decode()
    assert refusal("dispensing.queue.read", "q").program_id == program.pk
    assert not AuditEvent.objects.filter(action="dispensing.queue.read", outcome=AuditEvent.Outcome.SUCCESS).exists()
    bad_day = page(nurse).get(reverse("dispensing:reports"), {"report": "daily", "day": "yesterday"})
    assert bad_day.status_code == 400 and refusal("dispensing.report.daily", "day").program_id == program.pk
    bad_lot = api(nurse).get(reverse("dispensing-api:ledger"), {"lot": "A123"})
    assert bad_lot.status_code == 400 and refusal("dispensing.ledger.read", "lot").program_id == program.pk
