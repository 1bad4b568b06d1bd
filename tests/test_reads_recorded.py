"""Every answer that shows patient data records a read (HIPAA 164.312(b); issue 23): this walks every patient-scoped
URL pattern of the project (from the URL resolver, with the permission matrix's addresses) and opens it as a persona
allowed there; each answer of 200 must have written an event about that patient. Forms count: the demographics
editor, the consent and disclosure forms, the COWS form and the dose form show patient data as a chart does."""

import pytest
from django.urls import get_resolver

from tests.test_permission_matrix import MATRIX
from waypoint.privacy.audit_middleware import PATIENT_ROUTES
from waypoint.privacy.models import AuditEvent

FORMS_THE_TESTER_FOUND_SILENT = {
    "patients:edit",
    "privacy:consent-new",
    "privacy:disclose",
    "withdrawal:record",
    "medication:administer",
}


def patient_scoped_url_names(patterns=None, namespace="", prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if hasattr(entry, "url_patterns"):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from patient_scoped_url_names(entry.url_patterns, inner, route)
        elif route.startswith(PATIENT_ROUTES) and entry.name:
            yield f"{namespace}{entry.name}"


PATIENT_URLS = sorted(set(patient_scoped_url_names()))


def test_the_walk_covers_the_forms_that_recorded_no_read():
    assert set(PATIENT_URLS) >= FORMS_THE_TESTER_FOUND_SILENT
    assert len(PATIENT_URLS) > 60


@pytest.mark.parametrize("name", PATIENT_URLS)
def test_every_patient_page_that_answers_records_a_read_of_that_patient(name, ctx, request, api, page):
    case = MATRIX[name]
    persona = next(iter(case.allowed))
    user = request.getfixturevalue(persona)
    client = api(user) if case.api else page(user)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(case.url(ctx))
    if response.status_code != 200:
        assert response.status_code in (302, 405), f"{name}: GET answered {response.status_code}"
        return  # a POST-only address, or one that shows nothing and sends the user on
    events = AuditEvent.objects.filter(pk__gt=before, patient_id=ctx.patient.pk, actor=user)
    assert events.exists(), f"{name}: showed patient data and recorded no read"
