"""Schemathesis against the API's own OpenAPI description (/api/v1/schema/), through the WSGI application.

Every operation is called with generated data, as a signed-in care-team nurse with a real bearer token over a
small real record (so that some calls reach real patients, episodes and assessments, not only 404s):
every check of Schemathesis runs, on schema-valid and schema-violating data: no answer may be a server error,
every status, header, content type and body must be as documented, schema-valid data must be accepted and
schema-violating data refused, an undeclared method answers 405 and no call succeeds without the token. Error
statuses are documented by waypoint/web/schema.py.
"""

from datetime import timedelta

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks, positive_data_acceptance
from schemathesis.generation import GenerationMode

from conftest import api_client_for
from waypoint.accounts.models import ApiToken
from waypoint.patients import services
from waypoint.wsgi import application

load_all_checks()
EVERY_CHECK = CHECKS.get_by_names(CHECKS.get_all_names())  # not only "no 5xx": schema, headers, data acceptance...


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Schemathesis calls the WSGI application itself, whose request signals would close the database connection
    holding the test's transaction (PostgreSQL); Django's own test client unhooks them the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(nurse, patient, wsgi_keeps_the_test_connection):
    """A care-team nurse's token, over one admitted patient (ids 1 and up exist, so generated ids can hit them)."""
    services.admit(
        acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(days=1), level_code="3.7-WM"
    )
    _, raw = ApiToken.issue(nurse, label="schemathesis")
    return {"Authorization": f"Bearer {raw}"}


schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)  # the description needs no database
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


# Operations whose acceptance depends on more than the schema can say: a schema-valid request may still be refused
# (400 naming the field) by a rule of the clinic, so "every schema-valid request is accepted" does not apply to them;
# every other check does.
RULES_BEYOND_THE_SCHEMA = {
    "POST /api/v1/patients/": "the program named must be one of the user's; the MRN must be new in it",
    "GET /api/v1/census/": "`to` comes after `from`, at most a year later",
    "POST /api/v1/referrals/": "the requested level must be one of the ASAM edition's",
    "GET /api/v1/sessions/": "`end` comes after `start`",
    "POST /api/v1/sessions/": "a modality of the program, a facilitator of its staff, the end after the start",
    "POST /api/v1/treatment/templates/": "the body has the plan's shape (waypoint/treatment/plans.py)",
    "POST /api/v1/patients/{id}/allergies/": "a drug or class needs its name and severity; none known needs neither",
    "POST /api/v1/patients/{id}/allergies/{allergy_id}/entered-in-error/": "an entry is marked in error only once",
    "POST /api/v1/dosing/bottles/return/": "the id scanned must be a bottle out of a patient the user may see",
    "POST /api/v1/dosing/calendar/": "a closed day is today or later and not already on the calendar",
    "POST /api/v1/patients/{id}/dosing/guests/": "a prescriber accepts a guest; the days in order, from today",
    "POST /api/v1/patients/{id}/dosing/replacements/": "a dose given today to replace, or a lost bottle; the lot",
    "POST /api/v1/patients/{id}/dosing/call-backs/": "the patient has take-home bottles out for the day",
    "POST /api/v1/patients/{id}/dosing/call-backs/{call_back_id}/": "a call-back is recorded once",
    "POST /api/v1/dosing/call-backs/": "an Idempotency-Key sent again comes with the same body (else 422)",
    "POST /api/v1/dosing/calendar/bottles/": "an Idempotency-Key sent again comes with the same body (else 422)",
    "POST /api/v1/patients/{id}/dosing/take-home-decisions/": "a prescriber signs; the days within the program's tier",
    "POST /api/v1/patients/{id}/dosing/take-home-bottles/": "a signed decision allowing the days, after today; the lot",
    "GET /api/v1/dosing/ledger/": "the lot asked for is one of the program's (else 404)",
    "POST /api/v1/dosing/ledger/": "a lot of the program holding the quantity; a witness for waste and spills",
    "POST /api/v1/dosing/counts/": "a lot of the program; a second counter with their password",
    "POST /api/v1/dosing/counts/{count_id}/sign-off/": "the director signs off a count of the program once, its "
    "investigation note first when it differs",
    "POST /api/v1/dosing/counts/{count_id}/investigation/": "a count of the program that differs, its note not yet "
    "written",
}


def checks_for(label: str) -> list:
    skipped = {positive_data_acceptance} if label in RULES_BEYOND_THE_SCHEMA else set()
    return [check for check in EVERY_CHECK if check not in skipped]


@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, bearer):
    case.call_and_validate(headers=bearer, checks=checks_for(case.operation.label))


def test_the_description_names_the_bearer_token_and_every_error_status(db):
    response = api_client_for(None).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    import yaml

    description = yaml.safe_load(response.content)
    assert description["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": description["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    operations = [(path, method, op) for path, item in description["paths"].items() for method, op in item.items()]
    assert len(operations) >= 30
    for path, method, op in operations:
        assert {"400", "401", "403", "404"} <= set(op["responses"]), (path, method)
        assert {"bearerAuth": []} in op["security"], (path, method)
