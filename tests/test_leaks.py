"""Cross-patient and cross-program leaks: no list a user reads, page or API, shows another team's or another
program's patient.

Three patients with the same kinds of records: Rivera (the care-team nurse's patient, Harbor), Whitlock
(Harbor, another care team) and Okonkwo (North Ridge). Each patient's records carry the patient's own marker in
their free text, so a leaked row shows up even where names are not printed. Every URL pattern of the project
is either in LISTS (read by the personas, searched for the other patients' MRNs, names and markers, with a
check that the reader's own patient is really there) or in NOT_LISTS with the reason: a new endpoint fails
`test_every_url_pattern_is_classified` until it is covered here.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_user, naloxone_and_education, patient_fields
from tests.conftest import COWS
from tests.test_permission_matrix import PUBLIC, url_names
from waypoint.accounts.models import CareTeam
from waypoint.accounts.roles import Role
from waypoint.patients import allergies
from waypoint.patients import services as patients
from waypoint.placements.referrals import create_referral
from waypoint.placements.services import record_placement
from waypoint.privacy import services as privacy
from waypoint.screening import services as screening
from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS
from waypoint.withdrawal import services as withdrawal


@dataclass
class Someone:
    patient: object
    markers: tuple  # strings that only this patient's data contains


@dataclass
class World:
    rivera: Someone
    whitlock: Someone
    okonkwo: Someone


def aftercare_follow_up(patient, user, episode, marker):
    """A continuing-care plan naming the marker, with a follow-up due today (through the ORM: the episode stays
    open for the other lists)."""
    from waypoint.aftercare.models import ContinuingCarePlan, FollowUp

    plan = ContinuingCarePlan.objects.create(
        program=patient.program,
        patient=patient,
        episode=episode,
        asam_edition=3,
        next_level="1",
        next_provider=f"Clinic {marker}",
        crisis_contacts="911",
        recorded_by=user,
    )
    FollowUp.objects.create(
        program=patient.program,
        patient=patient,
        plan=plan,
        days_after=7,
        due_on=timezone.localdate(timezone=patient.program.tz),
    )


def comfort_dose(patient, user, marker):
    """A loperamide dose under a comfort-medication order, its note naming the marker (through the ORM; test values,
    not clinical guidance)."""
    from decimal import Decimal

    from waypoint.comfort.models import ComfortOrder, Dose, OrderLine, Protocol, ProtocolEntry

    now = timezone.now()
    protocol, _ = Protocol.objects.get_or_create(
        program=patient.program, version=1, defaults={"title": "Test", "signed_by": user}
    )
    entry, _ = ProtocolEntry.objects.get_or_create(
        program=patient.program,
        protocol=protocol,
        symptom="diarrhea",
        drug="loperamide",
        defaults={
            "route": "oral",
            "dose_min_mg": Decimal("2"),
            "dose_max_mg": Decimal("2"),
            "min_interval_minutes": 120,
            "max_24h_mg": Decimal("8"),
            "follow_up_minutes": 60,
        },
    )
    order = ComfortOrder.objects.create(
        program=patient.program, patient=patient, protocol=protocol, start_at=now - timedelta(days=1), prescriber=user
    )
    line = OrderLine.objects.create(program=patient.program, order=order, entry=entry)
    Dose.objects.create(
        program=patient.program,
        patient=patient,
        line=line,
        entry=entry,
        drug="loperamide",
        symptom="diarrhea",
        status="given",
        dose_mg=Decimal("2"),
        at=now - timedelta(hours=1),
        recorded_by=user,
        note=f"comfort {marker}",
    )


def rich_record(patient, user, marker):
    """Everything the lists show, with `marker` in the free text."""
    now = timezone.now()
    episode = patients.admit(
        acting_user=user,
        patient=patient,
        admitted_at=now - timedelta(days=3),
        level_code="3.7-WM",
        reason=f"admitted {marker}",
    )
    naloxone_and_education(patient, user, episode.admitted_at + timedelta(hours=1))
    withdrawal.record_assessment(
        acting_user=user,
        patient=patient,
        instrument="cows",
        responses=COWS,
        taken_at=now - timedelta(hours=1),
        note=f"note {marker}",
    )
    record_placement(
        acting_user=user,
        patient=patient,
        ratings={f"d{n}": 1 for n in range(1, 7)},
        at=now - timedelta(days=2),
        decided_level="3.7-WM",
        reason="other",
        reason_text=f"placed {marker}",
    )
    privacy.record_consent(
        acting_user=user,
        patient=patient,
        disclosing_party=patient.program.name,
        information=["episodes"],
        information_description=f"admissions {marker}",
        recipients=[f"Clinic {marker}"],
        purposes=["treatment"],
        expiry="none",
        signed_by=f"{patient.given_name} {patient.family_name}",
        signed_on=patient.program.today(),
        right_to_revoke_explained=True,
    )
    privacy.disclose(
        acting_user=user, patient=patient, recipient=f"Clinic {marker}", purpose="treatment", information=["episodes"]
    )
    screening.record_history(
        acting_user=user,
        patient=patient,
        uses=[{"substance": "heroin", "routes": ["injection"], "amount": f"bags {marker}"}],
    )
    screening.record_screen(
        acting_user=user,
        patient=patient,
        taken_at=now - timedelta(hours=1),
        answers=dict.fromkeys(HEROIN_COMPLICATIONS.keys, "absent"),
    )
    step_down = "3.5" if patient.program.slug == "harbor" else "1"  # North Ridge offers 3.7-WM and 1
    patients.transfer(
        acting_user=user,
        episode=episode,
        at=now - timedelta(days=1),
        level_code=step_down,
        reason=f"stepped down {marker}",
    )
    patients.transfer(
        acting_user=user,
        episode=episode,
        at=now - timedelta(hours=12),
        level_code="3.7-WM",
        reason=f"back to withdrawal management {marker}",
    )  # on the board; due for a new placement
    screening.record_event(
        acting_user=user,
        patient=patient,
        kind="overdose",
        occurred_at=now - timedelta(days=5),
        place=f"street {marker}",
        outcome="recovered",
        note=f"event {marker}",
    )
    aftercare_follow_up(patient, user, episode, marker)
    comfort_dose(patient, user, marker)
    allergies.record_allergy(
        acting_user=user, patient=patient, kind="drug", substance=f"Drug {marker}", reaction="hives", severity="mild"
    )
    if patient.care_team.name != "Bridge team":  # the waitlist is program-wide: one referral per program
        create_referral(
            acting_user=user,
            program=patient.program,
            name=f"Referral {marker}",
            contact="555-0199",
            source="self",
            received_at=now - timedelta(days=1),
            requested_level="3.5",
        )


def treatment_record(patient, marker):
    """A signed plan, an individual session with attendance and a progress note, a MOUD order with a dose and a
    drug screen, each with `marker` in its free text, by clinicians on the patient's own care team."""
    from decimal import Decimal

    from waypoint.drug_screens import services as drug_screens
    from waypoint.medication import services as medication
    from waypoint.treatment import services as treatment

    program, team = patient.program, patient.care_team
    counselor = make_user(f"counselor-p{patient.pk}", program, Role.COUNSELOR, team)
    prescriber = make_user(f"prescriber-p{patient.pk}", program, Role.PRESCRIBER, team)
    body = {
        "problems": [
            {
                "description": f"problem {marker}",
                "diagnosis": "F11.20",
                "goals": [
                    {
                        "text": f"goal {marker}",
                        "objectives": [{"id": "o1", "text": f"objective {marker}", "target_date": "2027-01-31"}],
                    }
                ],
                "interventions": [
                    {"modality": "relapse_prevention", "frequency": f"daily {marker}", "responsible": counselor.pk}
                ],
            }
        ]
    }
    plan = treatment.start_plan(acting_user=counselor, patient=patient)
    plan = treatment.save_draft(acting_user=counselor, plan=plan, body=body, revision=plan.revision)
    treatment.sign_plan(acting_user=counselor, plan=plan, revision=plan.revision)
    episode = patient.episodes.get(discharged_at__isnull=True)  # a change of level makes the plan due for review
    step_down = "3.5" if program.slug == "harbor" else "1"
    patients.transfer(
        acting_user=counselor, episode=episode, at=timezone.now(), level_code=step_down, reason="stepped down"
    )  # after the signature
    patients.transfer(
        acting_user=counselor,
        episode=episode,
        at=timezone.now(),
        level_code="3.7-WM",
        reason="back to withdrawal management",
    )
    start = timezone.now() - timedelta(hours=2)
    session = treatment.schedule_session(
        acting_user=counselor,
        program=program,
        kind="individual",
        modality="relapse_prevention",
        topic=f"Relapse prevention, one to one {marker}",
        facilitator=counselor,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        patient=patient,
    )
    treatment.mark_attendance(acting_user=counselor, session=session, patient=patient, status="present")
    treatment.write_progress_note(
        acting_user=counselor,
        patient=patient,
        body=f"progress {marker}",
        occurred_at=start + timedelta(minutes=50),
        session=session,
        objective_updates=[{"objective": "o1", "status": "in_progress"}],
    )
    order = medication.order_medication(
        acting_user=prescriber,
        patient=patient,
        medication="buprenorphine",
        dose=Decimal("4"),
        route="sublingual",
        times_per_day=1,
        phase="induction",
        instructions=f"instructions {marker}",
        start_at=timezone.now() - timedelta(hours=3),
    )
    medication.record_administration(
        acting_user=prescriber,
        patient=patient,
        order=order,
        status="given",
        dose="4",
        at=timezone.now() - timedelta(hours=2),
        note=f"dose {marker}",
        cows_override_reason=f"given before the first COWS {marker}",
    )
    drug_screens.record_screen(
        acting_user=prescriber,
        patient=patient,
        collected_at=timezone.now(),
        observed=True,
        results={"fentanyl": "positive"},
        note=f"screen {marker}",
    )


