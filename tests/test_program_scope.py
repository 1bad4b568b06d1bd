"""The program scope (waypoint.accounts.scoping): a query of clinical records made outside a program scope raises,
one made inside answers only the programs in scope, and every request runs in its user's scope, so a request of
one program cannot reach another program's rows even through code that forgets `visible_patients`.

Test bodies run unscoped (conftest.unscoped_test_body); `django_scopes.scope()` with no program switches the
check back on with no program in scope, as in a process that entered none.
"""

import csv
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.http import JsonResponse
from django.test import RequestFactory
from django_scopes import ScopeError, scope
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from waypoint.accounts.models import ApiToken
from waypoint.accounts.scoping import program_scope
from waypoint.bulk import export
from waypoint.bulk.models import ExportJob
from waypoint.patients.models import Episode, Patient
from waypoint.web.api import ApiView
from waypoint.web.middleware import ProgramContextMiddleware


def patient_records():
    """Every model that records something about a patient: it has a patient and a program."""
    return [
        model
        for model in apps.get_models()
        if model.__module__.startswith("waypoint.")
        and {"patient", "program"} <= {field.name for field in model._meta.fields}
    ]


def test_every_patient_record_and_the_patient_are_program_scoped():
    models = [Patient, *patient_records()]
    assert len(models) > 25
    unscoped = [model.__name__ for model in models if not hasattr(model.objects, "with_scopes_disabled")]
    assert unscoped == []


@pytest.mark.parametrize("model", [Patient, *patient_records()], ids=lambda model: model.__name__)
def test_a_clinical_query_without_a_program_scope_raises(db, model):
    with scope(), pytest.raises(ScopeError):
        list(model.objects.all())


def test_a_query_through_a_patient_without_a_program_scope_raises(patient, admitted):
    with scope(), pytest.raises(ScopeError):
        list(patient.episodes.all())


def test_inside_a_program_scope_only_that_programs_rows_answer(patient, admitted, north_patient, program, north):
    with program_scope(program.pk):
        assert list(Patient.objects.all()) == [patient]
        assert not Patient.objects.filter(pk=north_patient.pk).exists()
        assert list(Episode.objects.all()) == [admitted]
    with program_scope(north.pk):
        assert list(Patient.objects.all()) == [north_patient]
        assert not Episode.objects.exists()
    with program_scope():
        assert not Patient.objects.exists()


def every_patient_id(request):
    """A careless view: it reads patients without visible_patients."""
    return JsonResponse({"ids": sorted(Patient.objects.values_list("pk", flat=True))})


class EveryPatientId(ApiView):
    def get(self, request):
        return Response({"ids": sorted(Patient.objects.values_list("pk", flat=True))})


def test_a_page_request_of_one_program_cannot_reach_another_programs_rows(patient, north_patient, north_nurse):
    request = RequestFactory().get("/probe/")
    request.user, request.session = north_nurse, {}
    with scope():
        response = ProgramContextMiddleware(every_patient_id)(request)
    assert response.status_code == 200
    assert b'"ids": [%d]' % north_patient.pk in response.content


def test_an_api_request_with_a_bearer_token_runs_in_its_users_program_scope(patient, north_patient, north_nurse):
    _, raw = ApiToken.issue(north_nurse)
    request = APIRequestFactory().get("/api/v1/probe/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    request.user, request.session = AnonymousUser(), {}  # what the session middleware makes of a bearer request
    with scope():
        response = ProgramContextMiddleware(EveryPatientId.as_view())(request)
        response.render()
    assert response.status_code == 200
    assert response.data == {"ids": [north_patient.pk]}


def test_a_signed_out_request_reaches_no_clinical_row(patient):
    request = RequestFactory().get("/probe/")
    request.user, request.session = AnonymousUser(), {}
    with scope():
        response = ProgramContextMiddleware(every_patient_id)(request)
    assert b'"ids": []' in response.content


def test_the_audit_csv_streams_mrns_after_the_requests_scope_has_closed(page, privacy_officer, patient, nurse):
    response = page(privacy_officer).get("/audit/", {"format": "csv"})
    assert response.status_code == 200
    with scope():  # the server reads the stream after the middleware's scope has ended
        body = b"".join(response.streaming_content).decode()
    assert patient.mrn in {row["mrn"] for row in csv.DictReader(io.StringIO(body))}


def test_the_bulk_worker_runs_an_export_in_its_jobs_program_scope(api, intake, admitted, tmp_path, settings):
    settings.BULK_EXPORT_DIR = tmp_path
    kicked = api(intake).get(
        "/fhir/Patient/$export", headers={"Prefer": "respond-async", "Accept": "application/fhir+json"}
    )
    assert kicked.status_code == 202
    job = ExportJob.objects.get()
    with scope():  # `waypoint worker` enters no scope of its own
        assert export.run(job) == ExportJob.Status.COMPLETE


def source_lines_with(text):
    """(file, line number, the line and the three before it) for each line of the code (not its tests) with text."""
    root = Path(__file__).resolve().parent.parent
    for path in sorted((root / "waypoint").rglob("*.py")):
        if "tests" in path.relative_to(root).parts:
            continue
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            if text in line and not line.lstrip().startswith(("#", "from ", "import ")):
                yield f"{path.relative_to(root)}:{number + 1}", "\n".join(lines[max(0, number - 3) : number + 1])


def test_every_read_of_patients_outside_visible_patients_says_why_it_is_sanctioned():
    unmarked = [where for where, context in source_lines_with("Patient.objects") if "sanctioned" not in context]
    assert unmarked == []


def test_every_cross_program_read_says_why_it_is_sanctioned():
    found = list(source_lines_with("scopes_disabled()"))
    assert found  # the list in docs/security.md is not empty
    assert [where for where, context in found if "sanctioned" not in context] == []


def test_migrations_see_plain_managers_so_data_migrations_need_no_scope():
    from django.db.migrations.loader import MigrationLoader

    historical = MigrationLoader(None, ignore_no_migrations=True).project_state().apps
    for model in [Patient, *patient_records()]:
        past = historical.get_model(model._meta.app_label, model._meta.model_name)
        with scope():
            past.objects.filter(pk=1)  # a scoped manager would raise here


def test_the_demo_command_builds_its_programs_outside_any_scope(db):
    with scope():  # `waypoint demo` is a process of its own: no request entered a scope for it
        call_command("demo", "--patients", "4", stdout=io.StringIO())
    assert Patient.objects.filter(program__slug="demo").exists()


def test_the_seed_command_loads_its_program_outside_any_scope(db):
    with scope():
        call_command(
            "seed", "--program", "scope-check", "--patients", "3", "--days", "2", "--no-progress", stdout=io.StringIO()
        )
    assert Patient.objects.filter(program__slug="scope-check").count() == 3
