"""The permission matrix: every URL pattern of the project, with personas who may reach it and who may not.

A new URL fails `test_every_url_pattern_is_in_the_matrix` until it gets its rows here: each needs at least
one allowed persona and one denied persona. Personas: `nurse` (on the patient's care team),
`counselor_off_team` (same program, other team), `north_nurse` (other program), `kiosk` (a patient
self-report session opened on a device for the care-team patient), `anonymous`.
"""

import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from conftest import continuing_care_plan, verified_login
from tests.conftest import COWS
from waypoint.placement.rules import default_table
from waypoint.placements.models import Referral, RuleTableVersion
from waypoint.privacy.models import AuditEvent, Consent, Disclosure
from waypoint.treatment.models import Attendance, RosterEntry, Session, TreatmentPlan
from waypoint.withdrawal.models import Assessment

# Reachable by anyone by design: signing in, the health check, the API's own description.
PUBLIC = {
    "login",
    "logout",
    "healthz",
    "api-schema",
    "fhir:metadata",
    "fhir-base",
    "fhir:unknown",
    "smart-token",
    "smart-configuration",
    "fhir-smart-configuration",
}  # metadata: the FHIR
# CapabilityStatement; fhir-base: the FHIR base URL, an OperationOutcome saying what is served (no data);
# fhir:unknown: any other path under /fhir/, a 404 OperationOutcome (no data); smart-token: the SMART token endpoint,
# which authenticates each request by its signed client assertion (waypoint/fhir/tests/test_smart.py refuses every
# defect); smart-configuration (both): the SMART discovery document (no data)

PAGE_DENIED = {"counselor_off_team": 404, "north_nurse": 404, "kiosk": 302, "anonymous": 302}
API_DENIED = {"counselor_off_team": 404, "north_nurse": 404, "kiosk": 401, "anonymous": 401}
SOWS = dict.fromkeys(
    (
        "anxious",
        "yawning",
        "perspiring",
        "tearing",
        "nose_running",
        "goose_flesh",
        "shaking",
        "hot_flashes",
        "cold_flashes",
        "aches",
        "restless",
        "nauseous",
        "vomiting",
        "twitching",
        "stomach_cramps",
        "urge_to_use",
    ),
    1,
)


def today_local(ctx):
    return timezone.localdate(timezone=ctx.program.tz).isoformat()


def now_local(ctx):
    return timezone.localtime(timezone=ctx.program.tz).strftime("%Y-%m-%dT%H:%M")


def later_local(ctx, **delta):
    return timezone.localtime(timezone.now() + timedelta(**delta), timezone=ctx.program.tz).strftime("%Y-%m-%dT%H:%M")


@dataclass
class Case:
    method: str
    url: callable
    allowed: dict
    denied: dict
    data: callable = None
    api: bool = False
    extra: list = field(default_factory=list)
    headers: dict = field(default_factory=dict)


def passkey_of(user):
    """A passkey of the user (its key material is never used by the matrix, which only opens its pages)."""
    from django_otp_webauthn.models import WebAuthnCredential

    return WebAuthnCredential.objects.filter(user=user).first() or WebAuthnCredential.objects.create(
        user=user, name="Work laptop", credential_id=b"matrix-passkey", public_key=b"-", sign_count=0
    )


def patient_url(name, *extra):
    return lambda ctx: reverse(name, args=[ctx.patient.pk, *extra])


def episode_url(name):
    return lambda ctx: reverse(name, args=[ctx.patient.pk, ctx.episode.pk])


def assessment_url(name):
    return lambda ctx: reverse(name, args=[ctx.patient.pk, ctx.assessment.pk])


def api_patient(suffix):
    return lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/{suffix}"


def api_assessment(suffix=""):
    return lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/assessments/{ctx.assessment.pk}/{suffix}"


def referral_id(ctx):
    """A referral in screening in the care-team nurse's program (made once per test, without an audit line so
    that the denied rows can count the audit trail)."""
    if getattr(ctx, "referral", None) is None:
        ctx.referral = Referral.objects.create(
            program=ctx.program,
            name="Sam Lee",
            contact="555",
            source="self",
            received_at=timezone.now() - timedelta(days=1),
            requested_level="3.5",
            created_by=ctx.nurse,
        )
    return ctx.referral.pk


def rule_version(ctx):
    """Versions 1 (the program's own rule) and 2 (back to the default) of the rule table, made without audit lines."""
    if not RuleTableVersion.objects.filter(program=ctx.program).exists():
        RuleTableVersion.objects.create(program=ctx.program, number=1, table=harbor_table(), note="Harbor")
        RuleTableVersion.objects.create(program=ctx.program, number=2, table=default_table(3), note="Back")
    return 1


def harbor_table():
    table = default_table(3)
    table["rules"].append({"id": "D5-2", "when": [{"dimension": 5, "at_least": 2}], "level": "2.5"})
    return table


ADMIN_PAGE_DENIED = {"nurse": 403, "north_nurse": 403, "kiosk": 302, "anonymous": 302}


def treatment(ctx):
    """A signed plan (v1), its draft amendment (v2), a started group session with the patient marked present, and an
    empty session; made once per test through the ORM, without audit lines (the denied rows count the trail)."""
    if getattr(ctx, "treatment", None) is None:
        body = {
            "problems": [
                {
                    "id": "p1",
                    "description": "Opioid use",
                    "diagnosis": "F11.20",
                    "screen_findings": [],
                    "goals": [
                        {
                            "id": "g1",
                            "text": "Stay alive",
                            "objectives": [{"id": "o1", "text": "Attend groups", "target_date": "2027-01-31"}],
                        }
                    ],
                    "interventions": [
                        {
                            "id": "i1",
                            "modality": "group_therapy",
                            "modality_label": "Group therapy",
                            "frequency": "daily",
                            "responsible": ctx.nurse.pk,
                            "responsible_name": "Nurse",
                        }
                    ],
                }
            ]
        }
        now = timezone.now()
        v1 = TreatmentPlan.objects.create(
            program=ctx.program,
            patient=ctx.patient,
            episode=ctx.episode,
            body=body,
            status="signed",
            created_by=ctx.nurse,
            clinician_signed_by=ctx.nurse,
            clinician_signed_at=now - timedelta(hours=1),
        )
        v2 = TreatmentPlan.objects.create(
            program=ctx.program,
            patient=ctx.patient,
            episode=ctx.episode,
            body=body,
            version=2,
            replaces=v1,
            created_by=ctx.nurse,
            change_reason="update",
        )
        started = Session.objects.create(
            program=ctx.program,
            kind="group",
            modality="group_therapy",
            modality_label="Group therapy",
            topic="Triggers",
            facilitator=ctx.nurse,
            starts_at=now - timedelta(hours=1),
            ends_at=now,
            created_by=ctx.nurse,
        )
        RosterEntry.objects.create(program=ctx.program, session=started, patient=ctx.patient, added_by=ctx.nurse)
        Attendance.objects.create(
            program=ctx.program, session=started, patient=ctx.patient, status="present", recorded_by=ctx.nurse
        )
        empty = Session.objects.create(
            program=ctx.program,
            kind="group",
            modality="art",
            modality_label="Art",
            topic="Collage",
            facilitator=ctx.nurse,
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(hours=1),
            created_by=ctx.nurse,
        )
        ctx.treatment = {"v1": v1, "v2": v2, "started": started, "empty": empty}
    return ctx.treatment


def plan_url(name, version="v1"):
    return lambda ctx: reverse(name, args=[ctx.patient.pk, treatment(ctx)[version].pk])


def session_url(name, which="started"):
    return lambda ctx: reverse(name, args=[treatment(ctx)[which].pk])


def api_plan(version, suffix=""):
    return lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/plans/{treatment(ctx)[version].pk}/{suffix}"


def api_session(which, suffix=""):
    return lambda ctx: f"/api/v1/sessions/{treatment(ctx)[which].pk}/{suffix}"


ASYNC = {"Prefer": "respond-async"}  # what every Bulk Data kick-off must send


def fhir_client(ctx):
    """The program's registered external system (made once per test, without an audit line)."""
    if getattr(ctx, "fhir_client", None) is None:
        from waypoint.accounts.models import Membership, User
        from waypoint.accounts.roles import Role
        from waypoint.fhir.models import ExternalClient

        user = User.objects.create_user(username="matrix-hie", password=None)
        Membership.objects.create(user=user, program=ctx.program, role=Role.EXTERNAL_SYSTEM)
        ctx.fhir_client = ExternalClient.objects.create(program=ctx.program, user=user, recipient="Matrix HIE")
    return ctx.fhir_client.pk


def bulk_job(ctx, done=False):
    """An export the care-team nurse started (made once per test without an audit line, like referral_id);
    `done`: complete, with its Patient file written."""
    if getattr(ctx, "bulk_job", None) is None:
        from django.conf import settings

        from waypoint.bulk.models import ExportFile, ExportJob

        now = timezone.now()
        ctx.bulk_job = ExportJob.objects.create(
            program=ctx.program,
            owner=ctx.nurse,
            level="system",
            types=["Patient"],
            request_url="http://testserver/fhir/$export",
            status="complete" if done else "queued",
            transaction_time=now if done else None,
            finished_at=now if done else None,
        )
        if done:
            line = b'{"resourceType":"Patient","id":"%d"}\n' % ctx.patient.pk
            directory = settings.BULK_EXPORT_DIR / str(ctx.bulk_job.pk)
            directory.mkdir(parents=True)
            (directory / "Patient.ndjson").write_bytes(line)
            ExportFile.objects.create(
                job=ctx.bulk_job, position=0, resource_type="Patient", count=1, bytes_written=len(line), done=True
            )
    return ctx.bulk_job


@pytest.fixture(autouse=True)
def export_dir(tmp_path, settings):
    settings.BULK_EXPORT_DIR = tmp_path / "exports"


def moud_order(ctx):
    """An active buprenorphine order for the patient (made once per test, without an audit line, like the
    referral above)."""
    from decimal import Decimal

    from waypoint.medication.models import MedicationOrder

    if getattr(ctx, "moud_order", None) is None:
        prescriber = type(ctx.nurse).objects.filter(memberships__role="prescriber").first() or ctx.nurse
        ctx.moud_order = MedicationOrder.objects.create(
            program=ctx.program,
            patient=ctx.patient,
            medication="buprenorphine",
            dose=Decimal("8"),
            route="sublingual",
            times_per_day=1,
            start_at=timezone.now() - timedelta(days=1),
            prescriber=prescriber,
        )
    return ctx.moud_order.pk