@pytest.fixture
def world(program, team, other_team, nurse, intake, north, north_nurse, privacy_officer, counselor_off_team):
    north_intake = make_user("north-intake", north, Role.INTAKE)
    make_user("north-privacy", north, Role.PRIVACY)
    rivera = patients.register_patient(acting_user=intake, program=program, care_team=team, **patient_fields())
    whitlock = patients.register_patient(
        acting_user=intake,
        program=program,
        care_team=other_team,
        **patient_fields(mrn="W-2002", given_name="Olwen", family_name="Whitlock"),
    )
    north_team = CareTeam.objects.get(program=north)
    okonkwo = patients.register_patient(
        acting_user=north_intake,
        program=north,
        care_team=north_team,
        **patient_fields(mrn="N-7007", given_name="Nadia", family_name="Okonkwo"),
    )
    for patient, marker in ((rivera, "Zephyrine"), (whitlock, "Quillfeather"), (okonkwo, "Marrowdale")):
        rich_record(patient, intake if patient.program == program else north_intake, marker)
        treatment_record(patient, marker)
    privacy.break_the_glass(
        acting_user=counselor_off_team, program=program, mrn="W-1001", reason="Zephyrine collapsed in the hall"
    )
    north_counselor = make_user(
        "north-counselor", north, Role.COUNSELOR, CareTeam.objects.create(program=north, name="North bridge")
    )
    privacy.break_the_glass(
        acting_user=north_counselor, program=north, mrn="N-7007", reason="Marrowdale collapsed in the hall"
    )
    return World(
        Someone(rivera, ("W-1001", "Zephyrine", "Maria Rivera", "Rivera, Maria")),  # not "Rivera" alone:
        # it is the search box's example
        Someone(whitlock, ("W-2002", "Whitlock", "Quillfeather")),
        Someone(okonkwo, ("N-7007", "Okonkwo", "Marrowdale")),
    )


