"""A system export without _type carries what its records refer to: the instruments' Questionnaires, the project's
CodeSystems and the program's Groups (with the quantity a Group read reports), each valid; not with _since, and
never in a Patient or Group export."""

import pytest

from waypoint.fhir.codes import CANONICAL
from waypoint.fhir.tests.validation import assert_valid

from .conftest import fetch_resources, kick_off, manifest, run_queued

pytestmark = pytest.mark.django_db


def codings(value):
    if isinstance(value, dict):
        if isinstance(value.get("system"), str) and isinstance(value.get("code"), str):
            yield value
        for item in value.values():
            yield from codings(item)
    elif isinstance(value, list):
        for item in value:
            yield from codings(item)


def test_a_system_export_carries_every_definition_its_records_refer_to(api, intake, population):
    client = api(intake)
    started = kick_off(client, "/fhir/$export")
    run_queued(page_size=50)
    resources = fetch_resources(client, manifest(client, started))
    assert {"Questionnaire", "CodeSystem", "Group"} <= set(resources)
    for resource_type in ("Questionnaire", "CodeSystem", "Group"):
        for resource in resources[resource_type]:
            assert_valid(resource)
    questionnaires = {f"{q['url']}|{q['version']}" for q in resources["Questionnaire"]}
    for response in resources["QuestionnaireResponse"]:
        assert response["questionnaire"] in questionnaires
    systems = {c["url"]: {x["code"] for x in c["concept"]} for c in resources["CodeSystem"]}
    records = [r for t, lines in resources.items() if t not in ("CodeSystem",) for r in lines]
    project = [c for r in records for c in codings(r) if c["system"].startswith(f"{CANONICAL}/CodeSystem/")]
    assert project
    for coding in project:
        assert coding["code"] in systems[coding["system"]], coding
    groups = {g["id"]: g for g in resources["Group"]}
    whole = groups[f"program-{population.program.pk}"]
    assert whole["quantity"] == client.get(f"/fhir/Group/{whole['id']}").json()["quantity"]
    assert whole["quantity"] == len(resources["Patient"])


def test_definitions_are_left_out_with_since_and_from_patient_and_group_exports(api, intake, population):
    client = api(intake)
    for url in (
        "/fhir/$export?_since=2000-01-01T00:00:00Z",
        "/fhir/Patient/$export",
        f"/fhir/Group/program-{population.program.pk}/$export",
    ):
        started = kick_off(client, url)
        run_queued()
        types = {item["type"] for item in manifest(client, started)["output"]}
        assert not types & {"Questionnaire", "CodeSystem", "Group"}, url