def moud_dose(ctx):
    """A given dose against that order (no audit line)."""
    from decimal import Decimal

    from waypoint.medication.models import Administration

    if getattr(ctx, "moud_dose", None) is None:
        moud_order(ctx)
        ctx.moud_dose = Administration.objects.create(
            program=ctx.program,
            patient=ctx.patient,
            order=ctx.moud_order,
            status="given",
            dose=Decimal("4"),
            at=timezone.now() - timedelta(hours=1),
            recorded_by=ctx.nurse,
        )
    return ctx.moud_dose.pk


def comfort_line(ctx):
    """An active comfort-medication order set of the patient with one loperamide line (no audit line; test values,
    not clinical guidance)."""
    from decimal import Decimal

    from waypoint.comfort.models import ComfortOrder, OrderLine, Protocol, ProtocolEntry

    if getattr(ctx, "comfort_line", None) is None:
        protocol = Protocol.objects.create(program=ctx.program, version=1, title="Test", signed_by=ctx.nurse)
        entry = ProtocolEntry.objects.create(
            program=ctx.program, protocol=protocol, symptom="diarrhea", drug="loperamide", route="oral",
            dose_min_mg=Decimal("2"), dose_max_mg=Decimal("2"), min_interval_minutes=120, max_24h_mg=Decimal("8"),
            follow_up_minutes=60,
        )  # fmt: skip
        order = ComfortOrder.objects.create(
            program=ctx.program, patient=ctx.patient, protocol=protocol, start_at=timezone.now() - timedelta(days=1),
            prescriber=ctx.nurse,
        )  # fmt: skip
        ctx.comfort_line = OrderLine.objects.create(program=ctx.program, order=order, entry=entry)
    return ctx.comfort_line


def allergy_entry(ctx):
    """An allergy entry of the patient (no audit line)."""
    from waypoint.patients.models import Allergy

    if getattr(ctx, "allergy_entry", None) is None:
        ctx.allergy_entry = Allergy.objects.create(
            program=ctx.program, patient=ctx.patient, kind="drug", substance="Codeine", severity="mild",
            recorded_by=ctx.nurse,
        )  # fmt: skip
    return ctx.allergy_entry.pk


def comfort_dose(ctx):
    """A loperamide dose given an hour ago under that order set (no audit line)."""
    from decimal import Decimal

    from waypoint.comfort.models import Dose

    if getattr(ctx, "comfort_dose", None) is None:
        line = comfort_line(ctx)
        at = timezone.now() - timedelta(hours=1)
        ctx.comfort_dose = Dose.objects.create(
            program=ctx.program, patient=ctx.patient, line=line, entry=line.entry, drug="loperamide",
            symptom="diarrhea", status="given", dose_mg=Decimal("2"), at=at, recorded_by=ctx.nurse,
            follow_up_due_at=at + timedelta(minutes=60),
        )  # fmt: skip
    return ctx.comfort_dose.pk


# The dosing window's program pages: staff of the program who may dispense (each user's own program).
DOSING_PROGRAM_DENIED = {"counselor_off_team": 403, "intake": 403, "anonymous": 302}


def dosing_hold(ctx):
    """A clinical hold on the patient's doses (no audit line)."""
    from waypoint.dispensing.models import Hold

    if getattr(ctx, "dosing_hold", None) is None:
        ctx.dosing_hold = Hold.objects.create(
            program=ctx.program, patient=ctx.patient, kind="clinical", reason="sedated", set_by=ctx.nurse
        )
    return ctx.dosing_hold.pk


def stock_count(ctx):
    """A count of a lot with a discrepancy, not signed off (no audit line)."""
    from decimal import Decimal

    from waypoint.dispensing.models import StockCount, StockLot

    if getattr(ctx, "stock_count", None) is None:
        lot = StockLot.objects.create(program=ctx.program, medication="methadone", strength="10 mg/mL", lot_number="C1")
        ctx.stock_count = StockCount.objects.create(
            program=ctx.program,
            lot=lot,
            counted_mg=Decimal("90"),
            expected_mg=Decimal("100"),
            counted_by=ctx.nurse,
            second_counter=ctx.nurse,
            investigation_note="short",
        )
    return ctx.stock_count.pk


def count_to_investigate(ctx, name):
    """A count that differs from the ledger, its investigation note still to write (one per case; no audit line)."""
    from decimal import Decimal

    from waypoint.dispensing.models import StockCount, StockLot

    if getattr(ctx, name, None) is None:
        lot = StockLot.objects.create(program=ctx.program, medication="methadone", strength="10 mg/mL", lot_number=name)
        count = StockCount.objects.create(
            program=ctx.program,
            lot=lot,
            counted_mg=Decimal("90"),
            expected_mg=Decimal("100"),
            counted_by=ctx.nurse,
            second_counter=ctx.nurse,
        )
        setattr(ctx, name, count)
    return getattr(ctx, name).pk


def call_back(ctx):
    """A call-back of the patient, waiting for its result (no audit line)."""
    from waypoint.dispensing.models import CallBack

    take_home_bottle(ctx)
    found = CallBack.objects.create(
        program=ctx.program, patient=ctx.patient, due_on=ctx.program.today(), scheduled_by=ctx.nurse
    )
    return found.pk


def take_home_decision(ctx):
    """A take-home decision's body: no take-home days yet, every federal criterion answered (an order first)."""
    from waypoint.dispensing.services import CRITERIA

    moud_order(ctx)
    return {"days": 0, "criteria": dict.fromkeys(CRITERIA, True), "basis": "not yet stable"}


def patient_photo(ctx):
    """The patient's identity photo (a PNG header is enough; no audit line)."""
    from waypoint.dispensing.models import PatientPhoto

    found = PatientPhoto.objects.create(
        program=ctx.program,
        patient=ctx.patient,
        image=b"\x89PNG\r\n\x1a\n",
        content_type="image/png",
        taken_by=ctx.nurse,
    )
    return found.pk


def take_home_bottle(ctx):
    """A take-home bottle of the patient, out (no audit line)."""
    from decimal import Decimal

    from waypoint.dispensing.models import StockLot, TakeHomeBottle, TakeHomeDecision

    if getattr(ctx, "bottle", None) is None:
        moud_order(ctx)
        decision = TakeHomeDecision.objects.create(
            program=ctx.program,
            patient=ctx.patient,
            days=1,
            criteria={},
            basis="stable",
            day_of_treatment=40,
            tier="from day 31",
            signed_by=ctx.nurse,
        )
        lot = StockLot.objects.create(program=ctx.program, medication="buprenorphine", strength="8 mg", lot_number="M1")
        ctx.bottle = TakeHomeBottle.objects.create(
            program=ctx.program,
            patient=ctx.patient,
            order=ctx.moud_order,
            decision=decision,
            lot=lot,
            dose=Decimal("8"),
            take_on=ctx.program.today() + timedelta(days=1),
            issued_by=ctx.nurse,
        )
    return ctx.bottle.pk


def bottle_code(ctx):
    """The id printed (as a QR code) on the patient's take-home bottle's label."""
    take_home_bottle(ctx)
    return ctx.bottle.code


def drug_screen(ctx):
    """A urine drug screen of the patient (no audit line)."""
    from waypoint.drug_screens.models import DrugScreen

    if getattr(ctx, "drug_screen", None) is None:
        ctx.drug_screen = DrugScreen.objects.create(
            program=ctx.program,
            patient=ctx.patient,
            collected_at=timezone.now() - timedelta(hours=1),
            observed=True,
            results={"fentanyl": "positive"},
            recorded_by=ctx.nurse,
        )
    return ctx.drug_screen.pk


def sentinel_event(ctx):
    """A death reported at the follow-up contact of the patient's plan: the director's sentinel event."""
    from waypoint.aftercare.models import FollowUpContact, SentinelEvent

    plan = aftercare_plan(ctx)
    contact = FollowUpContact.objects.filter(follow_up__plan=plan).first()
    event = SentinelEvent.objects.filter(contact=contact).first() or SentinelEvent.objects.create(
        program=ctx.program,
        patient=ctx.patient,
        plan=plan,
        contact=contact,
        what="Death reported",
        reported_at=timezone.now(),
    )
    return event.pk


def aftercare_plan(ctx):
    """A continuing-care plan of the patient's episode with a day-7 follow-up, a contact and a re-engagement task
    (made once per test through the ORM, without audit lines)."""
    from waypoint.aftercare.models import ContinuingCarePlan, FollowUp, FollowUpContact, ReEngagementTask

    if getattr(ctx, "aftercare_plan", None) is None:
        common = {"program": ctx.program, "patient": ctx.patient}
        plan = ContinuingCarePlan.objects.create(
            **common, episode=ctx.episode, asam_edition=3, crisis_contacts="911", recorded_by=ctx.nurse
        )
        ctx.follow_up = FollowUp.objects.create(**common, plan=plan, days_after=7, due_on=ctx.program.today())
        contact = FollowUpContact.objects.create(
            **common, follow_up=ctx.follow_up, at=timezone.now(), method="phone", reached=True, recorded_by=ctx.nurse
        )
        ctx.task = ReEngagementTask.objects.create(
            **common, contact=contact, reason="Return to use reported", opened_at=timezone.now()
        )
        ctx.aftercare_plan = plan
    return ctx.aftercare_plan


OUTCOMES_DENIED = {"nurse": 403, "counselor_off_team": 403, "north_nurse": 403, "kiosk": 302, "anonymous": 302}
REFERRAL_PAGE_DENIED = {"north_nurse": 404, "kiosk": 302, "anonymous": 302}
REFERRAL_API_DENIED = {"north_nurse": 404, "kiosk": 401, "anonymous": 401}


