"""Attacks a clinical system must shrug off: stored XSS in every free-text field, cross-site request forgery."""

import inspect
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from conftest import PASSWORD, authenticator_of, verified_login
from tests.test_permission_matrix import MATRIX
from waypoint.patients import services as patients
from waypoint.privacy import services as privacy
from waypoint.privacy.models import AuditEvent
from waypoint.withdrawal import services as withdrawal

PAYLOAD = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
GROUP_PAYLOAD = '<svg onload=alert("group")></svg><script>alert("group")</script>'


def poisoned_rule_table(administrator, program):
    """A rule table version whose note, name, notice and a rule's id and 'why' carry the payload."""
    from waypoint.placement.rules import default_table
    from waypoint.placements import rule_tables

    table = default_table(program.asam_edition)
    table.update(name=PAYLOAD, notice=PAYLOAD)
    table["rules"].append({"id": PAYLOAD, "when": [{"dimension": 1, "at_least": 4}], "level": "3.7", "why": PAYLOAD})
    return rule_tables.save_version(acting_user=administrator, program=program, table=table, note=PAYLOAD)


@pytest.fixture
def poisoned(ctx, nurse, counselor_off_team, administrator):
    """Every free-text field a user can type, filled with a script payload."""
    text_fields = (
        "given_name",
        "family_name",
        "preferred_name",
        "gender_identity",
        "pronouns",
        "preferred_language",
        "phone",
        "address_line",
        "city",
        "state",
        "emergency_contact_name",
        "emergency_contact_relationship",
        "emergency_contact_phone",
        "allergies",
        "alerts",
    )
    patients.update_patient(
        acting_user=nurse,
        patient=ctx.patient,
        **{
            f: PAYLOAD[:30]
            if f in ("pronouns", "phone", "emergency_contact_phone", "state", "preferred_language")
            else PAYLOAD
            for f in text_fields
        },
    )
    patients.transfer(
        acting_user=nurse,
        episode=ctx.episode,
        at=timezone.now() - timedelta(minutes=30),
        level_code="3.5",
        reason=PAYLOAD,
    )
    withdrawal.record_assessment(
        acting_user=nurse,
        patient=ctx.patient,
        instrument="craving-nrs",
        responses={"craving": 4},
        taken_at=timezone.now() - timedelta(minutes=20),
        note=PAYLOAD,
        late_entry_reason=PAYLOAD,
    )
    withdrawal.mark_entered_in_error(acting_user=nurse, assessment=ctx.assessment, reason=PAYLOAD)
    consent = privacy.record_consent(
        acting_user=nurse,
        patient=ctx.patient,
        disclosing_party=PAYLOAD,
        information=["all_sud_records"],
        information_description=PAYLOAD,
        recipients=[PAYLOAD],
        purposes=["treatment"],
        expiry="event",
        expiry_event=PAYLOAD,
        signed_by=PAYLOAD,
        signer_is_patient=False,
        representative_authority=PAYLOAD,
        signed_on=ctx.patient.program.today(),
        right_to_revoke_explained=True,
    )
    privacy.disclose(
        acting_user=nurse, patient=ctx.patient, recipient=PAYLOAD, purpose="treatment", information=["demographics"]
    )
    privacy.break_the_glass(acting_user=counselor_off_team, program=ctx.program, mrn=ctx.patient.mrn, reason=PAYLOAD)
    poisoned_rule_table(administrator, ctx.program)
    from waypoint.accounts import program_settings

    program_settings.change(ctx.program, "privacy.part2_notice", PAYLOAD, acting_user=administrator)
    return ctx, consent


def pages_showing_the_payload(ctx):
    pk = ctx.patient.pk
    return [
        reverse("patients:list"),
        reverse("patients:chart", args=[pk]),
        reverse("patients:edit", args=[pk]),
        reverse("patients:census"),
        reverse("withdrawal:board"),
        reverse("withdrawal:flowsheet", args=[pk]),
        reverse("privacy:patient", args=[pk]),
        reverse("placements:rule-table"),
        reverse("placements:rule-table-version", args=[1]),
        reverse("patients:transfer", args=[pk, ctx.episode.pk]),
    ]


def test_the_administrator_pages_escape_stored_text(page, administrator, poisoned):
    """The settings page shows a text setting's value; the rule table editor shows the table as JSON text."""
    for url in (
        reverse("accounts:settings"),
        reverse("placements:rule-table-edit"),
        reverse("placements:rule-table-version", args=[1]),
    ):
        html = page(administrator).get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert" in html, url