def program_list(name, query=""):
    return lambda own: reverse(name) + query


def patient_list(name):
    return lambda own: reverse(name, args=[own.patient.pk])


def api(path):
    return lambda own: path.format(pk=own.patient.pk)


def plan_url(own, suffix):
    plan = own.patient.treatment_plans.first()
    return f"/api/v1/patients/{own.patient.pk}/plans/{plan.pk if plan else 0}/{suffix}"


def individual_session(own):
    from waypoint.treatment.models import Session

    return Session.objects.get(kind="individual", roster__patient=own.patient)


def individual_session_start(own):
    """When the reader's own patient's individual session starts (now, for a record that has none: the attack
    suite's patients)."""
    from waypoint.treatment.models import Session

    session = Session.objects.filter(kind="individual", roster__patient=own.patient).first()
    return session.starts_at if session else timezone.now()


def schedule_week(own):
    """The schedule page for the week of the reader's own patient's individual session, in the program's time zone
    (the page's weeks are the program's: at 00:40 UTC on a Monday it is still Sunday in New York)."""
    week = timezone.localtime(individual_session_start(own), own.patient.program.tz).date()
    return reverse("treatment:schedule") + f"?week={week.isoformat()}"


def sessions_around(own):
    start = individual_session_start(own) - timedelta(minutes=1)
    return f"/api/v1/sessions/?start={start.strftime('%Y-%m-%dT%H:%M:%SZ')}"


# name -> (how to build the URL for the reader's own patient, is it an API answer)
LISTS = {
    "fhir:search": (api("/fhir/Patient"), True),
    "patients:list": (program_list("patients:list"), False),
    "patients:census": (program_list("patients:census"), False),
    "patients:unassigned": (program_list("patients:unassigned"), False),
    "withdrawal:board": (program_list("withdrawal:board"), False),
    "placements:waitlist": (program_list("placements:waitlist"), False),
    "placements:due": (program_list("placements:due"), False),
    "screening:worklist": (program_list("screening:worklist"), False),
    "aftercare:work-list": (program_list("aftercare:work-list"), False),
    "audit:trail": (program_list("audit:trail"), False),
    "privacy:break-glass-report": (program_list("privacy:break-glass-report"), False),
    "patients:chart": (patient_list("patients:chart"), False),
    "withdrawal:flowsheet": (patient_list("withdrawal:flowsheet"), False),
    "privacy:patient": (patient_list("privacy:patient"), False),
    "privacy:accounting-csv": (patient_list("privacy:accounting-csv"), False),
    "screening:history": (patient_list("screening:history"), False),
    "screening:screen": (patient_list("screening:screen"), False),
    "screening:naloxone": (patient_list("screening:naloxone"), False),
    "screening:events": (patient_list("screening:events"), False),
    "screening:risk": (patient_list("screening:risk"), False),
    "screening:handout": (patient_list("screening:handout"), False),
    "placements:placement": (patient_list("placements:placement"), False),
    "patients-api:patient-list": (api("/api/v1/patients/"), True),
    "patients-api:census": (api("/api/v1/census/"), True),
    "patients-api:episode-list": (api("/api/v1/patients/{pk}/episodes/"), True),
    "withdrawal-api:assessment-list": (api("/api/v1/patients/{pk}/assessments/?status=all"), True),
    "withdrawal-api:board": (api("/api/v1/withdrawal/board/"), True),
    "placements-api:placement-list": (api("/api/v1/patients/{pk}/placements/"), True),
    "placements-api:referral-list": (api("/api/v1/referrals/"), True),
    "screening-api:history": (api("/api/v1/patients/{pk}/history/"), True),
    "screening-api:screens": (api("/api/v1/patients/{pk}/screens/"), True),
    "screening-api:follow-ups": (api("/api/v1/patients/{pk}/follow-ups/"), True),
    "screening-api:naloxone": (api("/api/v1/patients/{pk}/naloxone/"), True),
    "screening-api:events": (api("/api/v1/patients/{pk}/events/"), True),
    "privacy-api:consent-list": (api("/api/v1/patients/{pk}/consents/"), True),
    "treatment-api:plan-list": (api("/api/v1/patients/{pk}/plans/"), True),
    "treatment-api:intervention-list": (lambda own: plan_url(own, "interventions/"), True),
    "treatment-api:progress-note-list": (api("/api/v1/patients/{pk}/progress-notes/"), True),
    "treatment:notes": (patient_list("treatment:notes"), False),
    "treatment:patient-schedule": (patient_list("treatment:patient-schedule"), False),
    "treatment:due": (program_list("treatment:due"), False),
    "medication-api:orders": (api("/api/v1/patients/{pk}/moud-orders/"), True),
    "medication-api:administrations": (api("/api/v1/patients/{pk}/moud-administrations/"), True),
    "medication:page": (patient_list("medication:page"), False),
    "comfort:mar": (patient_list("comfort:mar"), False),
    "patients:allergies": (patient_list("patients:allergies"), False),
    "patients-api:allergy-list": (api("/api/v1/patients/{pk}/allergies/"), True),
    "comfort-api:doses": (api("/api/v1/patients/{pk}/comfort-doses/"), True),
    "dispensing:queue": (program_list("dispensing:queue", "?show=all"), False),  # everyone, dosed or not
    "dispensing-api:queue": (api("/api/v1/dosing/queue/"), True),
    "dispensing:dose": (patient_list("dispensing:dose"), False),
    "dispensing:reports": (program_list("dispensing:reports"), False),
    "dispensing:labels": (patient_list("dispensing:labels"), False),
    "dispensing:take-homes": (patient_list("dispensing:take-homes"), False),
    "drug-screens-api:screens": (api("/api/v1/patients/{pk}/drug-screens/"), True),
    "drug_screens:page": (patient_list("drug_screens:page"), False),
    "patients:progress": (patient_list("patients:progress"), False),
    "privacy-api:disclosure-list": (api("/api/v1/patients/{pk}/disclosures/"), True),
    "treatment:schedule": (schedule_week, False),  # an individual session's topic: its patient's care team only
    "treatment-api:session-list": (sessions_around, True),
}