MATRIX = {
    "home": Case("GET", lambda ctx: reverse("home"), {"nurse": 302}, {"anonymous": 302}),
    "switch-program": Case(
        "POST",
        lambda ctx: reverse("switch-program"),
        {"nurse": 302},
        {"anonymous": 302},
        data=lambda ctx: {"program": ctx.program.pk},
    ),
    "work-lists": Case(
        "GET", lambda ctx: reverse("work-lists"), {"nurse": 200}, {"privacy_officer": 403, "anonymous": 302}
    ),
    "patients:list": Case(
        "GET", lambda ctx: reverse("patients:list"), {"nurse": 200, "counselor_off_team": 200}, {"anonymous": 302}
    ),
    "patients:register": Case(
        "GET", lambda ctx: reverse("patients:register"), {"nurse": 200}, {"counselor_off_team": 403, "anonymous": 302}
    ),
    "patients:census": Case("GET", lambda ctx: reverse("patients:census"), {"nurse": 200}, {"anonymous": 302}),
    "patients:unassigned": Case(
        "GET", lambda ctx: reverse("patients:unassigned"), {"nurse": 200}, {"privacy_officer": 403, "anonymous": 302}
    ),
    "patients:chart": Case("GET", patient_url("patients:chart"), {"nurse": 200}, PAGE_DENIED),
    "patients:edit": Case(
        "POST",
        patient_url("patients:edit"),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {
            "mrn": ctx.patient.mrn,
            "given_name": "Maria",
            "family_name": "Rivera",
            "birth_date": "1988-04-12",
            "sex_at_birth": "female",
            "phone": "555-0100",
            "care_team": ctx.patient.care_team_id,  # the form shows it; without it the edit would take her off the team
        },
    ),
    "patients:admit": Case("GET", patient_url("patients:admit"), {"nurse": 200}, PAGE_DENIED),
    "patients:transfer": Case(
        "POST",
        episode_url("patients:transfer"),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {"at": now_local(ctx), "level_of_care": "3.5", "reason": "stable"},
    ),
    "patients:discharge": Case(
        "POST",
        episode_url("patients:discharge"),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {"discharged_at": now_local(ctx), "reason": "completed", **continuing_care_plan()},
    ),
    "patients-api:patient-list": Case(
        "GET", lambda ctx: "/api/v1/patients/", {"nurse": 200}, {"anonymous": 401}, api=True
    ),
    "patients-api:patient-detail": Case(
        "GET", lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/", {"nurse": 200}, API_DENIED, api=True
    ),
    "patients-api:episode-list": Case(
        "POST",
        lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/episodes/",
        {"nurse": 400},
        API_DENIED,
        api=True,
        data=lambda ctx: {"admitted_at": timezone.now().isoformat(), "level_of_care": "3.5"},
    ),
    "patients-api:episode-detail": Case(
        "GET",
        lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/episodes/{ctx.episode.pk}/",
        {"nurse": 200},
        API_DENIED,
        api=True,
    ),
    "patients-api:episode-transfer": Case(
        "POST",
        lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/episodes/{ctx.episode.pk}/transfer/",
        {"nurse": 201},
        API_DENIED,
        api=True,
        data=lambda ctx: {"at": timezone.now().isoformat(), "level_of_care": "3.5", "reason": "stable"},
    ),
    "patients-api:episode-discharge": Case(
        "POST",
        lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/episodes/{ctx.episode.pk}/discharge/",
        {"nurse": 200},
        API_DENIED,
        api=True,
        data=lambda ctx: {
            "discharged_at": timezone.now().isoformat(),
            "reason": "completed",
            "continuing_care_plan": continuing_care_plan(),
        },
    ),
    "patients:allergies": Case("GET", patient_url("patients:allergies"), {"nurse": 200, "intake": 200}, PAGE_DENIED),
    "patients:allergy-in-error": Case(
        "POST",
        lambda ctx: reverse("patients:allergy-in-error", args=[ctx.patient.pk, allergy_entry(ctx)]),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {"reason": "Wrong patient"},
    ),
    "patients-api:allergy-list": Case(
        "POST",
        api_patient("allergies/"),
        {"nurse": 201, "intake": 201},
        API_DENIED,
        api=True,
        data=lambda ctx: {"kind": "drug", "substance": "Sulfa", "severity": "mild"},
    ),
    "patients-api:allergy-in-error": Case(
        "POST",
        lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/allergies/{allergy_entry(ctx)}/entered-in-error/",
        {"nurse": 200},
        API_DENIED,
        api=True,
        data=lambda ctx: {"reason": "Wrong patient"},
    ),
    "patients-api:census": Case("GET", lambda ctx: "/api/v1/census/", {"nurse": 200}, {"anonymous": 401}, api=True),
    "privacy:break-glass": Case(
        "POST",
        lambda ctx: reverse("privacy:break-glass"),
        {"counselor_off_team": 302},
        {"north_nurse": 200, "kiosk": 302, "anonymous": 302},
        data=lambda ctx: {"mrn": ctx.patient.mrn, "reason": "unresponsive, need the chart"},
    ),
    "privacy:break-glass-report": Case(
        "GET",
        lambda ctx: reverse("privacy:break-glass-report"),
        {"privacy_officer": 200},
        {"nurse": 403, "kiosk": 302, "anonymous": 302},
    ),
    "privacy:patient": Case("GET", patient_url("privacy:patient"), {"nurse": 200}, PAGE_DENIED),
    "privacy:consent-new": Case("GET", patient_url("privacy:consent-new"), {"nurse": 200}, PAGE_DENIED),
    "privacy:consent-revoke": Case(
        "POST",
        lambda ctx: reverse("privacy:consent-revoke", args=[ctx.patient.pk, ctx.consent.pk]),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {"revoked_on": today_local(ctx), "revocation_note": "letter"},
    ),
    "privacy:disclose": Case(
        "POST",
        patient_url("privacy:disclose"),
        {"nurse": 200},
        PAGE_DENIED,
        data=lambda ctx: {"recipient": "Riverside Primary Care", "purpose": "treatment", "information": ["episodes"]},
    ),
    "privacy:accounting-csv": Case("GET", patient_url("privacy:accounting-csv"), {"nurse": 200}, PAGE_DENIED),
    "withdrawal:board": Case(
        "GET",
        lambda ctx: reverse("withdrawal:board"),
        {"nurse": 200, "counselor_off_team": 200},
        {"kiosk": 302, "anonymous": 302},
    ),
    "withdrawal:flowsheet": Case("GET", patient_url("withdrawal:flowsheet"), {"nurse": 200}, PAGE_DENIED),
    "withdrawal:record": Case(
        "POST",
        patient_url("withdrawal:record", "cows"),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {"taken_at": now_local(ctx), **COWS},
    ),
    "withdrawal:amend": Case(
        "POST",
        assessment_url("withdrawal:amend"),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {"taken_at": now_local(ctx), **COWS, "gooseflesh": 3, "reason": "rescored", "version": 1},
    ),
    "withdrawal:entered-in-error": Case(
        "POST",
        assessment_url("withdrawal:entered-in-error"),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {"reason": "wrong patient", "version": 1},
    ),
    "withdrawal:kiosk-open": Case("POST", patient_url("withdrawal:kiosk-open"), {"nurse": 302}, PAGE_DENIED),
    "withdrawal:ciwa-ar": Case(
        "POST",
        patient_url("withdrawal:ciwa-ar"),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {"reason": "alcohol co-use: assess CIWA-Ar"},
    ),
    "kiosk:start": Case("GET", lambda ctx: reverse("kiosk:start"), {"kiosk": 200}, {"nurse": 403, "anonymous": 403}),
    "kiosk:report": Case(
        "POST",
        lambda ctx: reverse("kiosk:report", args=["sows-handelsman"]),
        {"kiosk": 302},
        {"nurse": 403, "north_nurse": 403, "anonymous": 403},
        data=lambda ctx: SOWS,
    ),
    "kiosk:finish": Case("POST", lambda ctx: reverse("kiosk:finish"), {"kiosk": 302, "anonymous": 302}, {"nurse": 302}),
    "withdrawal-api:assessment-list": Case(
        "POST",
        lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/assessments/",
        {"nurse": 201},
        API_DENIED,
        api=True,
        data=lambda ctx: {"instrument": "cows", "responses": COWS, "taken_at": timezone.now().isoformat()},
    ),
    "withdrawal-api:assessment-detail": Case("GET", api_assessment(), {"nurse": 200}, API_DENIED, api=True),
    "withdrawal-api:amend": Case(
        "POST",
        api_assessment("amend/"),
        {"nurse": 201},
        API_DENIED,
        api=True,
        data=lambda ctx: {"responses": COWS, "reason": "rescored", "version": 1},
    ),
    "withdrawal-api:entered-in-error": Case(
        "POST",
        api_assessment("entered-in-error/"),
        {"nurse": 200},
        API_DENIED,
        api=True,
        data=lambda ctx: {"reason": "wrong patient", "version": 1},
    ),
    "withdrawal-api:instrument-list": Case(
        "GET", lambda ctx: "/api/v1/instruments/", {"nurse": 200}, {"kiosk": 401, "anonymous": 401}, api=True
    ),
    "withdrawal-api:instrument-detail": Case(
        "GET", lambda ctx: "/api/v1/instruments/cows/", {"nurse": 200}, {"kiosk": 401, "anonymous": 401}, api=True
    ),
    "withdrawal-api:board": Case(
        "GET",
        lambda ctx: "/api/v1/withdrawal/board/",
        {"nurse": 200},
        {"north_nurse": 404, "kiosk": 401, "anonymous": 401},
        api=True,
        extra=["?program=harbor"],
    ),
    "placements:placement": Case(
        "POST",
        patient_url("placements:placement"),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {"at": now_local(ctx), **{f"rating_d{n}": 1 for n in range(1, 7)}},
    ),
    "placements:rule-table": Case(
        "GET",
        lambda ctx: reverse("placements:rule-table"),
        {"nurse": 200, "counselor_off_team": 200},
        {"kiosk": 302, "anonymous": 302},
    ),
    "placements:rule-table-edit": Case(
        "POST",
        lambda ctx: reverse("placements:rule-table-edit"),
        {"administrator": 302},
        ADMIN_PAGE_DENIED | {"counselor_off_team": 403},
        data=lambda ctx: {"table": json.dumps(harbor_table()), "note": "review"},
    ),
    "placements:rule-table-version": Case(
        "GET",
        lambda ctx: reverse("placements:rule-table-version", args=[rule_version(ctx)]),
        {"nurse": 200, "counselor_off_team": 200, "administrator": 200},
        {"north_nurse": 404, "kiosk": 302, "anonymous": 302},
    ),
    "placements:rule-table-restore": Case(
        "POST",
        lambda ctx: reverse("placements:rule-table-restore", args=[rule_version(ctx)]),
        {"administrator": 302},
        {"nurse": 403, "north_nurse": 404, "kiosk": 302, "anonymous": 302},
        data=lambda ctx: {"note": "undo"},
    ),
    "accounts:settings": Case(
        "GET",
        lambda ctx: reverse("accounts:settings"),
        {"administrator": 200},
        ADMIN_PAGE_DENIED | {"privacy_officer": 403},
    ),
    "accounts:setting-change": Case(
        "POST",
        lambda ctx: reverse("accounts:setting-change", args=["withdrawal.late_entry_days"]),
        {"administrator": 302},
        ADMIN_PAGE_DENIED | {"counselor_off_team": 403},
        data=lambda ctx: {"value": "3"},
    ),
    "fhir-clients:list": Case(
        "GET",
        lambda ctx: reverse("fhir-clients:list"),
        {"privacy_officer": 200, "administrator": 200},
        ADMIN_PAGE_DENIED | {"counselor_off_team": 403},
    ),
    "fhir-clients:keys": Case(
        "POST",
        lambda ctx: reverse("fhir-clients:keys", args=[fhir_client(ctx)]),
        {"privacy_officer": 302},
        ADMIN_PAGE_DENIED | {"counselor_off_team": 403},
        data=lambda ctx: {"jwks": '{"keys": []}', "jwks_url": "", "allowed_scopes": "system/*.rs"},
    ),
    "fhir-clients-api:keys": Case(
        "PUT",
        lambda ctx: reverse("fhir-clients-api:keys", args=[fhir_client(ctx)]),
        {"privacy_officer": 200, "administrator": 200},
        {"nurse": 403, "counselor_off_team": 403, "north_nurse": 404, "kiosk": 401, "anonymous": 401},
        data=lambda ctx: {"jwks": {"keys": []}},
        api=True,
    ),
    "accounts:session-extend": Case(
        "POST",
        lambda ctx: reverse("accounts:session-extend"),
        {"nurse": 200, "north_nurse": 200, "privacy_officer": 200},
        {"kiosk": 302, "anonymous": 302},
    ),
    "placements-api:placement-list": Case(
        "POST",
        lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/placements/",
        {"nurse": 201},
        API_DENIED,
        api=True,
        data=lambda ctx: {"ratings": {f"d{n}": 1 for n in range(1, 7)}},
    ),
    "placements-api:rule-table": Case(
        "GET", lambda ctx: "/api/v1/placement/rules/", {"nurse": 200}, {"kiosk": 401, "anonymous": 401}, api=True
    ),
    "placements:waitlist": Case(
        "GET",
        lambda ctx: reverse("placements:waitlist"),
        {"nurse": 200, "counselor_off_team": 200},
        {"kiosk": 302, "anonymous": 302},
    ),
    "placements:referral-new": Case(
        "POST",
        lambda ctx: reverse("placements:referral-new"),
        {"nurse": 302},
        {"counselor_off_team": 403, "kiosk": 302, "anonymous": 302},
        data=lambda ctx: {
            "name": "Ana",
            "contact": "555",
            "source": "self",
            "received_at": now_local(ctx),
            "urgency": "routine",
            "requested_level": "1",
        },
    ),
    "placements:referral": Case(
        "GET",
        lambda ctx: reverse("placements:referral", args=[referral_id(ctx)]),
        {"nurse": 200, "counselor_off_team": 200},
        REFERRAL_PAGE_DENIED,
    ),
    "placements:referral-admit": Case(
        "POST",
        lambda ctx: reverse("placements:referral-admit", args=[referral_id(ctx)]),
        {"nurse": 400},
        REFERRAL_PAGE_DENIED | {"counselor_off_team": 403},
        data=lambda ctx: {"mrn": ctx.patient.mrn, "admitted_at": now_local(ctx)},
    ),
    "placements:referral-close": Case(
        "POST",
        lambda ctx: reverse("placements:referral-close", args=[referral_id(ctx)]),
        {"nurse": 302},
        REFERRAL_PAGE_DENIED | {"counselor_off_team": 403},
        data=lambda ctx: {"status": "closed", "reason": "no answer"},
    ),
    "placements-api:referral-list": Case(
        "GET",
        lambda ctx: "/api/v1/referrals/",
        {"nurse": 200, "counselor_off_team": 200},
        {"kiosk": 401, "anonymous": 401},
        api=True,
    ),
    "placements-api:referral-detail": Case(
        "GET",
        lambda ctx: f"/api/v1/referrals/{referral_id(ctx)}/",
        {"nurse": 200, "counselor_off_team": 200},
        REFERRAL_API_DENIED,
        api=True,
    ),
    "placements-api:referral-admit": Case(
        "POST",
        lambda ctx: f"/api/v1/referrals/{referral_id(ctx)}/admit/",
        {"nurse": 400},
        REFERRAL_API_DENIED | {"counselor_off_team": 403},
        api=True,
        data=lambda ctx: {"patient": ctx.patient.pk, "admitted_at": timezone.now().isoformat()},
    ),
    "placements-api:referral-close": Case(
        "POST",
        lambda ctx: f"/api/v1/referrals/{referral_id(ctx)}/close/",
        {"nurse": 200},
        REFERRAL_API_DENIED | {"counselor_off_team": 403},
        api=True,
        data=lambda ctx: {"status": "closed", "reason": "no answer"},
    ),
    "placements:due": Case(
        "GET",
        lambda ctx: reverse("placements:due"),
        {"nurse": 200, "counselor_off_team": 200},
        {"kiosk": 302, "anonymous": 302},
    ),
    "audit:trail": Case(
        "GET",
        lambda ctx: reverse("audit:trail"),
        {"privacy_officer": 200},
        {"nurse": 403, "counselor_off_team": 403, "north_nurse": 403, "kiosk": 302, "anonymous": 302},
    ),
    "screening:history": Case("GET", patient_url("screening:history"), {"nurse": 200}, PAGE_DENIED),
    "screening:screen": Case("GET", patient_url("screening:screen"), {"nurse": 200}, PAGE_DENIED),
    "screening:follow-up": Case(
        "POST",
        lambda ctx: reverse("screening:follow-up", args=[ctx.patient.pk, ctx.follow_up.pk]),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {"status": "ordered"},
    ),
    "screening:naloxone": Case("GET", patient_url("screening:naloxone"), {"nurse": 200}, PAGE_DENIED),
    "screening:events": Case("GET", patient_url("screening:events"), {"nurse": 200}, PAGE_DENIED),
    "screening:risk": Case("GET", patient_url("screening:risk"), {"nurse": 200}, PAGE_DENIED),
    "screening:handout": Case("GET", patient_url("screening:handout"), {"nurse": 200}, PAGE_DENIED),
    "screening:worklist": Case(
        "GET",
        lambda ctx: reverse("screening:worklist"),
        {"nurse": 200, "counselor_off_team": 200},
        {"kiosk": 302, "anonymous": 302},
    ),
    "screening-api:history": Case("GET", api_patient("history/"), {"nurse": 200}, API_DENIED, api=True),
    "screening-api:screens": Case("GET", api_patient("screens/"), {"nurse": 200}, API_DENIED, api=True),
    "screening-api:follow-ups": Case("GET", api_patient("follow-ups/"), {"nurse": 200}, API_DENIED, api=True),
    "screening-api:follow-up": Case(
        "POST",
        lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/follow-ups/{ctx.follow_up.pk}/",
        {"nurse": 200},
        API_DENIED,
        api=True,
        data=lambda ctx: {"status": "ordered"},
    ),
    "screening-api:overdose-risk": Case("GET", api_patient("overdose-risk/"), {"nurse": 200}, API_DENIED, api=True),
    "screening-api:naloxone": Case("GET", api_patient("naloxone/"), {"nurse": 200}, API_DENIED, api=True),
    "screening-api:events": Case("GET", api_patient("events/"), {"nurse": 200}, API_DENIED, api=True),
    "privacy-api:consent-list": Case("GET", api_patient("consents/"), {"nurse": 200}, API_DENIED, api=True),
    "privacy-api:consent-revoke": Case(
        "POST",
        lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/consents/{ctx.consent.pk}/revoke/",
        {"nurse": 200},
        API_DENIED,
        api=True,
        data=lambda ctx: {"revoked_on": today_local(ctx), "revocation_note": "letter of 1 May"},
    ),
    "privacy-api:disclosure-list": Case(
        "POST",
        api_patient("disclosures/"),
        {"nurse": 201},
        API_DENIED,
        api=True,
        data=lambda ctx: {"recipient": "Riverside Primary Care", "purpose": "treatment", "information": ["episodes"]},
    ),
    # Two-factor sign-in: a signed-in staff member's own account pages (a password-only session is covered by
    # accounts/tests/test_two_factor.py::test_a_password_only_session_reaches_no_page_of_the_matrix).
    "two-factor": Case(
        "GET", lambda ctx: reverse("two-factor"), {"nurse": 200, "north_nurse": 200}, {"kiosk": 302, "anonymous": 302}
    ),
    "two-factor-enrol": Case(
        "GET", lambda ctx: reverse("two-factor-enrol"), {"nurse": 302}, {"kiosk": 302, "anonymous": 302}
    ),
    "two-factor-verify": Case(
        "GET", lambda ctx: reverse("two-factor-verify"), {"nurse": 302}, {"kiosk": 302, "anonymous": 302}
    ),
    # Passkeys: one's own (another person's answers 404). The registration calls answer a verified session that has
    # not named the passkey yet with 400; the sign-in calls belong to the code step only, so a verified session
    # gets 403 (the code step itself: accounts/tests/test_passkeys.py).
    "passkey-add": Case(
        "GET", lambda ctx: reverse("passkey-add"), {"nurse": 200, "north_nurse": 200}, {"kiosk": 302, "anonymous": 302}
    ),
    "passkey-remove": Case(
        "GET",
        lambda ctx: reverse("passkey-remove", args=[passkey_of(ctx.nurse).pk]),
        {"nurse": 200},
        {"north_nurse": 404, "kiosk": 302, "anonymous": 302},
    ),
    "otp_webauthn:credential-registration-begin": Case(
        "POST",
        lambda ctx: reverse("otp_webauthn:credential-registration-begin"),
        {"nurse": 400},
        {"kiosk": 302, "anonymous": 302},
    ),
    "otp_webauthn:credential-registration-complete": Case(
        "POST",
        lambda ctx: reverse("otp_webauthn:credential-registration-complete"),
        {"nurse": 400},
        {"kiosk": 302, "anonymous": 302},
    ),
    "otp_webauthn:credential-authentication-begin": Case(
        "POST",
        lambda ctx: reverse("otp_webauthn:credential-authentication-begin"),
        {"nurse": 403},
        {"kiosk": 302, "anonymous": 302},
    ),
    "otp_webauthn:credential-authentication-complete": Case(
        "POST",
        lambda ctx: reverse("otp_webauthn:credential-authentication-complete"),
        {"nurse": 403},
        {"kiosk": 302, "anonymous": 302},
    ),
    "otp_webauthn:js-i18n-catalog": Case(
        "GET", lambda ctx: reverse("otp_webauthn:js-i18n-catalog"), {"nurse": 200}, {"kiosk": 302, "anonymous": 302}
    ),
    "fhir:search": Case(
        "GET",
        lambda ctx: "/fhir/Observation",
        {"nurse": 200, "counselor_off_team": 200},
        {"privacy_officer": 403, "kiosk": 401, "anonymous": 401},
        api=True,
    ),
    "fhir:read": Case("GET", lambda ctx: f"/fhir/Patient/{ctx.patient.pk}", {"nurse": 200}, API_DENIED, api=True),
    "fhir:vread": Case(
        "GET", lambda ctx: f"/fhir/Patient/{ctx.patient.pk}/_history/1", {"nurse": 200}, API_DENIED, api=True
    ),
    "bulk:export": Case(
        "GET",
        lambda ctx: "/fhir/$export",
        {"nurse": 202, "counselor_off_team": 202},
        {"privacy_officer": 403, "kiosk": 401, "anonymous": 401},
        api=True,
        headers=ASYNC,
    ),
    "bulk:patient-export": Case(
        "GET",
        lambda ctx: "/fhir/Patient/$export",
        {"nurse": 202},
        {"privacy_officer": 403, "kiosk": 401, "anonymous": 401},
        api=True,
        headers=ASYNC,
    ),
    "bulk:group-export": Case(
        "GET",
        lambda ctx: f"/fhir/Group/program-{ctx.program.pk}/$export",
        {"nurse": 202},
        {"north_nurse": 404, "privacy_officer": 403, "kiosk": 401, "anonymous": 401},
        api=True,
        headers=ASYNC,
    ),
    "bulk:group-read": Case(
        "GET",
        lambda ctx: f"/fhir/Group/program-{ctx.program.pk}-level-3.7-WM",
        {"nurse": 200},
        {"north_nurse": 404, "privacy_officer": 403, "kiosk": 401, "anonymous": 401},
        api=True,
    ),
    "bulk:group-search": Case(
        "GET", lambda ctx: "/fhir/Group", {"nurse": 200, "north_nurse": 200}, {"kiosk": 401, "anonymous": 401}, api=True
    ),
    "bulk:status": Case(
        "GET", lambda ctx: f"/fhir/bulk-status/{bulk_job(ctx).pk}", {"nurse": 202}, API_DENIED, api=True
    ),
    "bulk:file": Case(
        "GET",
        lambda ctx: f"/fhir/bulk-files/{bulk_job(ctx, done=True).pk}/Patient.ndjson",
        {"nurse": 200},
        API_DENIED,
        api=True,
    ),
    "patients:progress": Case("GET", patient_url("patients:progress"), {"nurse": 200, "intake": 200}, PAGE_DENIED),
    "medication:page": Case("GET", patient_url("medication:page"), {"nurse": 200, "prescriber": 200}, PAGE_DENIED),
    "medication:order-new": Case(
        "POST",
        patient_url("medication:order-new"),
        {"prescriber": 302},
        PAGE_DENIED | {"nurse": 403},
        data=lambda ctx: {
            "medication": "buprenorphine_naloxone",
            "dose": "8",
            "route": "sublingual",
            "times_per_day": "1",
            "phase": "maintenance",
            "start_at": now_local(ctx),
        },
    ),
    "medication:order-stop": Case(
        "POST",
        lambda ctx: reverse("medication:order-stop", args=[ctx.patient.pk, moud_order(ctx)]),
        {"prescriber": 302},
        PAGE_DENIED | {"nurse": 403},
        data=lambda ctx: {"stop_at": now_local(ctx), "reason": "switched"},
    ),
    "medication:administer": Case(
        "POST",
        patient_url("medication:administer"),
        {"nurse": 302, "prescriber": 302},
        PAGE_DENIED | {"intake": 403},
        data=lambda ctx: {"order": moud_order(ctx), "status": "given", "dose": "4", "at": now_local(ctx)},
    ),
    "dispensing-api:queue": Case(
        "GET",
        lambda ctx: "/api/v1/dosing/queue/",
        {"nurse": 200},
        {"north_nurse": 404, "counselor_off_team": 403, "intake": 403, "kiosk": 401, "anonymous": 401},
        api=True,
        extra=["?program=harbor"],
    ),
    "dispensing-api:doses": Case(
        "POST",
        api_patient("dosing/doses/"),
        {"nurse": 400},  # no stock lot in the matrix's world: refused naming `lot`, nothing saved
        API_DENIED | {"intake": 403},
        api=True,
        data=lambda ctx: {"amount": "8", "lot": 0} if moud_order(ctx) else None,
    ),
    "dispensing-api:holds": Case(
        "POST",
        api_patient("dosing/holds/"),
        {"nurse": 201},
        API_DENIED | {"intake": 403},
        api=True,
        data=lambda ctx: {"kind": "administrative", "reason": "insurance lapsed"},
    ),
    "dispensing-api:guests": Case(
        "GET", api_patient("dosing/guests/"), {"nurse": 200}, API_DENIED | {"intake": 403}, api=True
    ),
    "dispensing-api:replacements": Case(
        "GET", api_patient("dosing/replacements/"), {"nurse": 200}, API_DENIED | {"intake": 403}, api=True
    ),
    "dispensing-api:patient-call-backs": Case(
        "GET", api_patient("dosing/call-backs/"), {"nurse": 200}, API_DENIED | {"intake": 403}, api=True
    ),
    "dispensing-api:call-back-result": Case(
        "POST",
        lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/dosing/call-backs/{call_back(ctx)}/",
        {"nurse": 200},
        API_DENIED | {"intake": 403},
        api=True,
        data=lambda ctx: {"brought_back": True},
    ),
    "dispensing-api:call-backs": Case(
        "GET",
        lambda ctx: "/api/v1/dosing/call-backs/",
        {"nurse": 200},
        {"north_nurse": 404, "counselor_off_team": 403, "intake": 403, "kiosk": 401, "anonymous": 401},
        api=True,
        extra=["?program=harbor"],
    ),
    "dispensing-api:calendar": Case(
        "GET",
        lambda ctx: "/api/v1/dosing/calendar/",
        {"nurse": 200},
        {"north_nurse": 404, "counselor_off_team": 403, "intake": 403, "kiosk": 401, "anonymous": 401},
        api=True,
        extra=["?program=harbor"],
    ),
    "dispensing-api:closed-day-bottles": Case(
        "POST",
        lambda ctx: "/api/v1/dosing/calendar/bottles/",
        {"nurse": 200},
        {"north_nurse": 404, "counselor_off_team": 403, "intake": 403, "kiosk": 401, "anonymous": 401},
        api=True,
        extra=["?program=harbor"],
        data=lambda ctx: {"lots": []},
    ),
    "dispensing-api:bottle-return": Case(
        "POST",
        lambda ctx: "/api/v1/dosing/bottles/return/",
        {"nurse": 200},
        {"north_nurse": 404, "counselor_off_team": 403, "intake": 403, "kiosk": 401, "anonymous": 401},
        api=True,
        extra=["?program=harbor"],
        data=lambda ctx: {"code": bottle_code(ctx), "empty": True},
    ),
    "dispensing-api:take-home-decisions": Case(
        "POST",
        api_patient("dosing/take-home-decisions/"),
        {"prescriber": 201},
        API_DENIED | {"intake": 403, "nurse": 403},  # a practitioner signs; a nurse reads the decisions only
        api=True,
        data=take_home_decision,
    ),
    "dispensing-api:take-home-bottles": Case(
        "GET", api_patient("dosing/take-home-bottles/"), {"nurse": 200}, API_DENIED | {"intake": 403}, api=True
    ),
    "dispensing-api:ledger": Case(
        "GET",
        lambda ctx: "/api/v1/dosing/ledger/",
        {"nurse": 200, "director": 200},
        {"north_nurse": 404, "counselor_off_team": 403, "intake": 403, "kiosk": 401, "anonymous": 401},
        api=True,
        extra=["?program=harbor"],
    ),
    "dispensing-api:counts": Case(
        "GET",
        lambda ctx: "/api/v1/dosing/counts/",
        {"nurse": 200, "director": 200},
        {"north_nurse": 404, "counselor_off_team": 403, "intake": 403, "kiosk": 401, "anonymous": 401},
        api=True,
        extra=["?program=harbor"],
    ),
    "dispensing-api:count-sign-off": Case(
        "POST",
        lambda ctx: f"/api/v1/dosing/counts/{stock_count(ctx)}/sign-off/",
        {"director": 200},
        {"north_nurse": 404, "nurse": 403, "intake": 403, "kiosk": 401, "anonymous": 401},
        api=True,
        extra=["?program=harbor"],
        data=lambda ctx: {},
    ),
    "dispensing-api:count-investigation": Case(
        "POST",
        lambda ctx: f"/api/v1/dosing/counts/{count_to_investigate(ctx, 'api-count')}/investigation/",
        {"nurse": 200},
        {"north_nurse": 404, "director": 403, "intake": 403, "kiosk": 401, "anonymous": 401},
        api=True,
        extra=["?program=harbor"],
        data=lambda ctx: {"investigation_note": "recounted; the pump log checked"},
    ),
    "dispensing:bottle-scan": Case(
        "GET", lambda ctx: reverse("dispensing:bottle-scan"), {"nurse": 200}, DOSING_PROGRAM_DENIED
    ),
    "dispensing:queue": Case(
        "GET", lambda ctx: reverse("dispensing:queue"), {"nurse": 200, "prescriber": 200}, DOSING_PROGRAM_DENIED
    ),
    "dispensing:ledger": Case("GET", lambda ctx: reverse("dispensing:ledger"), {"nurse": 200}, DOSING_PROGRAM_DENIED),
    "dispensing:ledger-entry": Case(
        "POST",
        lambda ctx: reverse("dispensing:ledger-entry"),
        {"nurse": 302},
        DOSING_PROGRAM_DENIED,
        data=lambda ctx: {
            "action": "receipt",
            "in-medication": "methadone",
            "in-strength": "10 mg/mL",
            "in-lot_number": "A1",
            "in-quantity_mg": "1000",
        },
    ),
    "dispensing:count-sign-off": Case(
        "POST",
        lambda ctx: reverse("dispensing:count-sign-off", args=[stock_count(ctx)]),
        {"director": 302},
        {"nurse": 403, "intake": 403, "anonymous": 302},
    ),
    "dispensing:count-investigation": Case(
        "POST",
        lambda ctx: reverse("dispensing:count-investigation", args=[count_to_investigate(ctx, "page-count")]),
        {"nurse": 302},
        {"director": 403, "intake": 403, "anonymous": 302},
        data=lambda ctx: {"investigation_note": "recounted; the pump log checked"},
    ),
    "dispensing:count": Case("GET", lambda ctx: reverse("dispensing:count"), {"nurse": 200}, DOSING_PROGRAM_DENIED),
    "dispensing:dose": Case(
        "GET", patient_url("dispensing:dose"), {"nurse": 200, "prescriber": 200}, PAGE_DENIED | {"intake": 403}
    ),
    "dispensing:labels": Case("GET", patient_url("dispensing:labels"), {"nurse": 200}, PAGE_DENIED | {"intake": 403}),
    "dispensing:take-homes": Case(
        "GET", patient_url("dispensing:take-homes"), {"nurse": 200, "prescriber": 200}, PAGE_DENIED | {"intake": 403}
    ),
    "dispensing:bottle-return": Case(
        "POST",
        lambda ctx: reverse("dispensing:bottle-return", args=[ctx.patient.pk, take_home_bottle(ctx)]),
        {"nurse": 302},
        PAGE_DENIED | {"intake": 403},
        data=lambda ctx: {"empty": "yes", "note": ""},
    ),
    "dispensing:hold-new": Case(
        "POST",
        patient_url("dispensing:hold-new"),
        {"nurse": 302},
        PAGE_DENIED | {"intake": 403},
        data=lambda ctx: {"kind": "clinical", "reason": "breath alcohol at the window"},
    ),
    "dispensing:guest-new": Case(
        "GET", patient_url("dispensing:guest-new"), {"prescriber": 200}, PAGE_DENIED | {"intake": 403, "nurse": 403}
    ),
    "dispensing:replacement-new": Case(
        "GET", patient_url("dispensing:replacement-new"), {"nurse": 200}, PAGE_DENIED | {"intake": 403}
    ),
    "dispensing:calendar": Case(
        "GET", lambda ctx: reverse("dispensing:calendar"), {"nurse": 200}, DOSING_PROGRAM_DENIED
    ),
    "dispensing:call-backs": Case(
        "GET", lambda ctx: reverse("dispensing:call-backs"), {"nurse": 200}, DOSING_PROGRAM_DENIED
    ),
    "dispensing:call-back-record": Case(
        "GET",
        lambda ctx: reverse("dispensing:call-back-record", args=[ctx.patient.pk, call_back(ctx)]),
        {"nurse": 200},
        PAGE_DENIED | {"intake": 403},
    ),
    "dispensing:safe-storage": Case(
        "POST", patient_url("dispensing:safe-storage"), {"nurse": 302}, PAGE_DENIED | {"intake": 403}
    ),
    "dispensing:reports": Case(
        "GET", lambda ctx: reverse("dispensing:reports"), {"nurse": 200, "director": 200}, DOSING_PROGRAM_DENIED
    ),
    "dispensing:inventory": Case(
        "GET", lambda ctx: reverse("dispensing:inventory"), {"nurse": 200, "director": 200}, DOSING_PROGRAM_DENIED
    ),
    "dispensing:photo-new": Case(
        "GET", patient_url("dispensing:photo-new"), {"nurse": 200}, PAGE_DENIED | {"intake": 403}
    ),
    "dispensing:photo": Case(
        "GET",
        lambda ctx: reverse("dispensing:photo", args=[ctx.patient.pk, patient_photo(ctx)]),
        {"nurse": 200},
        PAGE_DENIED | {"intake": 403},
    ),
    "dispensing:photo-small": Case(
        "GET",
        lambda ctx: reverse("dispensing:photo-small", args=[ctx.patient.pk, patient_photo(ctx)]),
        {"nurse": 200},
        PAGE_DENIED | {"intake": 403},
    ),
    "dispensing:hold-lift": Case(
        "POST",
        lambda ctx: reverse("dispensing:hold-lift", args=[ctx.patient.pk, dosing_hold(ctx)]),
        {"prescriber": 302},
        PAGE_DENIED | {"intake": 403},
        data=lambda ctx: {"note": "reassessed"},
    ),
    "aftercare:packet": Case(
        "GET",
        lambda ctx: reverse("aftercare:packet", args=[ctx.patient.pk, aftercare_plan(ctx).pk]),
        {"nurse": 200},
        PAGE_DENIED,
    ),
    "aftercare:work-list": Case("GET", lambda ctx: reverse("aftercare:work-list"), {"nurse": 200}, {"anonymous": 302}),
    "aftercare:contact": Case(
        "POST",
        lambda ctx: aftercare_plan(ctx) and reverse("aftercare:contact", args=[ctx.patient.pk, ctx.follow_up.pk]),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {"at": now_local(ctx), "method": "phone", "reached": "no"},
    ),
    "aftercare:task": Case(
        "POST",
        lambda ctx: aftercare_plan(ctx) and reverse("aftercare:task", args=[ctx.patient.pk, ctx.task.pk]),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {"outcome": "Called; invited back, on the waitlist first"},
    ),
    "aftercare:send": Case(
        "POST",
        lambda ctx: reverse("aftercare:send", args=[ctx.patient.pk, aftercare_plan(ctx).pk]),
        {"nurse": 302},  # without a consent naming the provider: refused with a message, back to the packet
        PAGE_DENIED,
    ),
    "aftercare:sentinel": Case(
        "POST",
        lambda ctx: reverse("aftercare:sentinel", args=[ctx.patient.pk, sentinel_event(ctx)]),
        {"director": 302},
        PAGE_DENIED | {"nurse": 403},
        data=lambda ctx: {"review": "Reviewed with the team"},
    ),
    "aftercare-api:continuing-care": Case(
        "GET",
        lambda ctx: aftercare_plan(ctx) and api_patient("continuing-care/")(ctx),
        {"nurse": 200},
        API_DENIED,
        api=True,
    ),
    "aftercare-api:contacts": Case(
        "POST",
        lambda ctx: aftercare_plan(ctx) and api_patient(f"after-discharge/{ctx.follow_up.pk}/contacts/")(ctx),
        {"nurse": 201},
        API_DENIED,
        api=True,
        data=lambda ctx: {"at": timezone.now().isoformat(), "method": "phone", "reached": False},
    ),
    "drug_screens:page": Case(
        "POST",
        patient_url("drug_screens:page"),
        {"nurse": 302},
        PAGE_DENIED | {"intake": 403},
        data=lambda ctx: {"collected_at": now_local(ctx), "observed": "yes", "result_fentanyl": "positive"},
    ),
    "comfort:mar": Case("GET", patient_url("comfort:mar"), {"nurse": 200, "prescriber": 200}, PAGE_DENIED),
    "comfort:give": Case(
        "POST",
        patient_url("comfort:give"),
        {"nurse": 302, "prescriber": 302},
        PAGE_DENIED | {"intake": 403},
        data=lambda ctx: {"line": comfort_line(ctx).pk, "status": "given", "dose": "2", "at": now_local(ctx)},
    ),
    "comfort:protocol": Case(
        "GET", lambda ctx: reverse("comfort:protocol"), {"nurse": 200, "prescriber": 200}, {"anonymous": 302}
    ),
    "comfort:protocol-new": Case(
        "GET", lambda ctx: reverse("comfort:protocol-new"), {"prescriber": 200}, {"nurse": 403, "anonymous": 302}
    ),
    "comfort:report": Case(
        "GET",
        lambda ctx: reverse("comfort:report"),
        {"director": 200, "prescriber": 200},
        {"nurse": 403, "anonymous": 302},
    ),
    "comfort:order-new": Case(
        "GET", patient_url("comfort:order-new"), {"prescriber": 200}, PAGE_DENIED | {"nurse": 403, "intake": 403}
    ),
    "comfort:follow-up": Case(
        "POST",
        lambda ctx: reverse("comfort:follow-up", args=[ctx.patient.pk, comfort_dose(ctx)]),
        {"nurse": 302},
        PAGE_DENIED | {"intake": 403},
        data=lambda ctx: {"outcome": "eased"},
    ),
    "medication:entered-in-error": Case(
        "POST",
        lambda ctx: reverse("medication:entered-in-error", args=[ctx.patient.pk, moud_dose(ctx)]),
        {"nurse": 302},
        PAGE_DENIED | {"intake": 403},
        data=lambda ctx: {"reason": "wrong patient"},
    ),
    "drug_screens:entered-in-error": Case(
        "POST",
        lambda ctx: reverse("drug_screens:entered-in-error", args=[ctx.patient.pk, drug_screen(ctx)]),
        {"nurse": 302},
        PAGE_DENIED | {"intake": 403},
        data=lambda ctx: {"reason": "wrong specimen label"},
    ),
    "medication-api:administration-error": Case(
        "POST",
        lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/moud-administrations/{moud_dose(ctx)}/entered-in-error/",
        {"nurse": 200},
        API_DENIED | {"intake": 403},
        api=True,
        data=lambda ctx: {"reason": "wrong patient"},
    ),
    "drug-screens-api:entered-in-error": Case(
        "POST",
        lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/drug-screens/{drug_screen(ctx)}/entered-in-error/",
        {"nurse": 200},
        API_DENIED | {"intake": 403},
        api=True,
        data=lambda ctx: {"reason": "wrong label"},
    ),
    "outcomes:dashboard": Case("GET", lambda ctx: reverse("outcomes:dashboard"), {"director": 200}, OUTCOMES_DENIED),
    "outcomes:csv": Case("GET", lambda ctx: reverse("outcomes:csv"), {"director": 200}, OUTCOMES_DENIED),
    # TEDS state reports: the director only (nurses, counselors and other programs' staff: 403)
    "regulatory:teds": Case("GET", lambda ctx: reverse("regulatory:teds"), {"director": 200}, OUTCOMES_DENIED),
    "regulatory:teds-json": Case(
        "GET", lambda ctx: reverse("regulatory:teds-json"), {"director": 200}, OUTCOMES_DENIED
    ),
    "regulatory:teds-csv": Case("GET", lambda ctx: reverse("regulatory:teds-csv"), {"director": 200}, OUTCOMES_DENIED),
    "medication-api:orders": Case(
        "POST",
        api_patient("moud-orders/"),
        {"prescriber": 201},
        API_DENIED | {"nurse": 403},
        api=True,
        data=lambda ctx: {
            "medication": "methadone",
            "dose": "30",
            "route": "oral",
            "times_per_day": 1,
            "start_at": timezone.now().isoformat(),
        },
    ),
    "medication-api:order-stop": Case(
        "POST",
        lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/moud-orders/{moud_order(ctx)}/stop/",
        {"prescriber": 200},
        API_DENIED | {"nurse": 403},
        api=True,
        data=lambda ctx: {"stop_at": timezone.now().isoformat(), "reason": "switched"},
    ),
    "medication-api:administrations": Case(
        "POST",
        api_patient("moud-administrations/"),
        {"nurse": 201},
        API_DENIED | {"intake": 403},
        api=True,
        data=lambda ctx: {"order": moud_order(ctx), "status": "given", "dose": "4", "at": timezone.now().isoformat()},
    ),
    "comfort-api:doses": Case(
        "POST",
        api_patient("comfort-doses/"),
        {"nurse": 201},
        API_DENIED | {"intake": 403},
        api=True,
        data=lambda ctx: {"line": comfort_line(ctx).pk, "dose": "2", "at": timezone.now().isoformat()},
    ),
    "comfort-api:follow-up": Case(
        "POST",
        lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/comfort-doses/{comfort_dose(ctx)}/follow-up/",
        {"nurse": 200},
        API_DENIED | {"intake": 403},
        api=True,
        data=lambda ctx: {"outcome": "eased"},
    ),
    "drug-screens-api:screens": Case(
        "POST",
        api_patient("drug-screens/"),
        {"nurse": 201},
        API_DENIED | {"intake": 403},
        api=True,
        data=lambda ctx: {
            "collected_at": timezone.now().isoformat(),
            "observed": True,
            "results": {"fentanyl": "negative"},
        },
    ),
    "outcomes-api:outcomes": Case(
        "GET",
        lambda ctx: "/api/v1/outcomes/",
        {"director": 200},
        {"nurse": 403, "north_nurse": 403, "kiosk": 401, "anonymous": 401},
        api=True,
    ),
}