def test_no_page_runs_a_stored_script(page, nurse, privacy_officer, counselor_off_team, poisoned):
    ctx, _ = poisoned
    checked = 0
    for url in pages_showing_the_payload(ctx):
        html = page(nurse).get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        checked += "&lt;script&gt;alert" in html
    report = page(privacy_officer).get(reverse("privacy:break-glass-report")).content.decode()
    assert "<script>alert" not in report and "&lt;script&gt;alert" in report
    banner = page(counselor_off_team).get(ctx.patient.get_absolute_url()).content.decode()
    assert "<script>alert" not in banner and "&lt;script&gt;alert" in banner
    assert checked >= 8  # the payload was really on those pages, escaped


def test_the_print_view_of_a_disclosure_escapes_user_text(page, nurse, poisoned):
    ctx, _ = poisoned
    html = (
        page(nurse)
        .post(
            reverse("privacy:disclose", args=[ctx.patient.pk]),
            {"recipient": PAYLOAD, "purpose": "treatment", "information": ["all_sud_records"]},
        )
        .content.decode()
    )
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


def test_the_api_returns_user_text_as_data_not_markup(api, nurse, poisoned):
    ctx, _ = poisoned
    response = api(nurse).get(f"/api/v1/patients/{ctx.patient.pk}/")
    assert response["Content-Type"] == "application/json" and response.json()["alerts"] == PAYLOAD


def test_the_fhir_api_returns_user_text_as_json_data_not_markup(api, nurse, poisoned):
    ctx, _ = poisoned
    response = api(nurse).get(f"/fhir/Encounter?patient={ctx.patient.pk}")
    assert response["Content-Type"].startswith("application/fhir+json")
    assert response["X-Content-Type-Options"] == "nosniff"
    reasons = [r["text"] for e in response.json()["entry"] for r in e["resource"].get("reasonCode", [])]
    assert PAYLOAD in reasons
    consents = api(nurse).get("/fhir/Consent").json()["entry"]
    assert any(a["reference"]["display"] == PAYLOAD for e in consents for a in e["resource"]["provision"]["actor"])


def state_changing_pages():
    for name, case in MATRIX.items():
        if case.method == "POST" and not case.api:
            yield pytest.param(name, id=name)


@pytest.mark.parametrize("name", list(state_changing_pages()))
def test_every_state_changing_page_refuses_a_forged_request(name, ctx, nurse):
    case = MATRIX[name]
    forger = verified_login(Client(enforce_csrf_checks=True), nurse)
    response = forger.post(case.url(ctx), case.data(ctx) if case.data else {})
    assert response.status_code == 403


@pytest.mark.parametrize("name", list(MATRIX))
def test_a_password_only_session_reaches_no_page_and_no_api(name, ctx, nurse):
    """After the password but before the second factor: every page sends the session to the code step, the
    API treats it as anonymous, and nothing is written."""
    case = MATRIX[name]
    authenticator_of(nurse)
    client = Client()
    assert client.post(reverse("login"), {"username": "nurse", "password": PASSWORD}).status_code == 302
    before = AuditEvent.objects.count()
    data = case.data(ctx) if case.data else None
    kwargs = (
        {"content_type": "application/json", "data": json.dumps(data)}
        if case.api and data
        else ({"data": data} if data else {})
    )
    response = getattr(client, case.method.lower())(case.url(ctx), **kwargs)
    if case.api:
        assert response.status_code == 401
    elif name in ("two-factor-verify", "two-factor-enrol"):
        assert response.status_code in (200, 302) and "/account/two-factor/enrol/" not in response.get("Location", "")
    elif name == "otp_webauthn:js-i18n-catalog":
        assert response.status_code == 200  # the passkey script's texts, for the code page
    elif name.startswith("otp_webauthn:credential-authentication-"):
        # A passkey instead of the code belongs to the code step; this account has none: refused, the refusal recorded.
        assert response.status_code == 403
        assert AuditEvent.objects.count() == before + 1
        assert AuditEvent.objects.order_by("-id").first().action == "access.denied"
        return
    else:
        assert response.status_code == 302 and response["Location"].startswith(reverse("two-factor-verify"))
    assert AuditEvent.objects.count() == before