# Searches: the other patients' MRN and name typed into the search box must find nothing.
SEARCHES = ["patients:list", "patients-api:patient-list", "dispensing:queue"]

NOT_LISTS = {
    "regulatory:texts": "no patient data",
    "regulatory:text-start-tpo": "state change",
    "regulatory:text": "no patient data",
    "regulatory:text-revise": "no patient data",
    "regulatory:review": "program's own: test_the_renewal_list_shows_only_the_readers_program",
    "regulatory:breaches": "no patient data",
    "regulatory:breach-new": "form",
    "regulatory:breach": "program's own: test_another_programs_trail_is_not_on_the_list",
    "regulatory:signed-copy": "one patient's record (matrix: 404 elsewhere)",
    "regulatory:pdmp": "one patient's checks (matrix: 404 elsewhere)",
    "regulatory:pdmp-report": "one patient's PDMP report file (matrix: 404 elsewhere)",
    "regulatory:dual-enrollment": "one patient's form (matrix: 404 elsewhere)",
    "regulatory:registry-reports": "program's own: "
    "test_the_registry_page_lists_reports_sent_and_refused_with_their_accounting_entry",
    "regulatory:registry-report": "program's own (404 elsewhere): "
    "test_the_registry_page_lists_reports_sent_and_refused_with_their_accounting_entry",
    "kiosk-consent:list": "the kiosk's own patient",
    "kiosk-consent:sign": "the kiosk's own patient",
    "kiosk-consent:copy": "the kiosk's own patient and session",
    "outcomes-api:outcomes": "aggregates, no names: test_the_outcome_figures_count_only_the_readers_program",
    "outcomes:csv": "aggregates, no names: test_the_outcome_figures_count_only_the_readers_program",
    "outcomes:dashboard": "aggregates, no names: test_the_outcome_figures_count_only_the_readers_program",
    "drug-screens-api:entered-in-error": "state change",
    "drug_screens:entered-in-error": "state change",
    "aftercare:packet": "one patient's packet (matrix: 404 elsewhere)",
    "aftercare-api:continuing-care": "one patient's plans (matrix: 404 elsewhere)",
    "aftercare-api:contacts": "state change",
    "aftercare:contact": "one follow-up's form (matrix: 404 elsewhere)",
    "aftercare:task": "one task's form (matrix: 404 elsewhere)",
    "aftercare:send": "sends one plan (matrix: 404 elsewhere)",
    "aftercare:sentinel": "one sentinel event's review (matrix: 404 elsewhere)",
    "medication-api:administration-error": "state change",
    "medication-api:order-stop": "state change",
    "medication:administer": "form",
    "comfort:give": "form",
    "comfort:protocol": "the program's protocol: no patient data",
    "comfort:protocol-new": "form",
    "comfort:report": "aggregates, no names: waypoint/comfort/tests/test_report.py (another program sees none of it)",
    "comfort:order-new": "form",
    "patients:allergy-in-error": "state change",
    "patients-api:allergy-in-error": "state change",
    "comfort:follow-up": "state change",
    "comfort-api:follow-up": "state change",
    "dispensing:ledger": "the program's stock: lots and movements, no patient (matrix: other program sees its own)",
    "dispensing:count": "form",
    "dispensing:count-sign-off": "state change",
    "dispensing:count-investigation": "state change",
    "dispensing-api:doses": "state change",
    "dispensing-api:holds": "state change (its list: one patient's holds, matrix: other team/program 404)",
    "dispensing:ledger-entry": "form",
    "dispensing:hold-new": "form",
    "dispensing:hold-lift": "form",
    "dispensing:bottle-return": "form",
    "dispensing:guest-new": "form",
    "dispensing:photo-new": "form",
    "dispensing:photo": "one patient's photo (matrix: 404 elsewhere, 403 without the dispensing permission)",
    "dispensing:photo-small": "one patient's photo, small (matrix: as dispensing:photo)",
    "dispensing:inventory": "the program's stock by lot, no patient",
    "dispensing:call-back-record": "form",
    "dispensing:call-backs": "call-backs of the visible patients only (the queue's scope); empty without bottles out",
    "dispensing:safe-storage": "state change",
    "dispensing:calendar": "the program calendar; its bottle results name only visible patients (the queue's scope)",
    "dispensing:replacement-new": "form",
    "dispensing:bottle-scan": "form (the bottle id is looked up among the visible patients only)",
    "dispensing-api:guests": "one patient's guest dosings or a state change (matrix: other team/program 404)",
    "dispensing-api:replacements": "one patient's replacement doses or a state change (matrix: other team/program 404)",
    "dispensing-api:patient-call-backs": "one patient's call-backs or a state change (matrix: other team/program 404)",
    "dispensing-api:call-back-result": "state change",
    "dispensing-api:call-backs": "call-backs of the visible patients only (the queue's scope), as the page",
    "dispensing-api:calendar": "the program calendar: no patient data",
    "dispensing-api:closed-day-bottles": "state change; its results name only visible patients (the queue's scope)",
    "dispensing-api:bottle-return": "state change (the bottle id is looked up among the visible patients only)",
    "dispensing-api:take-home-decisions": "one patient's decisions or a state change (matrix: other team/program 404)",
    "dispensing-api:take-home-bottles": "one patient's bottles or a state change (matrix: other team/program 404)",
    "dispensing-api:ledger": "the program's stock: lots and movements, no patient (matrix: other program 404)",
    "dispensing-api:counts": "the program's stock counts, no patient (matrix: other program 404)",
    "dispensing-api:count-sign-off": "state change",
    "dispensing-api:count-investigation": "state change",
    "medication:entered-in-error": "state change",
    "medication:order-new": "form",
    "medication:order-stop": "state change",
    "treatment-api:counseling-note-list": "read by the care team's counselors only: "
    "test_counseling_notes_show_only_the_readers_patient",
    "treatment-api:objective-status": "one record or a state change (matrix: other team/program 404)",
    "treatment-api:plan-acknowledge": "one record or a state change (matrix: other team/program 404)",
    "treatment-api:plan-amend": "one record or a state change (matrix: other team/program 404)",
    "treatment-api:plan-detail": "one record or a state change (matrix: other team/program 404)",
    "treatment-api:plan-review": "one record or a state change (matrix: other team/program 404)",
    "treatment-api:plan-sign": "one record or a state change (matrix: other team/program 404)",
    "treatment-api:session-attendance": "one record or a state change (matrix: other team/program 404)",
    "treatment-api:session-detail": "one session: test_an_individual_session_is_read_only_by_its_patients_care_team",
    "treatment-api:session-group-note": "one record or a state change (matrix: other team/program 404)",
    "treatment-api:session-roster": "one record or a state change (matrix: other team/program 404)",
    "treatment-api:template-list": "the program's plan templates: no patient data (matrix: other program 404)",
    "treatment:counseling-notes": "read by the care team's counselors only: "
    "test_counseling_notes_show_only_the_readers_patient",
    "treatment:modalities": "one record or a state change (matrix: other team/program 404)",
    "treatment:plan": "one record or a state change (matrix: other team/program 404)",
    "treatment:plan-acknowledge": "one record or a state change (matrix: other team/program 404)",
    "treatment:plan-amend": "one record or a state change (matrix: other team/program 404)",
    "treatment:plan-review": "one record or a state change (matrix: other team/program 404)",
    "treatment:plan-save-template": "one record or a state change (matrix: other team/program 404)",
    "treatment:plan-sign": "one record or a state change (matrix: other team/program 404)",
    "treatment:plan-version": "one record or a state change (matrix: other team/program 404)",
    "treatment:session": "one session: test_an_individual_session_is_read_only_by_its_patients_care_team",
    "treatment:session-attendance": "one record or a state change (matrix: other team/program 404)",
    "treatment:session-new": "one record or a state change (matrix: other team/program 404)",
    "treatment:session-note": "one record or a state change (matrix: other team/program 404)",
    "treatment:session-roster": "one record or a state change (matrix: other team/program 404)",
    "treatment:templates": "one record or a state change (matrix: other team/program 404)",
    "home": "redirect",
    "switch-program": "state change",
    "two-factor": "own account",
    "two-factor-verify": "own account",
    "two-factor-enrol": "own account",
    "passkey-add": "own account",
    "passkey-remove": "own account (another person's passkey answers 404)",
    "otp_webauthn:credential-registration-begin": "own account: WebAuthn options for the signed-in user",
    "otp_webauthn:credential-registration-complete": "own account",
    "otp_webauthn:credential-authentication-begin": "own account, at the code step",
    "otp_webauthn:credential-authentication-complete": "own account, at the code step",
    "otp_webauthn:js-i18n-catalog": "the passkey script's interface texts, no data",
    "patients:register": "empty form",
    "patients:edit": "one patient's form (matrix: 404 elsewhere)",
    "patients:admit": "one patient's form",
    "patients:transfer": "state change",
    "patients:discharge": "state change",
    "withdrawal:record": "form",
    "withdrawal:amend": "form",
    "withdrawal:entered-in-error": "form",
    "withdrawal:kiosk-open": "state change",
    "withdrawal:ciwa-ar": "state change",
    "privacy:break-glass": "form",
    "privacy:consent-new": "form",
    "privacy:consent-revoke": "form",
    "privacy:disclose": "form; the printed record: test_the_disclosed_record_shows_only_its_patient",
    "placements:rule-table": "no patient data",
    "placements:rule-table-edit": "no patient data",
    "placements:rule-table-version": "no patient data",
    "placements:rule-table-restore": "state change",
    "accounts:settings": "program settings, no patient data",
    "accounts:setting-change": "state change",
    "accounts:session-extend": "state change (the session's idle clock), no patient data",
    "placements:referral-new": "form",
    "placements:referral": "one referral (matrix: other program 404)",
    "placements:referral-admit": "state change",
    "placements:referral-close": "state change",
    "screening:follow-up": "state change",
    "kiosk:start": "one patient's self-report",
    "kiosk:report": "form",
    "kiosk:finish": "state change",
    "patients-api:patient-detail": "one patient (matrix)",
    "patients-api:episode-detail": "one record (matrix)",
    "patients-api:episode-transfer": "state change",
    "patients-api:episode-discharge": "state change",
    "withdrawal-api:assessment-detail": "one record (matrix)",
    "withdrawal-api:amend": "state change",
    "withdrawal-api:entered-in-error": "state change",
    "withdrawal-api:instrument-list": "no patient data",
    "withdrawal-api:instrument-detail": "no patient data",
    "placements-api:rule-table": "no patient data",
    "placements-api:referral-detail": "one referral (matrix)",
    "placements-api:referral-admit": "state change",
    "placements-api:referral-close": "state change",
    "screening-api:follow-up": "state change",
    "screening-api:overdose-risk": "one patient's risk flags, no free text (matrix: 404 elsewhere)",
    "privacy-api:consent-revoke": "state change",
    "fhir-clients:list": "the program's external systems and their public keys: no patient data",
    "fhir-clients:keys": "saves one external system's public keys (a form post): no patient data",
    "fhir-clients-api:keys": "one external system's public keys: no patient data",
    "fhir:read": "one resource (matrix: other team/program 404)",
    "fhir:vread": "one version of one resource, only if the current one may be read (matrix: other team/program 404)",
    "bulk:export": "starts an export: what it writes is leak-tested in waypoint/bulk/tests/test_export.py "
    "(no other program's resource; a care-team nurse exports only her team)",
    "bulk:patient-export": "starts an export (waypoint/bulk/tests/test_export.py, as bulk:export)",
    "bulk:group-export": "starts an export of a Group of the client's own programs (test_groups.py)",
    "bulk:status": "one export job, only to the client that started it (matrix: others 404)",
    "bulk:file": "one export file, only to the client that started it (matrix: others 404)",
    "bulk:group-read": "one Group, no patient data: a program or level with a count (matrix)",
    "bulk:group-search": "Groups of the client's own programs, no patient data (test_groups.py)",
    "work-lists": "counts only, over the patients the reader may see (waypoint/site/tests/test_navigation.py)",
    "regulatory:teds": "the director's report of the reader's own program: another program's patients never appear "
    "(waypoint/regulatory/tests/test_teds.py::test_another_programs_patients_never_appear; matrix: director only)",
    "regulatory:teds-json": "the same records as regulatory:teds, downloaded (test_teds.py, matrix)",
    "regulatory:teds-csv": "the same records as regulatory:teds, downloaded (test_teds.py, matrix)",
}

