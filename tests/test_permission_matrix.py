"""The permission matrix: every URL pattern of the project, with personas who may reach it and who may not.

A new URL fails `test_every_url_pattern_is_in_the_matrix` until it gets its rows here: each needs at least
one allowed persona and one denied persona. Personas: `nurse` (on the patient's care team),
`counselor_off_team` (same program, other team), `north_nurse` (other program), `kiosk` (a patient
self-report session opened on a device for the care-team patient), `anonymous`.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.conftest import COWS
from waypoint.placements.models import Referral
from waypoint.privacy.models import AuditEvent, Consent, Disclosure
from waypoint.withdrawal.models import Assessment

# Reachable by anyone by design: signing in, the health check, the API's own description.
PUBLIC = {"login", "logout", "healthz", "api-schema"}

PAGE_DENIED = {"counselor_off_team": 404, "north_nurse": 404, "kiosk": 302, "anonymous": 302}
API_DENIED = {"counselor_off_team": 404, "north_nurse": 404, "kiosk": 401, "anonymous": 401}
SOWS = dict.fromkeys(("anxious", "yawning", "perspiring", "tearing", "nose_running", "goose_flesh", "shaking",
                      "hot_flashes", "cold_flashes", "aches", "restless", "nauseous", "vomiting", "twitching",
                      "stomach_cramps", "urge_to_use"), 1)


def today_local(ctx):
    return timezone.localdate(timezone=ctx.program.tz).isoformat()


def now_local(ctx):
    return timezone.localtime(timezone=ctx.program.tz).strftime("%Y-%m-%dT%H:%M")


@dataclass
class Case:
    method: str
    url: callable
    allowed: dict
    denied: dict
    data: callable = None
    api: bool = False
    extra: list = field(default_factory=list)


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
        ctx.referral = Referral.objects.create(program=ctx.program, name="Sam Lee", contact="555", source="self",
                                               received_at=timezone.now() - timedelta(days=1),
                                               requested_level="3.5", created_by=ctx.nurse)
    return ctx.referral.pk


def moud_order(ctx):
    """An active buprenorphine order for the patient (made once per test, without an audit line, like the
    referral above)."""
    from decimal import Decimal

    from waypoint.medication.models import MedicationOrder

    if getattr(ctx, "moud_order", None) is None:
        prescriber = type(ctx.nurse).objects.filter(memberships__role="prescriber").first() or ctx.nurse
        ctx.moud_order = MedicationOrder.objects.create(
            program=ctx.program, patient=ctx.patient, medication="buprenorphine", dose=Decimal("8"),
            route="sublingual", frequency="once daily", start_at=timezone.now() - timedelta(days=1),
            prescriber=prescriber)
    return ctx.moud_order.pk


def moud_dose(ctx):
    """A given dose against that order (no audit line)."""
    from decimal import Decimal

    from waypoint.medication.models import Administration

    if getattr(ctx, "moud_dose", None) is None:
        moud_order(ctx)
        ctx.moud_dose = Administration.objects.create(
            program=ctx.program, patient=ctx.patient, order=ctx.moud_order, status="given", dose=Decimal("4"),
            at=timezone.now() - timedelta(hours=1), given_by=ctx.nurse)
    return ctx.moud_dose.pk


def drug_screen(ctx):
    """A urine drug screen of the patient (no audit line)."""
    from waypoint.drug_screens.models import DrugScreen

    if getattr(ctx, "drug_screen", None) is None:
        ctx.drug_screen = DrugScreen.objects.create(
            program=ctx.program, patient=ctx.patient, collected_at=timezone.now() - timedelta(hours=1),
            observed=True, results={"fentanyl": "positive"}, recorded_by=ctx.nurse)
    return ctx.drug_screen.pk


OUTCOMES_DENIED = {"nurse": 403, "counselor_off_team": 403, "north_nurse": 403, "kiosk": 302, "anonymous": 302}
REFERRAL_PAGE_DENIED = {"north_nurse": 404, "kiosk": 302, "anonymous": 302}
REFERRAL_API_DENIED = {"north_nurse": 404, "kiosk": 401, "anonymous": 401}


MATRIX = {
    "home": Case("GET", lambda ctx: reverse("home"), {"nurse": 302}, {"anonymous": 302}),
    "switch-program": Case("POST", lambda ctx: reverse("switch-program"), {"nurse": 302}, {"anonymous": 302},
                           data=lambda ctx: {"program": ctx.program.pk}),
    "patients:list": Case("GET", lambda ctx: reverse("patients:list"), {"nurse": 200, "counselor_off_team": 200},
                          {"anonymous": 302}),
    "patients:register": Case("GET", lambda ctx: reverse("patients:register"), {"nurse": 200},
                              {"counselor_off_team": 403, "anonymous": 302}),
    "patients:census": Case("GET", lambda ctx: reverse("patients:census"), {"nurse": 200}, {"anonymous": 302}),
    "patients:chart": Case("GET", patient_url("patients:chart"), {"nurse": 200}, PAGE_DENIED),
    "patients:edit": Case("POST", patient_url("patients:edit"), {"nurse": 302}, PAGE_DENIED,
                          data=lambda ctx: {"mrn": ctx.patient.mrn, "given_name": "Maria", "family_name": "Rivera",
                                            "birth_date": "1988-04-12", "sex_at_birth": "female",
                                            "phone": "555-0100"}),
    "patients:admit": Case("GET", patient_url("patients:admit"), {"nurse": 200}, PAGE_DENIED),
    "patients:transfer": Case("POST", episode_url("patients:transfer"), {"nurse": 302}, PAGE_DENIED,
                              data=lambda ctx: {"at": now_local(ctx), "level_of_care": "3.5", "reason": "stable"}),
    "patients:discharge": Case("POST", episode_url("patients:discharge"), {"nurse": 302}, PAGE_DENIED,
                               data=lambda ctx: {"discharged_at": now_local(ctx), "reason": "completed"}),
    "patients-api:patient-list": Case("GET", lambda ctx: "/api/v1/patients/", {"nurse": 200},
                                      {"anonymous": 401}, api=True),
    "patients-api:patient-detail": Case("GET", lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/", {"nurse": 200},
                                        API_DENIED, api=True),
    "patients-api:episode-list": Case("POST", lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/episodes/",
                                      {"nurse": 400}, API_DENIED, api=True,
                                      data=lambda ctx: {"admitted_at": timezone.now().isoformat(),
                                                        "level_of_care": "3.5"}),
    "patients-api:episode-detail": Case("GET", lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/episodes/"
                                        f"{ctx.episode.pk}/", {"nurse": 200}, API_DENIED, api=True),
    "patients-api:episode-transfer": Case("POST", lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/episodes/"
                                          f"{ctx.episode.pk}/transfer/", {"nurse": 201}, API_DENIED, api=True,
                                          data=lambda ctx: {"at": timezone.now().isoformat(),
                                                            "level_of_care": "3.5", "reason": "stable"}),
    "patients-api:episode-discharge": Case("POST", lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/episodes/"
                                           f"{ctx.episode.pk}/discharge/", {"nurse": 200}, API_DENIED, api=True,
                                           data=lambda ctx: {"discharged_at": timezone.now().isoformat(),
                                                             "reason": "completed"}),
    "patients-api:census": Case("GET", lambda ctx: "/api/v1/census/", {"nurse": 200}, {"anonymous": 401}, api=True),
    "privacy:break-glass": Case("POST", lambda ctx: reverse("privacy:break-glass"), {"counselor_off_team": 302},
                                {"north_nurse": 200, "kiosk": 302, "anonymous": 302},
                                data=lambda ctx: {"mrn": ctx.patient.mrn, "reason": "unresponsive, need the chart"}),
    "privacy:break-glass-report": Case("GET", lambda ctx: reverse("privacy:break-glass-report"),
                                       {"privacy_officer": 200}, {"nurse": 403, "kiosk": 302, "anonymous": 302}),
    "privacy:patient": Case("GET", patient_url("privacy:patient"), {"nurse": 200}, PAGE_DENIED),
    "privacy:consent-new": Case("GET", patient_url("privacy:consent-new"), {"nurse": 200}, PAGE_DENIED),
    "privacy:consent-revoke": Case("POST", lambda ctx: reverse("privacy:consent-revoke",
                                                              args=[ctx.patient.pk, ctx.consent.pk]),
                                   {"nurse": 302}, PAGE_DENIED,
                                   data=lambda ctx: {"revoked_on": today_local(ctx), "revocation_note": "letter"}),
    "privacy:disclose": Case("POST", patient_url("privacy:disclose"), {"nurse": 200}, PAGE_DENIED,
                             data=lambda ctx: {"recipient": "Riverside Primary Care", "purpose": "treatment",
                                               "information": ["episodes"]}),
    "privacy:accounting-csv": Case("GET", patient_url("privacy:accounting-csv"), {"nurse": 200}, PAGE_DENIED),
    "withdrawal:board": Case("GET", lambda ctx: reverse("withdrawal:board"), {"nurse": 200, "counselor_off_team": 200},
                             {"kiosk": 302, "anonymous": 302}),
    "withdrawal:flowsheet": Case("GET", patient_url("withdrawal:flowsheet"), {"nurse": 200}, PAGE_DENIED),
    "withdrawal:record": Case("POST", patient_url("withdrawal:record", "cows"), {"nurse": 302}, PAGE_DENIED,
                              data=lambda ctx: {"taken_at": now_local(ctx), **COWS}),
    "withdrawal:amend": Case("POST", assessment_url("withdrawal:amend"), {"nurse": 302}, PAGE_DENIED,
                             data=lambda ctx: {"taken_at": now_local(ctx), **COWS, "gooseflesh": 3,
                                               "reason": "rescored", "version": 1}),
    "withdrawal:entered-in-error": Case("POST", assessment_url("withdrawal:entered-in-error"), {"nurse": 302},
                                        PAGE_DENIED, data=lambda ctx: {"reason": "wrong patient", "version": 1}),
    "withdrawal:kiosk-open": Case("POST", patient_url("withdrawal:kiosk-open"), {"nurse": 302}, PAGE_DENIED),
    "kiosk:start": Case("GET", lambda ctx: reverse("kiosk:start"), {"kiosk": 200}, {"nurse": 403, "anonymous": 403}),
    "kiosk:report": Case("POST", lambda ctx: reverse("kiosk:report", args=["sows-handelsman"]), {"kiosk": 302},
                         {"nurse": 403, "north_nurse": 403, "anonymous": 403}, data=lambda ctx: SOWS),
    "kiosk:finish": Case("POST", lambda ctx: reverse("kiosk:finish"), {"kiosk": 302, "anonymous": 302},
                         {"nurse": 302}),
    "withdrawal-api:assessment-list": Case("POST", lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/assessments/",
                                           {"nurse": 201}, API_DENIED, api=True,
                                           data=lambda ctx: {"instrument": "cows", "responses": COWS,
                                                             "taken_at": timezone.now().isoformat()}),
    "withdrawal-api:assessment-detail": Case("GET", api_assessment(), {"nurse": 200}, API_DENIED, api=True),
    "withdrawal-api:amend": Case("POST", api_assessment("amend/"), {"nurse": 201}, API_DENIED, api=True,
                                 data=lambda ctx: {"responses": COWS, "reason": "rescored", "version": 1}),
    "withdrawal-api:entered-in-error": Case("POST", api_assessment("entered-in-error/"), {"nurse": 200}, API_DENIED,
                                            api=True, data=lambda ctx: {"reason": "wrong patient", "version": 1}),
    "withdrawal-api:instrument-list": Case("GET", lambda ctx: "/api/v1/instruments/", {"nurse": 200},
                                           {"kiosk": 401, "anonymous": 401}, api=True),
    "withdrawal-api:instrument-detail": Case("GET", lambda ctx: "/api/v1/instruments/cows/", {"nurse": 200},
                                             {"kiosk": 401, "anonymous": 401}, api=True),
    "withdrawal-api:board": Case("GET", lambda ctx: "/api/v1/withdrawal/board/", {"nurse": 200},
                                 {"north_nurse": 404, "kiosk": 401, "anonymous": 401}, api=True,
                                 extra=["?program=harbor"]),
    "placements:placement": Case("POST", patient_url("placements:placement"), {"nurse": 302}, PAGE_DENIED,
                                 data=lambda ctx: {"at": now_local(ctx), **{f"rating_d{n}": 1 for n in range(1, 7)}}),
    "placements:rule-table": Case("GET", lambda ctx: reverse("placements:rule-table"),
                                  {"nurse": 200, "counselor_off_team": 200}, {"kiosk": 302, "anonymous": 302}),
    "placements-api:placement-list": Case("POST", lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/placements/",
                                          {"nurse": 201}, API_DENIED, api=True,
                                          data=lambda ctx: {"ratings": {f"d{n}": 1 for n in range(1, 7)}}),
    "placements-api:rule-table": Case("GET", lambda ctx: "/api/v1/placement/rules/", {"nurse": 200},
                                      {"kiosk": 401, "anonymous": 401}, api=True),
    "placements:waitlist": Case("GET", lambda ctx: reverse("placements:waitlist"),
                                {"nurse": 200, "counselor_off_team": 200}, {"kiosk": 302, "anonymous": 302}),
    "placements:referral-new": Case("POST", lambda ctx: reverse("placements:referral-new"), {"nurse": 302},
                                    {"counselor_off_team": 403, "kiosk": 302, "anonymous": 302},
                                    data=lambda ctx: {"name": "Ana", "contact": "555", "source": "self",
                                                      "received_at": now_local(ctx), "urgency": "routine",
                                                      "requested_level": "1"}),
    "placements:referral": Case("GET", lambda ctx: reverse("placements:referral", args=[referral_id(ctx)]),
                                {"nurse": 200, "counselor_off_team": 200}, REFERRAL_PAGE_DENIED),
    "placements:referral-admit": Case("POST", lambda ctx: reverse("placements:referral-admit",
                                                                  args=[referral_id(ctx)]),
                                      {"nurse": 400}, REFERRAL_PAGE_DENIED | {"counselor_off_team": 403},
                                      data=lambda ctx: {"mrn": ctx.patient.mrn, "admitted_at": now_local(ctx)}),
    "placements:referral-close": Case("POST", lambda ctx: reverse("placements:referral-close",
                                                                  args=[referral_id(ctx)]),
                                      {"nurse": 302}, REFERRAL_PAGE_DENIED | {"counselor_off_team": 403},
                                      data=lambda ctx: {"status": "closed", "reason": "no answer"}),
    "placements-api:referral-list": Case("GET", lambda ctx: "/api/v1/referrals/",
                                         {"nurse": 200, "counselor_off_team": 200},
                                         {"kiosk": 401, "anonymous": 401}, api=True),
    "placements-api:referral-detail": Case("GET", lambda ctx: f"/api/v1/referrals/{referral_id(ctx)}/",
                                           {"nurse": 200, "counselor_off_team": 200}, REFERRAL_API_DENIED, api=True),
    "placements-api:referral-admit": Case("POST", lambda ctx: f"/api/v1/referrals/{referral_id(ctx)}/admit/",
                                          {"nurse": 400}, REFERRAL_API_DENIED | {"counselor_off_team": 403},
                                          api=True, data=lambda ctx: {"patient": ctx.patient.pk,
                                                                      "admitted_at": timezone.now().isoformat()}),
    "placements-api:referral-close": Case("POST", lambda ctx: f"/api/v1/referrals/{referral_id(ctx)}/close/",
                                          {"nurse": 200}, REFERRAL_API_DENIED | {"counselor_off_team": 403},
                                          api=True, data=lambda ctx: {"status": "closed", "reason": "no answer"}),
    "placements:due": Case("GET", lambda ctx: reverse("placements:due"), {"nurse": 200, "counselor_off_team": 200},
                           {"kiosk": 302, "anonymous": 302}),
    "audit:trail": Case("GET", lambda ctx: reverse("audit:trail"), {"privacy_officer": 200},
                        {"nurse": 403, "counselor_off_team": 403, "north_nurse": 403, "kiosk": 302,
                         "anonymous": 302}),
    "screening:history": Case("GET", patient_url("screening:history"), {"nurse": 200}, PAGE_DENIED),
    "screening:screen": Case("GET", patient_url("screening:screen"), {"nurse": 200}, PAGE_DENIED),
    "screening:follow-up": Case("POST", lambda ctx: reverse("screening:follow-up", args=[ctx.patient.pk,
                                                                                          ctx.follow_up.pk]),
                                {"nurse": 302}, PAGE_DENIED, data=lambda ctx: {"status": "ordered"}),
    "screening:naloxone": Case("GET", patient_url("screening:naloxone"), {"nurse": 200}, PAGE_DENIED),
    "screening:events": Case("GET", patient_url("screening:events"), {"nurse": 200}, PAGE_DENIED),
    "screening:risk": Case("GET", patient_url("screening:risk"), {"nurse": 200}, PAGE_DENIED),
    "screening:handout": Case("GET", patient_url("screening:handout"), {"nurse": 200}, PAGE_DENIED),
    "screening:worklist": Case("GET", lambda ctx: reverse("screening:worklist"),
                               {"nurse": 200, "counselor_off_team": 200}, {"kiosk": 302, "anonymous": 302}),
    "screening-api:history": Case("GET", api_patient("history/"), {"nurse": 200}, API_DENIED, api=True),
    "screening-api:screens": Case("GET", api_patient("screens/"), {"nurse": 200}, API_DENIED, api=True),
    "screening-api:follow-ups": Case("GET", api_patient("follow-ups/"), {"nurse": 200}, API_DENIED, api=True),
    "screening-api:follow-up": Case("POST", lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/follow-ups/"
                                    f"{ctx.follow_up.pk}/", {"nurse": 200}, API_DENIED, api=True,
                                    data=lambda ctx: {"status": "ordered"}),
    "screening-api:overdose-risk": Case("GET", api_patient("overdose-risk/"), {"nurse": 200}, API_DENIED, api=True),
    "screening-api:naloxone": Case("GET", api_patient("naloxone/"), {"nurse": 200}, API_DENIED, api=True),
    "screening-api:events": Case("GET", api_patient("events/"), {"nurse": 200}, API_DENIED, api=True),
    "patients:progress": Case("GET", patient_url("patients:progress"), {"nurse": 200, "intake": 200}, PAGE_DENIED),
    "medication:page": Case("GET", patient_url("medication:page"), {"nurse": 200, "prescriber": 200}, PAGE_DENIED),
    "medication:order-new": Case("POST", patient_url("medication:order-new"), {"prescriber": 302},
                                 PAGE_DENIED | {"nurse": 403},
                                 data=lambda ctx: {"medication": "buprenorphine_naloxone", "dose": "8",
                                                   "route": "sublingual", "frequency": "once daily",
                                                   "phase": "maintenance", "start_at": now_local(ctx)}),
    "medication:order-stop": Case("POST", lambda ctx: reverse("medication:order-stop",
                                                              args=[ctx.patient.pk, moud_order(ctx)]),
                                  {"prescriber": 302}, PAGE_DENIED | {"nurse": 403},
                                  data=lambda ctx: {"stop_at": now_local(ctx), "reason": "switched"}),
    "medication:administer": Case("POST", patient_url("medication:administer"), {"nurse": 302, "prescriber": 302},
                                  PAGE_DENIED | {"intake": 403},
                                  data=lambda ctx: {"order": moud_order(ctx), "status": "given", "dose": "4",
                                                    "at": now_local(ctx)}),
    "drug_screens:page": Case("POST", patient_url("drug_screens:page"), {"nurse": 302}, PAGE_DENIED | {"intake": 403},
                              data=lambda ctx: {"collected_at": now_local(ctx), "observed": "yes",
                                                "result_fentanyl": "positive"}),
    "medication:entered-in-error": Case("POST", lambda ctx: reverse("medication:entered-in-error",
                                                                    args=[ctx.patient.pk, moud_dose(ctx)]),
                                        {"nurse": 302}, PAGE_DENIED | {"intake": 403},
                                        data=lambda ctx: {"reason": "wrong patient"}),
    "drug_screens:entered-in-error": Case("POST", lambda ctx: reverse("drug_screens:entered-in-error",
                                                                      args=[ctx.patient.pk, drug_screen(ctx)]),
                                          {"nurse": 302}, PAGE_DENIED | {"intake": 403},
                                          data=lambda ctx: {"reason": "wrong specimen label"}),
    "medication-api:administration-error": Case(
        "POST", lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/moud-administrations/{moud_dose(ctx)}/"
                            "entered-in-error/",
        {"nurse": 200}, API_DENIED | {"intake": 403}, api=True, data=lambda ctx: {"reason": "wrong patient"}),
    "drug-screens-api:entered-in-error": Case(
        "POST", lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/drug-screens/{drug_screen(ctx)}/entered-in-error/",
        {"nurse": 200}, API_DENIED | {"intake": 403}, api=True, data=lambda ctx: {"reason": "wrong label"}),
    "outcomes:dashboard": Case("GET", lambda ctx: reverse("outcomes:dashboard"), {"director": 200}, OUTCOMES_DENIED),
    "outcomes:csv": Case("GET", lambda ctx: reverse("outcomes:csv"), {"director": 200}, OUTCOMES_DENIED),
    "medication-api:orders": Case("POST", api_patient("moud-orders/"), {"prescriber": 201},
                                  API_DENIED | {"nurse": 403}, api=True,
                                  data=lambda ctx: {"medication": "methadone", "dose": "30", "route": "oral",
                                                    "frequency": "once daily",
                                                    "start_at": timezone.now().isoformat()}),
    "medication-api:order-stop": Case("POST", lambda ctx: f"/api/v1/patients/{ctx.patient.pk}/moud-orders/"
                                      f"{moud_order(ctx)}/stop/", {"prescriber": 200}, API_DENIED | {"nurse": 403},
                                      api=True, data=lambda ctx: {"stop_at": timezone.now().isoformat(),
                                                                  "reason": "switched"}),
    "medication-api:administrations": Case("POST", api_patient("moud-administrations/"), {"nurse": 201},
                                           API_DENIED | {"intake": 403}, api=True,
                                           data=lambda ctx: {"order": moud_order(ctx), "status": "given",
                                                             "dose": "4", "at": timezone.now().isoformat()}),
    "drug-screens-api:screens": Case("POST", api_patient("drug-screens/"), {"nurse": 201},
                                     API_DENIED | {"intake": 403}, api=True,
                                     data=lambda ctx: {"collected_at": timezone.now().isoformat(), "observed": True,
                                                       "results": {"fentanyl": "negative"}}),
    "outcomes-api:outcomes": Case("GET", lambda ctx: "/api/v1/outcomes/", {"director": 200},
                                  {"nurse": 403, "north_nurse": 403, "kiosk": 401, "anonymous": 401}, api=True),
}


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
    device = Client()
    device.force_login(ctx.nurse)
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
    url = case.url(ctx) + (case.extra[0] if case.extra and persona == "north_nurse" else "")
    return getattr(client, case.method.lower())(url, data, **kwargs)


@pytest.mark.parametrize(("name", "persona", "status"), list(rows("allowed")))
def test_allowed_persona_reaches_the_url(name, persona, status, ctx, request, api, page):
    response = request_as(persona, name, ctx, request, api, page)
    assert response.status_code == status


@pytest.mark.parametrize(("name", "persona", "status"), list(rows("denied")))
def test_denied_persona_is_turned_away_and_nothing_is_written(name, persona, status, ctx, request, api, page):
    before = AuditEvent.objects.count()
    response = request_as(persona, name, ctx, request, api, page)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    assert AuditEvent.objects.count() == before + (1 if persona == "kiosk" else 0)  # kiosk.open
    ctx.episode.refresh_from_db()
    ctx.assessment.refresh_from_db()
    assert ctx.episode.is_open and ctx.episode.stays.count() == 1
    assert ctx.assessment.status == "final" and Assessment.objects.count() == 1
    assert not Disclosure.objects.exists() and Consent.objects.get().revoked_on is None
