"""The kick-off request: Prefer: respond-async, the three parameters, and an OperationOutcome for each error."""

import pytest

from conftest import make_user
from waypoint.accounts.roles import Role
from waypoint.bulk.models import ExportJob
from waypoint.fhir.tests.validation import assert_valid
from waypoint.privacy.models import AuditEvent

from .conftest import ASYNC, kick_off

pytestmark = pytest.mark.django_db


def assert_outcome(response, status, expression=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    body = response.json()
    assert_valid(body)  # strict FHIR R4
    assert body["resourceType"] == "OperationOutcome" and body["issue"]
    assert all(issue["severity"] == "error" and issue["diagnostics"] for issue in body["issue"])
    if expression:
        assert [expression] in [issue.get("expression") for issue in body["issue"]]
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("url", ["/fhir/$export", "/fhir/Patient/$export", "/fhir/Group/{group}/$export"])
def test_a_kick_off_answers_202_with_the_status_url_in_content_location(api, nurse, program, url):
    response = kick_off(api(nurse), url.format(group=f"program-{program.pk}"))
    assert response.status_code == 202
    job = ExportJob.objects.get()
    assert response["Content-Location"] == f"http://testserver/fhir/bulk-status/{job.pk}"
    assert job.owner == nurse and job.program == program and job.status == "queued"
    assert AuditEvent.objects.filter(action="fhir.bulk.kickoff", actor=nurse).count() == 1


@pytest.mark.parametrize("fmt", ["application/fhir+ndjson", "application/ndjson", "ndjson"])
def test_the_three_ndjson_names_are_accepted(api, nurse, fmt):
    response = kick_off(api(nurse), f"/fhir/$export?_outputFormat={fmt.replace('+', '%2B')}")
    assert response.status_code == 202
    assert ExportJob.objects.get().output_format == "application/fhir+ndjson"


@pytest.mark.parametrize("fmt", ["text/csv", "application/fhir+json", "application/json", "NDJSON", ""])
def test_any_other_output_format_is_a_400_operation_outcome(api, nurse, fmt):
    response = kick_off(api(nurse), f"/fhir/$export?_outputFormat={fmt.replace('+', '%2B')}")
    assert_outcome(response, 400, "_outputFormat")


def test_without_prefer_respond_async_the_request_is_refused(api, nurse):
    assert_outcome(api(nurse).get("/fhir/$export"), 400, "Prefer")
    assert_outcome(api(nurse).get("/fhir/$export", headers={"Prefer": "return=minimal"}), 400, "Prefer")


@pytest.mark.parametrize("since", ["yesterday", "2026-01-31", "2026-01-31T08:00:00", "2026-13-01T00:00:00Z"])
def test_since_must_be_an_instant_with_a_time_zone(api, nurse, since):
    assert_outcome(kick_off(api(nurse), f"/fhir/$export?_since={since}"), 400, "_since")


@pytest.mark.parametrize("types", ["Medication", "Patient,,Observation", "patient", ""])
def test_type_must_name_resource_types_the_server_exports(api, nurse, types):
    assert_outcome(kick_off(api(nurse), f"/fhir/$export?_type={types}"), 400, "_type")


@pytest.mark.parametrize(
    "param",
    [
        "_typeFilter=Patient%3Factive%3Dtrue",
        "_elements=id",
        "includeAssociatedData=x",
        "_until=2026-01-01T00:00:00Z",
        "_count=5",
    ],
)
def test_an_unsupported_parameter_is_refused_unless_the_client_prefers_lenient_handling(api, nurse, param):
    name = param.split("=")[0]
    assert_outcome(kick_off(api(nurse), f"/fhir/$export?{param}"), 400, name)
    lenient = kick_off(
        api(nurse), f"/fhir/$export?{param}", headers=ASYNC | {"Prefer": "respond-async, handling=lenient"}
    )
    assert lenient.status_code == 202


def test_a_parameter_given_twice_is_refused(api, nurse):
    assert_outcome(kick_off(api(nurse), "/fhir/$export?_type=Patient&_type=Observation"), 400, "_type")


def test_without_credentials_the_answer_is_401_operation_outcome(api):
    response = kick_off(api(None), "/fhir/$export")
    assert_outcome(response, 401)
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_privacy_officer_may_not_export(api, privacy_officer):
    assert_outcome(kick_off(api(privacy_officer), "/fhir/$export"), 403)


def test_another_programs_group_is_404(api, nurse, north):
    assert_outcome(kick_off(api(nurse), f"/fhir/Group/program-{north.pk}/$export"), 404)
    assert_outcome(kick_off(api(nurse), "/fhir/Group/not-a-group/$export"), 404)


def test_a_client_in_several_programs_names_one_through_its_group(api, program, north):
    both = make_user("floater", program, Role.INTAKE)
    both.memberships.create(program=north, role=Role.INTAKE)
    assert_outcome(kick_off(api(both), "/fhir/$export"), 400, "program")
    assert kick_off(api(both), f"/fhir/Group/program-{north.pk}/$export").status_code == 202
    assert ExportJob.objects.get().program == north


def test_a_patient_level_export_offers_only_patient_compartment_types(api, nurse):
    from waypoint.fhir import registry

    response = kick_off(api(nurse), "/fhir/Patient/$export")
    assert response.status_code == 202
    expected = sorted({k.resource_type for k in registry.KINDS.values() if k.patient_field is not None})
    assert ExportJob.objects.get().types == expected


def test_a_forged_cross_site_kick_off_cannot_send_the_prefer_header_and_starts_nothing(page, nurse):
    """A link or image on another site can make a signed-in browser GET the kick-off URL, but cannot add
    Prefer: respond-async (a custom header needs a CORS preflight, which this server never grants)."""
    response = page(nurse).get("/fhir/$export")
    assert_outcome(response, 400, "Prefer")


def test_a_session_delete_without_the_csrf_token_is_refused(api, nurse):
    from django.test import Client

    from conftest import verified_login

    kick_off(api(nurse), "/fhir/$export")
    job = ExportJob.objects.get()
    forger = verified_login(Client(enforce_csrf_checks=True), nurse)
    response = forger.delete(f"/fhir/bulk-status/{job.pk}")
    assert response.status_code == 403 and response.json()["resourceType"] == "OperationOutcome"
    job.refresh_from_db()
    assert job.status == "queued"


def test_a_client_with_three_exports_in_progress_gets_429_until_one_ends(api, nurse, settings):
    client = api(nurse)
    for _ in range(settings.BULK_MAX_ACTIVE_PER_USER):
        assert kick_off(client, "/fhir/$export").status_code == 202
    refused = kick_off(client, "/fhir/$export")
    assert refused.status_code == 429 and refused.json()["issue"][0]["code"] == "throttled"
    assert ExportJob.objects.count() == settings.BULK_MAX_ACTIVE_PER_USER
    client.delete(f"/fhir/bulk-status/{ExportJob.objects.first().pk}")
    assert kick_off(client, "/fhir/$export").status_code == 202


def test_head_and_post_do_not_start_an_export(api, nurse):
    assert api(nurse).head("/fhir/$export", headers=ASYNC).status_code == 405
    assert_outcome(api(nurse).post("/fhir/$export", headers=ASYNC), 405)
