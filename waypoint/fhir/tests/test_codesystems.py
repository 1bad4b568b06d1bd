"""The project's CodeSystems are served at their canonical URLs under /fhir/CodeSystem/: every coding Waypoint emits
in a project system resolves there (code and display), each complete, active and versioned, and declared in the
CapabilityStatement. A program's own modality list is served to that program only."""

import json

from waypoint.fhir.access import StaffReader
from waypoint.fhir.codes import CANONICAL
from waypoint.fhir.questionnaires import all_questionnaires
from waypoint.fhir.registry import KINDS

from .validation import assert_valid

PROJECT = f"{CANONICAL}/CodeSystem/"


def body(response):
    assert response.status_code == 200, response.content
    data = json.loads(response.content)
    assert_valid(data)
    return data


def codings(value):
    """Every Coding (a dict with system and code) anywhere in a resource."""
    if isinstance(value, dict):
        if isinstance(value.get("system"), str) and isinstance(value.get("code"), str) and "value" not in value:
            yield value
        for item in value.values():
            yield from codings(item)
    elif isinstance(value, list):
        for item in value:
            yield from codings(item)


def emitted_project_codings(nurse, program):
    reader = StaffReader(nurse, program)
    resources = [r for kind in KINDS.values() for row in reader.rows(kind) for r in kind.to_resources(row)]
    resources += all_questionnaires()
    return [c for r in resources for c in codings(r) if c["system"].startswith(PROJECT)]


def test_every_emitted_project_coding_resolves_in_the_served_code_system(api, nurse, record, program):
    client = api(nurse)
    found = emitted_project_codings(nurse, program)
    systems = {c["system"] for c in found}
    assert len(systems) >= 20  # instruments, answers, bands, screen items, levels, medications, drug screens, ...
    served = {}
    for system in sorted(systems):
        bundle = body(client.get("/fhir/CodeSystem", {"url": system}))
        (entry,) = bundle["entry"]
        code_system = entry["resource"]
        assert code_system["url"] == system
        assert code_system["content"] == "complete" and code_system["status"] == "active"
        assert code_system["version"] and code_system["count"] == len(code_system["concept"])
        assert all(c["display"] for c in code_system["concept"])
        served[system] = {c["code"]: c["display"] for c in code_system["concept"]}
    for coding in found:
        concepts = served[coding["system"]]
        assert coding["code"] in concepts, coding
        if "display" in coding:
            assert coding["display"] == concepts[coding["code"]], coding


def test_a_code_system_is_read_by_id_and_searched_by_url_and_version(api, nurse):
    client = api(nurse)
    cows = body(client.get("/fhir/CodeSystem/cows-answers"))
    assert cows["url"] == f"{PROJECT}cows-answers"
    assert "gooseflesh.3" in {c["code"] for c in cows["concept"]}
    versioned = body(client.get("/fhir/CodeSystem", {"url": f"{cows['url']}|{cows['version']}"}))
    assert [e["resource"]["id"] for e in versioned["entry"]] == ["cows-answers"]
    assert "entry" not in body(client.get("/fhir/CodeSystem", {"url": f"{cows['url']}|0"}))
    assert client.get("/fhir/CodeSystem/not-a-system").status_code == 404
    listed = body(client.get("/fhir/CodeSystem?_count=500"))
    assert len(listed["entry"]) > 20 and all(e["resource"]["resourceType"] == "CodeSystem" for e in listed["entry"])


def test_the_modality_list_is_the_programs_own(api, nurse, north_nurse, program):
    url = f"{PROJECT}treatment-modalities/{program.slug}"
    mine = body(api(nurse).get("/fhir/CodeSystem", {"url": url}))
    assert mine["entry"][0]["resource"]["id"] == f"treatment-modalities-{program.slug}"
    assert "entry" not in body(api(north_nurse).get("/fhir/CodeSystem", {"url": url}))
    assert api(north_nurse).get(f"/fhir/CodeSystem/treatment-modalities-{program.slug}").status_code == 404


def test_the_capability_statement_declares_code_system_read_and_search_by_url(client):
    statement = body(client.get("/fhir/metadata"))
    (entry,) = [r for r in statement["rest"][0]["resource"] if r["type"] == "CodeSystem"]
    assert {p["name"] for p in entry["searchParam"]} == {"_id", "url"}
    assert {i["code"] for i in entry["interaction"]} == {"read", "search-type"}
