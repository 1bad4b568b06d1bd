"""A patient with a record of every kind the FHIR facade emits, at fixed times (for the golden files), and a
registered external system."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from conftest import continuing_care_plan, make_user, naloxone_and_education
from waypoint.accounts.models import Membership, User
from waypoint.accounts.roles import Role
from waypoint.comfort.models import ComfortOrder, Dose
from waypoint.drug_screens import services as drug_screens
from waypoint.drug_screens.models import DrugScreen
from waypoint.fhir.models import ExternalClient
from waypoint.medication import services as medication
from waypoint.medication.models import Administration, MedicationOrder
from waypoint.patients import services
from waypoint.patients.allergy_models import Allergy
from waypoint.patients.models import LevelOfCareStay, Patient
from waypoint.privacy.models import Consent
from waypoint.privacy.services import record_consent
from waypoint.scales import INSTRUMENTS
from waypoint.screening import services as screening
from waypoint.screening.models import Screen
from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS
from waypoint.treatment import services as treatment
from waypoint.treatment.demo import RESIDENTIAL
from waypoint.treatment.models import TreatmentPlan
from waypoint.withdrawal import services as withdrawal
from waypoint.withdrawal.models import Assessment

RECIPIENT = "Riverside Primary Care"
ADMITTED = datetime(2026, 1, 10, 14, 0, tzinfo=UTC)
RECORDED = datetime(2026, 1, 12, 9, 30, tzinfo=UTC)
VITALS = {
    "pulse_bpm": 96,
    "systolic_mmhg": 138,
    "diastolic_mmhg": 88,
    "respiratory_rate": 18,
    "temperature_c": "37.2",
    "spo2_percent": 97,
}


def lowest(instrument):
    return {item.key: item.scores[1] if len(item.scores) > 1 else item.scores[0] for item in instrument.items}


def treatment_plans(patient, nurse):
    """Version 1 signed and acknowledged, superseded by a signed version 2; version 3 a draft amendment."""
    director = make_user("fhir-director", patient.program, Role.DIRECTOR)
    template = treatment.save_template(
        acting_user=director, program=patient.program, name="Residential", level_codes=["3.5"], body=RESIDENTIAL
    )
    plan = treatment.start_plan(acting_user=nurse, patient=patient, template=template, responsible=nurse.pk)
    body = plan.body
    body["problems"][0]["goals"][0]["text"] = "Stop waking up sick every morning"
    body["problems"][1]["goals"][0]["text"] = "Never use alone again"
    body["problems"][0]["screen_findings"] = list(treatment.present_findings(patient))[:1]
    plan = treatment.save_draft(acting_user=nurse, plan=plan, body=body, revision=plan.revision)
    plan = treatment.sign_plan(acting_user=nurse, plan=plan, revision=plan.revision)
    treatment.acknowledge_plan(
        acting_user=nurse, plan=plan, attested=True, patient_name=f"{patient.given_name} {patient.family_name}"
    )
    second = treatment.amend_plan(acting_user=nurse, plan=plan, version=1, reason="added family therapy")
    body = second.body
    body["problems"][1]["interventions"].append(
        {"modality": "family_therapy", "frequency": "weekly", "responsible": nurse.pk}
    )
    second = treatment.save_draft(acting_user=nurse, plan=second, body=body, revision=second.revision)
    second = treatment.sign_plan(acting_user=nurse, plan=second, revision=second.revision)
    treatment.amend_plan(acting_user=nurse, plan=second, version=2, reason="level of care changed")


def comfort_medications(patient, nurse, start=ADMITTED + timedelta(hours=1)):
    """A comfort-medication order set under a signed protocol (test values, not clinical guidance): loperamide
    narrowed to 6 mg a day; a dose given with its follow-up, one held, one entered in error."""
    from waypoint.comfort import services as comfort

    prescriber = User.objects.get(username="fhir-prescriber")
    protocol = comfort.sign_protocol(
        acting_user=prescriber, program=patient.program, title="Test protocol",
        entries=[{"symptom": "diarrhea", "drug": "loperamide", "route": "oral", "dose_min_mg": "2",
                  "dose_max_mg": "4", "min_interval_minutes": 120, "max_24h_mg": "8", "follow_up_minutes": 60}],
    )  # fmt: skip
    entry = protocol.entries.get()
    order = comfort.activate_order(
        acting_user=prescriber, patient=patient, entries={entry.pk: {"max_24h_mg": "6"}}, start_at=start
    )
    line = order.lines.select_related("entry", "order").get()
    given = comfort.give_dose(
        acting_user=nurse, patient=patient, line=line, at=start + timedelta(hours=2), dose="2", note="loose stools x3"
    )
    comfort.record_follow_up(acting_user=nurse, dose=given, outcome="eased", at=start + timedelta(hours=3))
    comfort.give_dose(
        acting_user=nurse, patient=patient, line=line, at=start + timedelta(hours=5), status="held",
        reason="no loose stool since the last dose",
    )  # fmt: skip
    wrong = comfort.give_dose(acting_user=nurse, patient=patient, line=line, at=start + timedelta(hours=7), dose="2")
    comfort.mark_entered_in_error(acting_user=nurse, dose=wrong, reason="charted on the wrong patient")


def allergies(patient, nurse):
    """Drug allergies: "no known drug allergies" at first, replaced by a drug allergy with its reaction; a class of
    drugs with a severity but no described reaction; one entry marked entered in error."""
    from waypoint.patients import allergies as allergy_services

    allergy_services.record_allergy(acting_user=nurse, patient=patient, kind="none_known")
    allergy_services.record_allergy(
        acting_user=nurse, patient=patient, kind="drug", substance="Penicillin", reaction="hives", severity="moderate"
    )
    allergy_services.record_allergy(
        acting_user=nurse, patient=patient, kind="drug_class", substance="Sulfonamides", severity="severe"
    )
    wrong = allergy_services.record_allergy(
        acting_user=nurse, patient=patient, kind="drug", substance="Codeine", reaction="nausea", severity="unknown"
    )
    allergy_services.mark_allergy_in_error(acting_user=nurse, allergy=wrong, reason="another patient's allergy")


def moud(patient, nurse, start=ADMITTED + timedelta(hours=1), cows_override_reason=""):
    """A buprenorphine-naloxone order, stopped; a dose given, one held, one recorded in error; two urine drug
    screens, one with an expected and an unexpected positive, one entered in error. The induction dose needs a
    COWS recorded before it, or the reason it was given without one."""
    prescriber = make_user("fhir-prescriber", patient.program, Role.PRESCRIBER, patient.care_team)
    order = medication.order_medication(
        acting_user=prescriber,
        patient=patient,
        medication="buprenorphine_naloxone",
        dose="8",
        route="sublingual",
        times_per_day=1,
        start_at=start,
        phase="induction",
        instructions="Hold if sedated.",
    )
    medication.record_administration(
        acting_user=nurse,
        patient=patient,
        order=order,
        status="given",
        at=start + timedelta(hours=1),
        dose="8",
        note="COWS 9 before the dose",
        cows_override_reason=cows_override_reason,
    )
    medication.record_administration(
        acting_user=nurse,
        patient=patient,
        order=order,
        status="held",
        at=start + timedelta(hours=12),
        reason="sedated at the morning check",
    )
    wrong = medication.record_administration(
        acting_user=nurse, patient=patient, order=order, status="missed", at=start + timedelta(hours=18)
    )
    medication.mark_administration_in_error(acting_user=nurse, administration=wrong, reason="wrong day")
    medication.stop_order(
        acting_user=prescriber, order=order, stop_at=start + timedelta(hours=20), reason="switched to methadone"
    )
    drug_screens.record_screen(
        acting_user=nurse,
        patient=patient,
        collected_at=start + timedelta(hours=13),
        observed=True,
        note="temperature in range",
        results={"buprenorphine": "positive", "fentanyl": "positive", "methadone": "negative", "cocaine": "negative"},
    )
    wrong = drug_screens.record_screen(
        acting_user=nurse,
        patient=patient,
        collected_at=start + timedelta(hours=16),
        observed=False,
        results={"opiates": "negative"},
    )
    drug_screens.mark_screen_in_error(acting_user=nurse, screen=wrong, reason="another patient's specimen")


def dosing_window(patient, nurse):
    """At the OTP window (after the buprenorphine order stopped): a methadone dose observed then spilled and
    replaced, safe-storage education, a one-day take-home decision and its bottle, returned empty."""
    from waypoint.dispensing import services as dispensing

    prescriber = User.objects.get(username="fhir-prescriber")
    second = make_user("fhir-nurse2", patient.program, Role.NURSE, patient.care_team)
    medication.order_medication(
        acting_user=prescriber,
        patient=patient,
        medication="methadone",
        dose="60",
        route="oral",
        times_per_day=1,
        start_at=RECORDED - timedelta(hours=2),
    )
    lot = dispensing.receive_stock(
        acting_user=nurse,
        program=patient.program,
        medication_code="methadone",
        strength="10 mg/mL",
        lot_number="M-100",
        quantity_mg="5000",
    ).lot
    stock(nurse, second, lot)
    dispensing.dispense(acting_user=nurse, patient=patient, amount="60", lot=lot, at=RECORDED - timedelta(hours=1))
    dispensing.replace_dose(
        acting_user=nurse,
        patient=patient,
        reason="spill",
        note="Cup knocked over at the window",
        amount="60",
        lot=lot,
        second_signer=second,
    )
    dispensing.record_safe_storage(acting_user=nurse, patient=patient, note="Lock box")
    dispensing.sign_take_home_decision(
        acting_user=prescriber,
        patient=patient,
        days=1,
        criteria=dict.fromkeys(dispensing.CRITERIA, True),
        basis="Closed day",
    )
    [bottle] = dispensing.issue_bottles(
        acting_user=nurse, patient=patient, days=[patient.program.today() + timedelta(days=1)], lot=lot
    )
    dispensing.return_bottle(acting_user=nurse, bottle=bottle, empty=True)
    type(bottle).objects.filter(pk=bottle.pk).update(code="B0000000001")  # the code is random: fixed for the golden


def stock(nurse, second, lot):
    """The program's stock, naming no patient: a witnessed waste, a transfer out, and a blind count that found
    10 mg short, investigated and signed off by the director."""
    from waypoint.dispensing import services as dispensing

    type(lot).objects.filter(pk=lot.pk).update(expires_on=date(2027, 6, 30))
    lot.refresh_from_db()
    dispensing.record_outflow(
        acting_user=nurse, lot=lot, kind="waste", quantity_mg="12.5", witness=second, note="Dropped cup, wasted"
    )
    dispensing.record_outflow(
        acting_user=nurse, lot=lot, kind="transfer", quantity_mg="1000", note="To the north clinic"
    )
    count = dispensing.record_count(
        acting_user=nurse,
        lot=lot,
        counted_mg="3977.5",
        second_counter=second,
        investigation_note="Recounted: one 10 mg dose poured and not recorded",
    )
    director = User.objects.get(username="fhir-director")
    dispensing.sign_off_count(acting_user=director, count=count)


def after_discharge(patient, nurse, episode):
    """Discharged two hours before RECORDED with a continuing-care plan (appointment, MOUD continuity); for the
    day-7 follow-up, an unanswered call, then a call that reached the patient early and learned of a return to
    use and a non-fatal overdose (naloxone given by a friend)."""
    from waypoint.aftercare import services as aftercare
    from waypoint.aftercare.models import ContinuingCarePlan

    discharged_at = RECORDED - timedelta(hours=2)
    episode = services.discharge(
        acting_user=nurse,
        episode=episode,
        discharged_at=discharged_at,
        reason="completed",
        plan=continuing_care_plan(
            appointment_at=datetime(2026, 1, 14, 15, 0, tzinfo=UTC),
            appointment_place="Harbor outpatient clinic, 12 Pier Street",
            no_appointment_reason="",
            moud_continued_by="Harbor outpatient clinic",
            moud_next_due="2026-01-13",
            moud_supplied_through="2026-01-12",
            no_moud_reason="",
        ),
    )
    day_7 = ContinuingCarePlan.objects.get(episode=episode).follow_ups.get(days_after=7)
    aftercare.record_contact(nurse, day_7, at=RECORDED - timedelta(hours=1), method="phone", reached=False)
    aftercare.record_contact(
        nurse,
        day_7,
        at=RECORDED - timedelta(minutes=30),
        method="phone",
        reached=True,
        attended_next="unknown",
        moud_continued="yes",
        used_since="yes",
        substance="fentanyl",
        used_on=date(2026, 1, 12),
        overdose="non_fatal",
        naloxone_used="yes",
        naloxone_by="a friend",
        readmitted="no",
        wants_to_come_back="unknown",
    )
    return episode


def build_record(patient, nurse, *, discharge=True):
    """Admitted to 3.7-WM, stepped down to 3.5; every instrument scored (COWS with every vital sign, one COWS
    amended, one entered in error); a complication screen with two findings; a consent; treatment plans in three
    versions; a MOUD order with doses and drug screens. Times are fixed and the record is built with the clock
    stopped at RECORDED, so what services derive from "today" (a plan's goal due dates) is the same on any day
    the suite runs; the times rows stamp themselves with are set to RECORDED afterwards as well."""
    with time_machine.travel(RECORDED, tick=False):
        return _build_record(patient, nurse, discharge)


def _build_record(patient, nurse, discharge=True):
    Patient.objects.filter(pk=patient.pk).update(
        phone="555-0100",
        address_line="1 Harbor Way",
        city="Portland",
        state="ME",
        postal_code="04101",
        preferred_name="Mia",
        emergency_contact_name="Ana Rivera",
        emergency_contact_relationship="sister",
        emergency_contact_phone="555-0101",
    )
    patient.refresh_from_db()
    episode = services.admit(acting_user=nurse, patient=patient, admitted_at=ADMITTED, level_code="3.7-WM")
    naloxone_and_education(patient, nurse, ADMITTED + timedelta(hours=1))
    reason = "entered from the paper flowsheet"
    made = {}
    for n, (code, instrument) in enumerate(INSTRUMENTS.items()):
        vitals = VITALS if code == "cows" else None
        responses = lowest(instrument)
        if vitals:
            responses.pop("resting_pulse")
        made[code] = withdrawal.record_assessment(
            acting_user=nurse,
            patient=patient,
            instrument=code,
            responses=responses,
            vitals=vitals,
            taken_at=ADMITTED + timedelta(hours=2 + n),
            note="tolerating fluids" if code == "cows" else "",
            late_entry_reason=reason,
        )
    cows = made["cows"]
    amended = withdrawal.amend_assessment(
        acting_user=nurse,
        assessment=cows,
        responses=lowest(INSTRUMENTS["cows"]) | {"gooseflesh": 3},
        vitals=VITALS,
        reason="gooseflesh rescored",
    )
    wrong = withdrawal.record_assessment(
        acting_user=nurse,
        patient=patient,
        instrument="craving-nrs",
        responses={"craving": 7},
        taken_at=ADMITTED + timedelta(hours=8),
        late_entry_reason=reason,
    )
    withdrawal.mark_entered_in_error(acting_user=nurse, assessment=wrong, reason="wrong patient")
    answers = dict.fromkeys(HEROIN_COMPLICATIONS.keys, "absent")
    answers["injection_site_infection"] = {"status": "present", "since": "2025-12-20", "note": "left forearm"}
    answers["loss_of_consciousness"] = "present"
    screening.record_screen(acting_user=nurse, patient=patient, answers=answers, taken_at=ADMITTED + timedelta(hours=3))
    services.transfer(
        acting_user=nurse,
        episode=episode,
        at=ADMITTED + timedelta(days=1),
        level_code="3.5",
        reason="withdrawal resolved",
    )
    consent = record_consent(
        acting_user=nurse,
        patient=patient,
        disclosing_party="Harbor Recovery",
        information=["all_sud_records"],
        information_description="all treatment records",
        recipients=[RECIPIENT],
        purposes=["treatment"],
        expiry="none",
        signed_by="Maria Rivera",
        signed_on=date(2026, 1, 11),
        right_to_revoke_explained=True,
    )
    treatment_plans(patient, nurse)
    moud(patient, nurse)
    comfort_medications(patient, nurse)
    allergies(patient, nurse)
    dosing_window(patient, nurse)
    if discharge:  # the continuing-care plan and the follow-up contacts (a caller may add records first)
        episode = after_discharge(patient, nurse, episode)
    for model, names in (
        (ComfortOrder, ["recorded_at"]),
        (Allergy, ["recorded_at"]),
        (Dose, ["recorded_at"]),
        (Patient, ["updated_at"]),
        (Assessment, ["recorded_at"]),
        (Screen, ["recorded_at"]),
        (Consent, ["recorded_at"]),
        (TreatmentPlan, ["created_at", "updated_at"]),
        (MedicationOrder, ["recorded_at", "updated_at"]),
        (Administration, ["recorded_at"]),
        (DrugScreen, ["recorded_at"]),
    ):
        model.objects.filter(**({"pk": patient.pk} if model is Patient else {"patient": patient})).update(
            **dict.fromkeys(names, RECORDED)
        )
    Assessment.objects.filter(patient=patient, status_changed_at__isnull=False).update(status_changed_at=RECORDED)
    for model, name in (
        (TreatmentPlan, "clinician_signed_at"),
        (TreatmentPlan, "patient_signed_at"),
        (TreatmentPlan, "superseded_at"),
        (Administration, "status_changed_at"),
        (Dose, "status_changed_at"),
        (Allergy, "status_changed_at"),
        (DrugScreen, "status_changed_at"),
    ):
        model.objects.filter(patient=patient, **{f"{name}__isnull": False}).update(**{name: RECORDED})
    episode.refresh_from_db()
    return {
        "episode": episode,
        "amended": amended,
        "consent": consent,
        "patient": patient,
        "stays": list(LevelOfCareStay.objects.filter(episode=episode)),
    }


@pytest.fixture
def record(patient, nurse):
    return build_record(patient, nurse)


def register_external(program, username="riverside-hie", recipient=RECIPIENT, purpose="treatment"):
    user = User.objects.create_user(username=username, password=None)
    Membership.objects.create(user=user, program=program, role=Role.EXTERNAL_SYSTEM)
    ExternalClient.objects.create(program=program, user=user, recipient=recipient, purpose=purpose)
    return user


@pytest.fixture
def external(program):
    return register_external(program)