TREATMENT_MATRIX = {
    "treatment:plan": Case("GET", patient_url("treatment:plan"), {"nurse": 200}, PAGE_DENIED),
    "treatment:plan-version": Case(
        "POST",
        plan_url("treatment:plan-version", "v2"),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {"action": "add_goal", "revision": 1, "goal-problem": "p1", "goal-text": "Get my job back"},
    ),
    "treatment:plan-sign": Case(
        "POST", plan_url("treatment:plan-sign", "v2"), {"nurse": 302}, PAGE_DENIED, data=lambda ctx: {"revision": 1}
    ),
    "treatment:plan-acknowledge": Case(
        "POST",
        plan_url("treatment:plan-acknowledge"),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {"patient_name": "Maria Rivera", "attested": "on"},
    ),
    "treatment:plan-amend": Case(
        "POST",
        plan_url("treatment:plan-amend"),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {"version": 1, "reason": "new goal"},
    ),
    "treatment:plan-review": Case(
        "POST", plan_url("treatment:plan-review"), {"nurse": 302}, PAGE_DENIED, data=lambda ctx: {"note": "still fits"}
    ),
    "treatment:plan-save-template": Case(
        "POST",
        plan_url("treatment:plan-save-template"),
        {"director": 302},
        PAGE_DENIED | {"nurse": 403},
        data=lambda ctx: {"name": "Residential", "level_codes": ["3.5"]},
    ),
    "treatment:notes": Case(
        "POST",
        patient_url("treatment:notes"),
        {"nurse": 302},
        PAGE_DENIED,
        data=lambda ctx: {"occurred_at": now_local(ctx), "body": "Doing better", "status_o1": "in_progress"},
    ),
    "treatment:counseling-notes": Case(
        "POST",
        patient_url("treatment:counseling-notes"),
        {"team_counselor": 302},
        PAGE_DENIED | {"nurse": 403},
        data=lambda ctx: {"occurred_at": now_local(ctx), "body": "grief work"},
    ),
    "treatment:patient-schedule": Case("GET", patient_url("treatment:patient-schedule"), {"nurse": 200}, PAGE_DENIED),
    "treatment:due": Case(
        "GET",
        lambda ctx: reverse("treatment:due"),
        {"nurse": 200, "counselor_off_team": 200},
        {"kiosk": 302, "anonymous": 302},
    ),
    "treatment:templates": Case(
        "GET", lambda ctx: reverse("treatment:templates"), {"nurse": 200}, {"kiosk": 302, "anonymous": 302}
    ),
    "treatment:modalities": Case(
        "POST",
        lambda ctx: reverse("treatment:modalities"),
        {"director": 302},
        {"nurse": 403, "kiosk": 302, "anonymous": 302},
        data=lambda ctx: {"code": "yoga", "label": "Yoga", "category": "experiential"},
    ),
    "treatment:schedule": Case(
        "GET", lambda ctx: reverse("treatment:schedule"), {"nurse": 200}, {"kiosk": 302, "anonymous": 302}
    ),
    "treatment:session-new": Case(
        "POST",
        lambda ctx: reverse("treatment:session-new"),
        {"nurse": 302},
        {"intake": 403, "kiosk": 302, "anonymous": 302},
        data=lambda ctx: {
            "kind": "group",
            "modality": "art",
            "topic": "Masks",
            "facilitator": ctx.nurse.pk,
            "starts_at": now_local(ctx),
            "ends_at": later_local(ctx, hours=1),
        },
    ),
    "treatment:session": Case(
        "GET",
        session_url("treatment:session"),
        {"nurse": 200, "counselor_off_team": 200},
        {"north_nurse": 404, "kiosk": 302, "anonymous": 302},
    ),
    "treatment:session-roster": Case(
        "POST",
        session_url("treatment:session-roster", "empty"),
        {"nurse": 302},
        {"counselor_off_team": 400, "intake": 403, "north_nurse": 404, "kiosk": 302, "anonymous": 302},
        data=lambda ctx: {"patient": ctx.patient.mrn},
    ),
    "treatment:session-attendance": Case(
        "POST",
        session_url("treatment:session-attendance"),
        {"nurse": 302},
        {"counselor_off_team": 400, "intake": 403, "north_nurse": 404, "kiosk": 302, "anonymous": 302},
        data=lambda ctx: {f"status_{ctx.patient.pk}": "late"},
    ),
    "treatment:session-note": Case(
        "POST",
        session_url("treatment:session-note"),
        {"nurse": 302},
        {"intake": 403, "north_nurse": 404, "kiosk": 302, "anonymous": 302},
        data=lambda ctx: {"body": "Group mapped triggers", f"entry_{ctx.patient.pk}": "Named work stress"},
    ),
    "treatment-api:plan-list": Case("GET", api_patient("plans/"), {"nurse": 200}, API_DENIED, api=True),
    "treatment-api:plan-detail": Case(
        "PUT",
        api_plan("v2"),
        {"nurse": 200},
        API_DENIED,
        api=True,
        data=lambda ctx: {"body": treatment(ctx)["v2"].body, "revision": 1},
    ),
    "treatment-api:plan-sign": Case(
        "POST", api_plan("v2", "sign/"), {"nurse": 200}, API_DENIED, api=True, data=lambda ctx: {"revision": 1}
    ),
    "treatment-api:plan-acknowledge": Case(
        "POST",
        api_plan("v1", "acknowledge/"),
        {"nurse": 200},
        API_DENIED,
        api=True,
        data=lambda ctx: {"patient_name": "Maria Rivera", "attested": True},
    ),
    "treatment-api:plan-amend": Case(
        "POST",
        api_plan("v1", "amend/"),
        {"nurse": 409},
        API_DENIED,
        api=True,
        data=lambda ctx: {"version": 1, "reason": "new goal"},
    ),
    "treatment-api:plan-review": Case(
        "POST",
        api_plan("v1", "reviews/"),
        {"nurse": 201},
        API_DENIED,
        api=True,
        data=lambda ctx: {"note": "still fits"},
    ),
    "treatment-api:intervention-list": Case(
        "POST",
        api_plan("v2", "interventions/"),
        {"nurse": 201},
        API_DENIED,
        api=True,
        data=lambda ctx: {
            "problem": "p1",
            "modality": "cbt",
            "frequency": "weekly",
            "responsible": ctx.nurse.pk,
            "revision": 1,
        },
    ),
    "treatment-api:objective-status": Case(
        "GET", api_patient("objective-status/"), {"nurse": 200}, API_DENIED, api=True
    ),
    "treatment-api:progress-note-list": Case(
        "POST",
        api_patient("progress-notes/"),
        {"nurse": 201},
        API_DENIED,
        api=True,
        data=lambda ctx: {"body": "Better", "occurred_at": timezone.now().isoformat()},
    ),
    "treatment-api:counseling-note-list": Case(
        "GET", api_patient("counseling-notes/"), {"team_counselor": 200}, API_DENIED | {"nurse": 403}, api=True
    ),
    "treatment-api:template-list": Case(
        "GET", lambda ctx: "/api/v1/treatment/templates/", {"nurse": 200}, {"kiosk": 401, "anonymous": 401}, api=True
    ),
    "treatment-api:session-list": Case(
        "GET",
        lambda ctx: "/api/v1/sessions/",
        {"nurse": 200},
        {"north_nurse": 404, "kiosk": 401, "anonymous": 401},
        api=True,
        extra=["?program=harbor"],
    ),
    "treatment-api:session-detail": Case(
        "GET", api_session("started"), {"nurse": 200}, {"north_nurse": 404, "kiosk": 401, "anonymous": 401}, api=True
    ),
    "treatment-api:session-roster": Case(
        "POST",
        api_session("empty", "roster/"),
        {"nurse": 201},
        {"counselor_off_team": 400, "intake": 403, "north_nurse": 404, "kiosk": 401, "anonymous": 401},
        api=True,
        data=lambda ctx: {"patient": ctx.patient.pk},
    ),
    "treatment-api:session-attendance": Case(
        "POST",
        api_session("started", "attendance/"),
        {"nurse": 200},
        {"counselor_off_team": 400, "intake": 403, "north_nurse": 404, "kiosk": 401, "anonymous": 401},
        api=True,
        data=lambda ctx: {"patient": ctx.patient.pk, "status": "late"},
    ),
    "treatment-api:session-group-note": Case(
        "POST",
        api_session("started", "group-note/"),
        {"nurse": 201},
        {"intake": 403, "north_nurse": 404, "kiosk": 401, "anonymous": 401},
        api=True,
        data=lambda ctx: {"body": "Group", "entries": {str(ctx.patient.pk): "ok"}},
    ),
}
MATRIX |= TREATMENT_MATRIX