def views_reading_the_query():
    """(name, view) of every page view whose code reads request.GET (the API is covered by ApiView itself)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, namespace=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, namespace + (f"{entry.namespace}:" if entry.namespace else ""))
            elif isinstance(entry, URLPattern):
                yield f"{namespace}{entry.name}", entry.callback

    for name, callback in walk(get_resolver().url_patterns):
        if getattr(callback, "view_class", None) is not None:
            continue  # class-based: ApiView refuses undocumented parameters; the sign-in views take `next`
        if "request.GET" in inspect.getsource(inspect.unwrap(callback)):
            yield name, callback


def test_every_page_that_reads_the_query_declares_its_parameters():
    found = dict(views_reading_the_query())
    assert {"patients:list", "audit:trail", "privacy:break-glass-report"} <= set(found)
    assert [name for name, view in found.items() if not hasattr(view, "query_parameters")] == []


def list_cases():
    from tests.test_leaks import LISTS

    for name, (build, is_api) in LISTS.items():
        yield pytest.param(name, build, is_api, id=name)


@pytest.mark.parametrize(("name", "build", "is_api"), list(list_cases()))
def test_an_unknown_sort_or_filter_parameter_is_refused_on_every_list(
    name, build, is_api, ctx, nurse, privacy_officer, page, api
):
    from tests.test_leaks import OFFICER_LISTS, Someone

    user = privacy_officer if name in OFFICER_LISTS else nurse
    url = build(Someone(ctx.patient, ()))
    joiner = "&" if "?" in url else "?"
    if is_api:
        response = api(user).get(f"{url}{joiner}sort=-mrn&program_id__in=1,2")
        assert response.status_code == 400
        body = response.json()
        if body.get("resourceType") == "OperationOutcome":  # FHIR: one issue naming every unknown parameter
            assert "program_id__in, sort" in body["issue"][0]["diagnostics"]
        else:
            assert set(body) == {"sort", "program_id__in"}
        return
    view = resolve(url.split("?")[0]).func
    response = page(user).get(f"{url}{joiner}sort=-mrn&program_id__in=1,2")
    if hasattr(view, "query_parameters"):
        assert response.status_code == 400 and b"program_id__in" in response.content
        if "sort" in view.query_parameters:  # a page that sorts: an unknown sort key is refused too
            assert page(user).get(f"{url}{joiner}sort=-mrn").status_code == 400
    else:  # a page that reads no query parameter at all: nothing to misspell, nothing filtered
        assert response.status_code == 200


@pytest.fixture
def poisoned_treatment(ctx, nurse, team_counselor, director):
    """Every free-text field of the treatment area, filled with the payload."""
    from waypoint.accounts import program_settings
    from waypoint.treatment import services as treatment
    from waypoint.treatment.settings import DEFAULT_MODALITIES

    program_settings.change(
        ctx.program,
        "treatment.modalities",
        [*DEFAULT_MODALITIES, {"code": "xss", "label": PAYLOAD, "category": "experiential"}],
        acting_user=director,
    )
    body = {
        "problems": [
            {
                "description": PAYLOAD,
                "diagnosis": "F11.20",
                "goals": [
                    {"text": PAYLOAD, "objectives": [{"id": "o1", "text": PAYLOAD, "target_date": "2027-01-31"}]}
                ],
                "interventions": [{"modality": "xss", "frequency": PAYLOAD, "responsible": nurse.pk}],
            }
        ]
    }
    patients.update_patient(acting_user=nurse, patient=ctx.patient, given_name=PAYLOAD, family_name=PAYLOAD)
    plan = treatment.start_plan(acting_user=nurse, patient=ctx.patient)
    plan = treatment.save_draft(acting_user=nurse, plan=plan, body=body, revision=plan.revision)
    plan = treatment.sign_plan(acting_user=nurse, plan=plan, revision=plan.revision)
    treatment.acknowledge_plan(acting_user=nurse, plan=plan, patient_name=f"{PAYLOAD} {PAYLOAD}", attested=True)
    treatment.review_plan(acting_user=nurse, plan=plan, note=PAYLOAD)
    treatment.template_from_plan(acting_user=director, plan=plan, name=PAYLOAD[:100], level_codes=["3.5"])
    treatment.amend_plan(acting_user=nurse, plan=plan, version=1, reason=PAYLOAD)
    patients.transfer(
        acting_user=nurse, episode=ctx.episode, at=timezone.now(), level_code="3.5", reason="step-down"
    )  # the plan review falls due: the work list names the patient
    start = timezone.now() - timedelta(minutes=30)
    session = treatment.schedule_session(
        acting_user=nurse,
        program=ctx.program,
        kind="group",
        modality="xss",
        topic=PAYLOAD,
        facilitator=nurse,
        room=PAYLOAD[:80],
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    treatment.add_to_roster(acting_user=nurse, session=session, patient=ctx.patient)
    treatment.mark_attendance(acting_user=nurse, session=session, patient=ctx.patient, status="present")
    # The shared part may not repeat the patient's name (here the payload itself): another script stands in for it.
    treatment.write_group_note(
        acting_user=nurse, session=session, body=GROUP_PAYLOAD, entries={ctx.patient.pk: PAYLOAD}
    )
    treatment.write_progress_note(
        acting_user=nurse,
        patient=ctx.patient,
        body=PAYLOAD,
        occurred_at=timezone.now() - timedelta(minutes=5),
        session=session,
        objective_updates=[{"objective": "o1", "status": "in_progress", "comment": PAYLOAD}],
    )
    treatment.write_counseling_note(
        acting_user=team_counselor, patient=ctx.patient, body=PAYLOAD, occurred_at=timezone.now() - timedelta(minutes=5)
    )
    return ctx, session


def test_no_treatment_page_runs_a_stored_script(page, nurse, team_counselor, director, poisoned_treatment):
    ctx, session = poisoned_treatment
    pk = ctx.patient.pk
    # the schedules' weeks are the program's: the session's week, also just after midnight on a Monday there
    week = "?week=" + timezone.localtime(session.starts_at, ctx.program.tz).date().isoformat()
    pages = [
        (nurse, reverse("patients:chart", args=[pk])),
        (nurse, reverse("treatment:plan", args=[pk])),
        (nurse, reverse("treatment:plan-version", args=[pk, ctx.patient.treatment_plans.get(version=1).pk])),
        (nurse, reverse("treatment:notes", args=[pk])),
        (nurse, reverse("treatment:patient-schedule", args=[pk]) + week),
        (nurse, reverse("treatment:session", args=[session.pk])),
        (nurse, reverse("treatment:schedule") + week),
        (nurse, reverse("treatment:due")),
        (director, reverse("treatment:templates")),
        (director, reverse("treatment:modalities")),
        (nurse, reverse("treatment:session-new")),
        (team_counselor, reverse("treatment:counseling-notes", args=[pk])),
    ]
    for user, url in pages:
        html = page(user).get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html, url
        assert "&lt;script&gt;alert" in html, url  # the payload was really there, escaped


def test_moud_and_drug_screen_free_text_is_escaped_on_every_page_that_shows_it(page, api, ctx, nurse, request):
    """Order frequency, instructions and stop reason; dose reason and note; drug screen note."""
    from decimal import Decimal

    from waypoint.drug_screens import services as drug_screens
    from waypoint.medication import services as medication

    prescriber = request.getfixturevalue("prescriber")
    patient = ctx.patient
    order = medication.order_medication(
        acting_user=prescriber,
        patient=patient,
        medication="buprenorphine",
        dose=Decimal("4"),
        route="sublingual",
        times_per_day=12,
        frequency=PAYLOAD,
        phase="induction",
        instructions=PAYLOAD,
        start_at=timezone.now() - timedelta(hours=3),
    )
    medication.record_administration(
        acting_user=nurse,
        patient=patient,
        order=order,
        status="given",
        dose="4",
        at=timezone.now() - timedelta(hours=2),
        note=PAYLOAD,
        cows_override_reason=PAYLOAD,
    )
    medication.record_administration(
        acting_user=nurse,
        patient=patient,
        order=order,
        status="held",
        at=timezone.now() - timedelta(hours=1),
        reason=PAYLOAD,
    )
    stopped = medication.order_medication(
        acting_user=prescriber,
        patient=patient,
        medication="methadone",
        dose=Decimal("30"),
        route="oral",
        times_per_day=1,
        agonist_override_reason=PAYLOAD,
        start_at=timezone.now() - timedelta(hours=3),
    )
    medication.stop_order(
        acting_user=prescriber, order=stopped, stop_at=timezone.now() - timedelta(minutes=5), reason=PAYLOAD
    )
    drug_screens.record_screen(
        acting_user=nurse,
        patient=patient,
        collected_at=timezone.now(),
        observed=True,
        results={"fentanyl": "positive"},
        note=PAYLOAD,
    )
    pk = patient.pk
    for url in (
        reverse("medication:page", args=[pk]),
        reverse("drug_screens:page", args=[pk]),
        reverse("patients:progress", args=[pk]),
        reverse("patients:chart", args=[pk]),
        reverse("medication:administer", args=[pk]),
    ):
        html = page(prescriber).get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert" in html, url
    body = api(nurse).get(f"/api/v1/patients/{pk}/moud-orders/")
    assert body["Content-Type"] == "application/json" and PAYLOAD in {o["frequency"] for o in body.json()}