# Who reads each list, whose patient is theirs, and whose patients they must never see in it.
READERS = {
    "nurse": ("rivera", ("whitlock", "okonkwo")),  # care-team nurse: not the other team, not North
    "north_nurse": ("okonkwo", ("rivera", "whitlock")),
}
OFFICER_READERS = {  # program-wide readers: the other program only
    "privacy_officer": ("rivera", ("okonkwo",)),
    "north-privacy": ("okonkwo", ("rivera", "whitlock")),
}
OFFICER_LISTS = {"audit:trail", "privacy:break-glass-report"}
# Lists that show no patient name, MRN or free text of the reader's own patient either (checked non-empty).
NAMELESS = {
    "screening:risk",
    "screening:naloxone",
    "screening:events",
    "screening-api:naloxone",
    "screening-api:events",
    "screening-api:screens",
    "screening-api:follow-ups",
    "withdrawal:board",
    "withdrawal-api:board",
    "patients-api:census",
    "patients:census",
    "patients:unassigned",  # the reader's patient is on a team: only patients of no covering team are listed
}


def test_every_url_pattern_is_classified():
    names = set(url_names()) - PUBLIC
    assert names - set(LISTS) - set(NOT_LISTS) == set(), "URLs without a leak test or a reason"
    assert (set(LISTS) | set(NOT_LISTS)) - names == set(), "rows for URLs that no longer exist"
    assert set(LISTS).isdisjoint(NOT_LISTS)