def consent_text(ctx):
    """A consent form of the program (made without an audit line, like the other helpers)."""
    from waypoint.regulatory.models import ConsentText, text_hash
    from waypoint.regulatory.services import tpo_terms

    text = ConsentText.objects.filter(program=ctx.program).first()
    if text is None:
        text = ConsentText.objects.create(
            program=ctx.program,
            series="matrix",
            version=1,
            kind="specific",
            title="Sharing",
            body="Plain words.",
            terms=tpo_terms(ctx.program),
            full_text="Sharing",
            sha256=text_hash("Sharing"),
            created_by=ctx.nurse,
        )
    return text.pk


def signed_consent(ctx):
    """The context's consent, signed on the kiosk session the nurse opened on the device (if any)."""
    from waypoint.regulatory.models import ConsentSignature, ConsentText
    from waypoint.withdrawal.models import KioskSession

    if not ConsentSignature.objects.filter(consent=ctx.consent).exists():
        text = ConsentText.objects.get(pk=consent_text(ctx))
        kiosk = KioskSession.objects.filter(patient=ctx.patient).order_by("-pk").first()
        ConsentSignature.objects.create(
            program=ctx.program,
            patient=ctx.patient,
            consent=ctx.consent,
            text=text,
            text_sha256=text.sha256,
            method="typed",
            typed_name="Maria Rivera",
            attested=True,
            signer_name="Maria Rivera",
            kiosk_session_id=kiosk.pk if kiosk else None,
        )
    return ctx.consent.pk


