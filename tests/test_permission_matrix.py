"""The permission matrix: every URL pattern of the project, with personas who may reach it and who may not.

A new URL fails `test_every_url_pattern_is_in_the_matrix` until it gets its rows here: each needs at least
one allowed persona and one denied persona. Personas: `nurse` (on the patient's care team),
`counselor_off_team` (same program, other team), `north_nurse` (other program), `anonymous`.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from waypoint.privacy.models import AuditEvent

# Reachable by anyone by design: signing in, the health check, the API's own description.
PUBLIC = {"login", "logout", "healthz", "api-schema"}

PAGE_DENIED = {"counselor_off_team": 404, "north_nurse": 404, "anonymous": 302}
API_DENIED = {"counselor_off_team": 404, "north_nurse": 404, "anonymous": 401}


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


@dataclass
class Context:
    program: object
    patient: object
    episode: object


@pytest.fixture
def ctx(program, patient, nurse, counselor_off_team, north_nurse):
    from waypoint.patients import services

    episode = services.admit(acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(days=2),
                             level_code="3.7-WM")
    return Context(program, patient, episode)


def rows(kind):
    for name, case in MATRIX.items():
        for persona, status in getattr(case, kind).items():
            yield pytest.param(name, persona, status, id=f"{name}-{persona}")


def request_as(persona, name, ctx, request, api, page):
    case = MATRIX[name]
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    client = api(user) if case.api else page(user)
    data = case.data(ctx) if case.data else None
    kwargs = {"format": "json"} if case.api and data is not None else {}
    return getattr(client, case.method.lower())(case.url(ctx), data, **kwargs)


@pytest.mark.parametrize(("name", "persona", "status"), list(rows("allowed")))
def test_allowed_persona_reaches_the_url(name, persona, status, ctx, request, api, page):
    response = request_as(persona, name, ctx, request, api, page)
    assert response.status_code == status


@pytest.mark.parametrize(("name", "persona", "status"), list(rows("denied")))
def test_denied_persona_is_turned_away_and_nothing_is_written(name, persona, status, ctx, request, api, page):
    before = AuditEvent.objects.exclude(outcome="denied").count()
    response = request_as(persona, name, ctx, request, api, page)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    assert AuditEvent.objects.exclude(outcome="denied").count() == before
    ctx.episode.refresh_from_db()
    assert ctx.episode.is_open and ctx.episode.stays.count() == 1