def reader_client(username, page, api_client, is_api):
    from waypoint.accounts.models import User

    user = User.objects.get(username=username)
    return api_client(user) if is_api else page(user)


def read_every_list(world, reader, names, page, api) -> list[str]:
    """Read each list as `reader`; returns what went wrong (empty: nothing leaked, every list really answered)."""
    readers = OFFICER_READERS if reader in OFFICER_READERS else READERS
    own_key, others = readers[reader]
    own = getattr(world, own_key)
    username = {"nurse": "nurse", "north_nurse": "north-nurse", "privacy_officer": "privacy"}.get(reader, reader)
    problems = []
    for name in names:
        build, is_api = LISTS[name]
        response = reader_client(username, page, api, is_api).get(build(own))
        if response.status_code != 200:
            problems.append(f"{name}: status {response.status_code}")
            continue
        body = response.content.decode()
        problems += [
            f"{name} shows {other}'s {marker}"
            for other in others
            for marker in getattr(world, other).markers
            if marker in body
        ]
        if name in NAMELESS:
            if len(body) <= 200:
                problems.append(f"{name}: an empty answer proves nothing")
        elif not any(marker in body for marker in own.markers):
            problems.append(f"{name}: the reader's own patient is not shown")
    return problems


@pytest.mark.parametrize("reader", list(READERS))
def test_no_list_shows_another_teams_or_programs_patient(reader, world, page, api):
    assert read_every_list(world, reader, [n for n in LISTS if n not in OFFICER_LISTS], page, api) == []


@pytest.mark.parametrize("reader", list(OFFICER_READERS))
def test_the_privacy_officers_lists_show_only_their_program(reader, world, page, api):
    assert read_every_list(world, reader, sorted(OFFICER_LISTS), page, api) == []


@pytest.mark.parametrize("name", SEARCHES)
def test_searching_for_another_teams_or_programs_patient_finds_nothing(name, world, page, api):
    build, is_api = LISTS[name]
    client = reader_client("nurse", page, api, is_api)
    for term in ["W-2002", "Whitlock", "N-7007", "Okonkwo", "1988-04-12"]:
        search_finds_only_own(client.get(build(world.rivera), {"q": term}).content.decode(), term, world)


def search_finds_only_own(body, term, world):
    # the page repeats the term itself (search box, "no patient matches ...", next-page links): not a leak
    for echo in (f'value="{term}"', f"matches “{term}”", f"q={term}", f"?mrn={term}"):
        body = body.replace(echo, "")
    for marker in world.whitlock.markers + world.okonkwo.markers:
        assert marker not in body
    if term == "1988-04-12":  # everybody's birth date: only the nurse's own patient comes back
        assert "W-1001" in body