def breach_id(ctx):
    from waypoint.regulatory.models import Breach

    breach = Breach.objects.filter(program=ctx.program).first() or Breach.objects.create(
        program=ctx.program,
        title="Lost laptop",
        discovered_on=ctx.program.today(),
        description="lost",
        information_involved="charts",
        window_start=timezone.now() - timedelta(days=3),
        window_end=timezone.now(),
        recorded_by=ctx.nurse,
    )
    return breach.pk


def pdmp_check_with_report(ctx):
    """A PDMP check of the context's patient with its report file (no audit line)."""
    from waypoint.regulatory.models import PdmpCheck

    check = PdmpCheck.objects.filter(patient=ctx.patient).first() or PdmpCheck.objects.create(
        program=ctx.program,
        patient=ctx.patient,
        state="NY",
        checked_at=timezone.now(),
        checked_by=ctx.nurse,
        findings="None",
        report_file=b"%PDF-1.7 matrix",
        report_file_name="report.pdf",
        report_file_type="application/pdf",
        report_file_sha256="0" * 64,
    )
    return check.pk


MATRIX_REGISTRY = "Matrix central registry"  # the one disclosure the matrix itself makes (to address a report)


def registry_report_id(ctx):
    """A central-registry report of the context's patient, sent under the context's consent (no audit line)."""
    from waypoint.privacy.models import Disclosure
    from waypoint.regulatory.models import RegistryReport

    report = RegistryReport.objects.filter(program=ctx.program).first()
    if report is None:
        disclosure = Disclosure.objects.create(
            program=ctx.program,
            patient=ctx.patient,
            consent=ctx.consent,
            recipient=MATRIX_REGISTRY,
            purpose="other",
            information=["demographics", "moud"],
            notice="Part 2 notice",
            disclosed_by=ctx.nurse,
            channel="registry",
        )
        report = RegistryReport.objects.create(
            program=ctx.program,
            patient=ctx.patient,
            disclosure=disclosure,
            registry=MATRIX_REGISTRY,
            event="admission",
            event_date=ctx.program.today(),
            payload={"event": "admission"},
            adapter="test double",
        )
    return report.pk


OFFICER_PAGE_DENIED = {"nurse": 403, "north_nurse": 403, "kiosk": 302, "anonymous": 302}
KIOSK_PAGE_DENIED = {"nurse": 403, "anonymous": 403}
REGULATORY_MATRIX = {
    "regulatory:texts": Case(
        "GET", lambda ctx: reverse("regulatory:texts"), {"privacy_officer": 200}, OFFICER_PAGE_DENIED
    ),
    "regulatory:text-start-tpo": Case(
        "POST", lambda ctx: reverse("regulatory:text-start-tpo"), {"privacy_officer": 302}, OFFICER_PAGE_DENIED
    ),
    "regulatory:text": Case(
        "GET",
        lambda ctx: reverse("regulatory:text", args=[consent_text(ctx)]),
        {"privacy_officer": 200},
        OFFICER_PAGE_DENIED,
    ),
    "regulatory:text-revise": Case(
        "GET",
        lambda ctx: reverse("regulatory:text-revise", args=[consent_text(ctx)]),
        {"privacy_officer": 200},
        OFFICER_PAGE_DENIED,
    ),
    "regulatory:review": Case(
        "GET", lambda ctx: reverse("regulatory:review"), {"privacy_officer": 200}, OFFICER_PAGE_DENIED
    ),
    "regulatory:breaches": Case(
        "GET", lambda ctx: reverse("regulatory:breaches"), {"privacy_officer": 200}, OFFICER_PAGE_DENIED
    ),
    "regulatory:breach-new": Case(
        "GET", lambda ctx: reverse("regulatory:breach-new"), {"privacy_officer": 200}, OFFICER_PAGE_DENIED
    ),
    "regulatory:breach": Case(
        "GET",
        lambda ctx: reverse("regulatory:breach", args=[breach_id(ctx)]),
        {"privacy_officer": 200},
        OFFICER_PAGE_DENIED,
    ),
    "regulatory:signed-copy": Case(
        "GET",
        lambda ctx: reverse("regulatory:signed-copy", args=[ctx.patient.pk, signed_consent(ctx)]),
        {"nurse": 200},
        PAGE_DENIED,
    ),
    "regulatory:pdmp": Case("GET", patient_url("regulatory:pdmp"), {"prescriber": 200}, PAGE_DENIED | {"nurse": 403}),
    "regulatory:pdmp-report": Case(
        "GET",
        lambda ctx: reverse("regulatory:pdmp-report", args=[ctx.patient.pk, pdmp_check_with_report(ctx)]),
        {"prescriber": 200},
        PAGE_DENIED | {"nurse": 403},
    ),
    "regulatory:dual-enrollment": Case("GET", patient_url("regulatory:dual-enrollment"), {"nurse": 200}, PAGE_DENIED),
    "regulatory:registry-reports": Case(
        "GET", lambda ctx: reverse("regulatory:registry-reports"), {"privacy_officer": 200}, OFFICER_PAGE_DENIED
    ),
    "regulatory:registry-report": Case(
        "GET",
        lambda ctx: reverse("regulatory:registry-report", args=[registry_report_id(ctx)]),
        {"privacy_officer": 200},
        OFFICER_PAGE_DENIED,
    ),
    "kiosk-consent:list": Case("GET", lambda ctx: reverse("kiosk-consent:list"), {"kiosk": 200}, KIOSK_PAGE_DENIED),
    "kiosk-consent:sign": Case(
        "GET", lambda ctx: reverse("kiosk-consent:sign", args=[consent_text(ctx)]), {"kiosk": 200}, KIOSK_PAGE_DENIED
    ),
    "kiosk-consent:copy": Case(
        "GET",
        lambda ctx: reverse("kiosk-consent:copy", args=[signed_consent(ctx)]),
        {"kiosk": 200},
        KIOSK_PAGE_DENIED,
    ),
}
MATRIX |= REGULATORY_MATRIX