def test_the_outcome_figures_count_only_the_readers_program(world, program, director, page, api):
    """North Ridge's admissions, screens and doses change no figure of Harbor's director: each figure equals the
    same figure computed from Harbor's rows alone."""
    from waypoint.drug_screens.models import DrugScreen
    from waypoint.patients.models import Episode

    today = program.today()
    query = {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}
    body = api(director).get("/api/v1/outcomes/", query).json()
    figures = {figure["key"]: figure for figure in body["figures"]}
    assert body["program"] == "harbor"
    assert figures["admissions"]["value"] == Episode.objects.filter(program=program).count() == 2
    assert Episode.objects.exclude(program=program).count() == 1  # North Ridge's, left out
    assert figures["unexpected_positives"]["denominator"] == DrugScreen.objects.filter(program=program).count() == 2
    csv = page(director).get(reverse("outcomes:csv"), query).content.decode()
    dashboard = page(director).get(reverse("outcomes:dashboard"), query).content.decode()
    for text in (csv, dashboard, str(body)):
        assert not [m for other in (world.rivera, world.whitlock, world.okonkwo) for m in other.markers if m in text]


def test_sessions_are_listed_only_in_their_program(world, nurse, north_nurse, page, api):
    from waypoint.treatment.models import Session

    for reader, own, program_slug, others in (
        (nurse, world.rivera, "harbor", (world.whitlock, world.okonkwo)),
        (north_nurse, world.okonkwo, "north", (world.rivera, world.whitlock)),
    ):
        since = {"start": (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
        listed = {row["id"] for row in api(reader).get("/api/v1/sessions/", since).json()["results"] if row["id"]}
        assert listed and listed <= set(Session.objects.filter(program__slug=program_slug).values_list("pk", flat=True))
        week = page(reader).get(schedule_week(own)).content.decode()
        assert "Relapse prevention, one to one" in week
        assert not [m for other in others for m in other.markers if m in week]


def test_an_individual_session_is_read_only_by_its_patients_care_team(world, program, other_team, nurse, page, api):
    """Whitlock's one-to-one session (Bridge team) is not found by Rivera's nurse, and Rivera's not by a Bridge
    team nurse: the same 404 as a session that does not exist; their schedule shows the hour as busy."""
    bridge_nurse = make_user("bridge-nurse", program, Role.NURSE, other_team)
    for reader, own, other in ((nurse, world.rivera, world.whitlock), (bridge_nurse, world.whitlock, world.rivera)):
        hidden = individual_session(other)
        assert api(reader).get(f"/api/v1/sessions/{hidden.pk}/").status_code == 404
        assert page(reader).get(reverse("treatment:session", args=[hidden.pk])).status_code == 404
        assert api(reader).get(f"/api/v1/sessions/{individual_session(own).pk}/").status_code == 200
        week = page(reader).get(schedule_week(other)).content.decode()
        listed = api(reader).get(sessions_around(other)).json()["results"]
        assert "Busy" in week and [row for row in listed if row["kind"] == "busy" and row["id"] is None]
        for text in (week, str(listed)):
            assert not [m for m in other.markers if m in text]
            assert f"/treatment/sessions/{hidden.pk}/" not in text


def marker_of(someone) -> str:
    return next(m for m in someone.markers if m in ("Zephyrine", "Quillfeather", "Marrowdale"))


def test_counseling_notes_show_only_the_readers_patient(world, page, api):
    """SUD counseling notes are kept apart: read by the counselors of the patient's own care team."""
    from waypoint.accounts.models import User
    from waypoint.treatment import services as treatment

    for someone, others in (
        (world.rivera, (world.whitlock, world.okonkwo)),
        (world.okonkwo, (world.rivera, world.whitlock)),
    ):
        marker = marker_of(someone)
        counselor = User.objects.get(username=f"counselor-p{someone.patient.pk}")
        treatment.write_counseling_note(
            acting_user=counselor,
            patient=someone.patient,
            body=f"counseling {marker}",
            occurred_at=timezone.now() - timedelta(minutes=5),
        )
        for other in others:
            other_counselor = User.objects.get(username=f"counselor-p{other.patient.pk}")
            treatment.write_counseling_note(
                acting_user=other_counselor,
                patient=other.patient,
                body=f"counseling {marker_of(other)}",
                occurred_at=timezone.now() - timedelta(minutes=4),
            )
        pk = someone.patient.pk
        for body in (
            page(counselor).get(reverse("treatment:counseling-notes", args=[pk])).content.decode(),
            api(counselor).get(f"/api/v1/patients/{pk}/counseling-notes/").content.decode(),
        ):
            assert f"counseling {marker}" in body
            assert not [m for other in others for m in other.markers if m in body]


def test_the_disclosed_record_shows_only_its_patient(world, page, nurse):
    html = (
        page(nurse)
        .post(
            reverse("privacy:disclose", args=[world.rivera.patient.pk]),
            {"recipient": "Clinic Zephyrine", "purpose": "treatment", "information": ["episodes"]},
        )
        .content.decode()
    )
    assert "Zephyrine" in html or "W-1001" in html
    for marker in world.whitlock.markers + world.okonkwo.markers:
        assert marker not in html


# --- messages name only the patients their reader may see ---------------------------------------------------------


@pytest.fixture
def mixed_group(program, team, other_team, nurse, counselor_off_team, intake, admitted, patient):
    """A group the Bridge-team counselor facilitates, started two hours ago, with Rivera (Harbor team: not theirs) and
    Whitlock (their own) on the roster; Castillo (Harbor team) is registered but not in care."""
    from waypoint.treatment import services as treatment

    whitlock = patients.register_patient(
        acting_user=intake,
        program=program,
        care_team=other_team,
        **patient_fields(mrn="W-2002", given_name="Olwen", family_name="Whitlock"),
    )
    yesterday = timezone.now() - timedelta(days=1)
    patients.admit(acting_user=intake, patient=whitlock, admitted_at=yesterday, level_code="3.5")
    castillo = patients.register_patient(
        acting_user=intake,
        program=program,
        care_team=team,
        **patient_fields(mrn="W-3003", given_name="Ines", family_name="Castillo"),
    )
    start = timezone.now() - timedelta(hours=2)
    session = treatment.schedule_session(
        acting_user=counselor_off_team,
        program=program,
        kind="group",
        modality="relapse_prevention",
        topic="Triggers",
        facilitator=counselor_off_team,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    treatment.add_to_roster(acting_user=nurse, session=session, patient=patient)
    treatment.add_to_roster(acting_user=counselor_off_team, session=session, patient=whitlock)
    return session, patient, whitlock, castillo


HIDDEN = ("Maria", "Rivera", "W-1001", "Ines", "Castillo", "W-3003")


def test_an_off_team_facilitator_is_told_how_many_patients_are_missing_not_who(
    mixed_group, counselor_off_team, nurse, page, api
):
    """The facilitator's group note lacks Rivera's attendance, then her individualized part: the page and the API
    say "1 patient outside your care teams", with no name, MRN or patient id of hers."""
    from waypoint.treatment import services as treatment

    session, rivera, whitlock, _ = mixed_group
    treatment.mark_attendance(acting_user=counselor_off_team, session=session, patient=whitlock, status="present")
    answers = []
    for step in ("unmarked", "no part"):
        if step == "no part":
            treatment.mark_attendance(acting_user=nurse, session=session, patient=rivera, status="present")
        answers.append(
            page(counselor_off_team)
            .post(
                reverse("treatment:session-note", args=[session.pk]),
                {"body": "The group mapped triggers.", f"entry_{whitlock.pk}": "Named two triggers"},
            )
            .content.decode()
        )
        api_answer = api(counselor_off_team).post(
            f"/api/v1/sessions/{session.pk}/group-note/",
            {"body": "The group mapped triggers.", "entries": {str(whitlock.pk): "Named two triggers"}},
            format="json",
        )
        assert api_answer.status_code == 400
        answers.append(api_answer.content.decode())
    for answer in answers:
        assert "1 patient outside your care teams" in answer
        assert not [word for word in HIDDEN if word in answer]
        assert f"entries.{rivera.pk}" not in answer


def treatment_service_messages(reader, mixed_group) -> list[str]:
    """Every error a treatment service can give that mentions a patient, provoked by `reader` about patients of
    the group's program (services are called directly: a view's own filtering must not be what protects)."""
    from django.core.exceptions import ValidationError

    from waypoint.treatment import services as treatment

    session, rivera, whitlock, castillo = mixed_group
    empty = treatment.schedule_session(
        acting_user=reader,
        program=session.program,
        kind="group",
        modality="relapse_prevention",
        topic="Another group",
        facilitator=reader,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
    )
    attempts = [
        lambda: treatment.add_to_roster(acting_user=reader, session=session, patient=rivera),  # already on it
        lambda: treatment.add_to_roster(acting_user=reader, session=session, patient=castillo),  # not in care
        lambda: treatment.mark_attendance(acting_user=reader, session=empty, patient=rivera, status="present"),
        lambda: treatment.write_group_note(acting_user=reader, session=session, body="Ines was missed.", entries={}),
    ]
    messages = []
    for attempt in attempts:
        try:
            attempt()
        except ValidationError as error:
            messages += [f"{key}: {m}" for key, texts in error.message_dict.items() for m in texts]
        else:
            raise AssertionError("the service accepted what it must refuse")
    return messages


def test_no_treatment_service_message_names_a_patient_its_reader_may_not_see(mixed_group, counselor_off_team):
    messages = treatment_service_messages(counselor_off_team, mixed_group)
    assert len(messages) == 5  # roster twice, attendance, the group part, the unmarked attendance
    for message in messages:
        assert "outside your care teams" in message, message
        assert not [word for word in HIDDEN if word in message], message


def test_the_same_messages_name_the_patients_to_their_care_team(mixed_group, nurse):
    """The control of the test above: Rivera's and Castillo's nurse reads their names (and a count for Whitlock)."""
    text = " ".join(treatment_service_messages(nurse, mixed_group))
    assert "Maria Rivera" in text and "Ines Castillo" in text and "Whitlock" not in text


def test_every_patient_name_in_a_treatment_service_goes_through_named_for():
    """The sweep: in treatment/services.py a patient's name (display, given, family, preferred) is read only by
    `named_for` (which counts whom the reader may not see) and by the two functions that compare names without
    putting them in a message. A new message built from a patient's name fails here until it uses named_for."""
    import ast
    import inspect

    from waypoint.treatment import services as treatment

    allowed = {
        "named_for": "the one place a message names patients",
        "patients_named_in": "compares a group part with the program's names; its result goes to named_for",
        "_names_match": "compares the name the patient typed with their registered name; says no name",
    }
    names = {"display_name", "given_name", "family_name", "preferred_name"}
    readers = set()
    for function in ast.walk(ast.parse(inspect.getsource(treatment))):
        if isinstance(function, ast.FunctionDef) and any(
            isinstance(n, ast.Attribute) and n.attr in names for n in ast.walk(function)
        ):
            readers.add(function.name)
    assert readers <= set(allowed), f"patient names read outside named_for: {sorted(readers - set(allowed))}"
    assert "named_for" in readers