def url_names(patterns=None, namespace=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}" if entry.name else f"<unnamed {entry.pattern}>"


def test_every_url_pattern_is_in_the_matrix():
    names = set(url_names())
    assert names - PUBLIC - set(MATRIX) == set(), "URL patterns without permission tests"
    assert set(MATRIX) - names == set(), "matrix rows for URLs that no longer exist"


def test_every_row_has_an_allowed_and_a_denied_persona():
    for name, case in MATRIX.items():
        assert case.allowed and case.denied, name


def kiosk_device(ctx):
    """A device on which the care-team nurse opened the kiosk for the patient (no staff session left on it)."""
    device = verified_login(Client(), ctx.nurse)
    device.post(reverse("withdrawal:kiosk-open", args=[ctx.patient.pk]))
    return device


def rows(kind):
    for name, case in MATRIX.items():
        for persona, status in getattr(case, kind).items():
            yield pytest.param(name, persona, status, id=f"{name}-{persona}")


def request_as(persona, name, ctx, request, api, page):
    case = MATRIX[name]
    if persona == "kiosk":
        client = kiosk_device(ctx)
    else:
        user = None if persona == "anonymous" else request.getfixturevalue(persona)
        client = api(user) if case.api else page(user)
    data = case.data(ctx) if case.data else None
    kwargs = {"format": "json"} if case.api and data is not None else {}
    if case.headers:
        kwargs["headers"] = case.headers
    url = case.url(ctx) + (case.extra[0] if case.extra and persona == "north_nurse" else "")
    return getattr(client, case.method.lower())(url, data, **kwargs)


@pytest.mark.parametrize(("name", "persona", "status"), list(rows("allowed")))
def test_allowed_persona_reaches_the_url(name, persona, status, ctx, request, api, page):
    response = request_as(persona, name, ctx, request, api, page)
    assert response.status_code == status


@pytest.mark.parametrize(("name", "persona", "status"), list(rows("denied")))
def test_denied_persona_is_turned_away_and_nothing_is_written(name, persona, status, ctx, request, api, page):
    before_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = request_as(persona, name, ctx, request, api, page)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    written = AuditEvent.objects.filter(pk__gt=before_id)
    expected = ["kiosk.open"] if persona == "kiosk" else []
    if status in (403, 404) and persona not in ("kiosk", "anonymous"):
        expected.append("access.denied")  # a refusal is recorded: who, which URL, why (one event per request)
    if name == "privacy:break-glass" and status == 200:
        expected.append("chart.break_glass")  # a refused break-the-glass attempt is recorded as denied
    assert sorted(written.values_list("action", flat=True)) == sorted(expected)
    assert all(event.outcome == "denied" for event in written.exclude(action="kiosk.open"))
    ctx.episode.refresh_from_db()
    ctx.assessment.refresh_from_db()
    assert ctx.episode.is_open and ctx.episode.stays.count() == 1
    assert ctx.assessment.record_status == "final" and Assessment.objects.count() == 1
    assert not Disclosure.objects.exclude(recipient=MATRIX_REGISTRY).exists()
    assert Consent.objects.get().revoked_on is None
