"""What the server parses is bounded before it is parsed: body size and JSON nesting, search words, FHIR lists.

Each limit answers 400 with a message naming it, instead of a 500 (the JSON decoder's recursion) or a 503 after
seconds (one database condition per word or value).
"""

import json

import pytest

from waypoint.fhir.search import MAX_LIST_VALUES
from waypoint.patients.queries import SEARCH_MAX_LENGTH, SEARCH_MAX_WORDS
from waypoint.web import query as web_query
from waypoint.web.parsers import MAX_BODY_BYTES, MAX_NESTING, nesting_depth


def post_json(client, url, raw: str):
    return client.post(url, data=raw, content_type="application/json")


def test_a_json_body_nested_100000_deep_is_refused_naming_the_limit(api, nurse):
    response = post_json(api(nurse), "/api/v1/patients/", "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400
    assert f"{MAX_NESTING} levels" in response.json()["detail"]


def test_a_body_over_the_size_limit_is_refused_naming_the_limit(api, nurse):
    raw = json.dumps({"mrn": "W-1", "alerts": "x" * (MAX_BODY_BYTES + 10)})
    response = post_json(api(nurse), "/api/v1/patients/", raw)
    assert response.status_code == 400
    assert "1024 KiB" in response.json()["detail"]


def test_a_body_within_the_limits_is_parsed_as_before(api, nurse):
    response = post_json(api(nurse), "/api/v1/patients/", json.dumps({"mrn": ["nested", {"a": [1]}]}))
    assert response.status_code == 400 and "mrn" in response.json()


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert nesting_depth(json.dumps({"note": "[" * 1000}).encode()) <= 1
    assert nesting_depth(b"[" * (MAX_NESTING + 1) + b"]" * (MAX_NESTING + 1)) == MAX_NESTING + 1


def test_a_search_of_many_words_is_refused_by_the_api_naming_the_limit(api, nurse, patient):
    response = api(nurse).get("/api/v1/patients/", {"q": " ".join(["ri"] * 30)})
    assert response.status_code == 400
    assert f"at most {SEARCH_MAX_WORDS} words" in response.json()["q"][0]


def searching_operations(client) -> list[str]:
    """Every GET of the API that documents a `q` (a search, one database condition per word)."""
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    return sorted(
        path
        for path, operations in schema["paths"].items()
        if any(parameter["name"] == "q" for parameter in operations.get("get", {}).get("parameters", []))
    )


def test_every_search_of_the_api_refuses_thousands_of_words_naming_the_limit(api, nurse, patient, program):
    """The dosing queue's search ended in a server error on SQLite (an expression tree too deep) for 3,000 words."""
    assert (web_query.SEARCH_MAX_LENGTH, web_query.SEARCH_MAX_WORDS) == (SEARCH_MAX_LENGTH, SEARCH_MAX_WORDS)
    client = api(nurse)
    searching = searching_operations(client)
    assert {"/api/v1/patients/", "/api/v1/dosing/queue/"} <= set(searching)
    for path in searching:
        for words, limit in (
            (3000, f"at most {SEARCH_MAX_LENGTH} characters"),
            (7, f"at most {SEARCH_MAX_WORDS} words"),
        ):
            query = {"q": " ".join(["ri"] * words)} | ({"program": program.slug} if "dosing" in path else {})
            response = client.get(path, query)
            assert response.status_code == 400, path
            assert limit in response.json()["q"][0], path


def test_a_search_of_many_words_is_refused_on_the_page_naming_the_limit(page, nurse, patient):
    response = page(nurse).get("/patients/", {"q": " ".join(["ri"] * 30)})
    assert response.status_code == 400
    assert f"at most {SEARCH_MAX_WORDS} words" in response.content.decode()


def test_a_search_of_a_full_name_and_mrn_still_finds_the_patient(api, page, nurse, patient):
    assert [p["mrn"] for p in api(nurse).get("/api/v1/patients/", {"q": "Maria Rivera W-1001"}).json()["results"]] == [
        "W-1001"
    ]
    assert page(nurse).get("/patients/", {"q": "Maria Rivera"}).status_code == 200


@pytest.mark.parametrize(("parameter", "value"), [("_id", "1"), ("code", "cows")])
def test_a_fhir_list_of_hundreds_of_values_is_refused_with_an_operation_outcome(api, nurse, patient, parameter, value):
    response = api(nurse).get("/fhir/Observation", {parameter: ",".join([value] * 300)})
    assert response.status_code == 400
    outcome = json.loads(response.content)
    assert outcome["resourceType"] == "OperationOutcome"
    assert f"at most {MAX_LIST_VALUES} values" in outcome["issue"][0]["diagnostics"]


def test_a_fhir_list_within_the_limit_is_searched(api, nurse, patient):
    response = api(nurse).get("/fhir/Observation", {"_id": ",".join(["1"] * MAX_LIST_VALUES)})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/sessions/?end=0345-06-16T23:23:20.8014-18:11", "end"),
        ("/api/v1/sessions/?start=2026-01-01T00:00:00%2B15:00", "start"),
        ("/api/v1/patients/{pk}/assessments/?since=2026-01-01T00:00:00-14:30", "since"),
    ],
)
def test_a_date_time_with_an_offset_no_place_uses_is_refused_naming_the_field(api, nurse, patient, url, name):
    """PostgreSQL refuses UTC offsets past about 16 hours with an error (a 500 the schema test found on
    /api/v1/sessions/): the API answers 400 naming the filter, on both databases."""
    response = api(nurse).get(url.format(pk=patient.pk))
    assert response.status_code == 400, response.content
    assert "between -14:00 and +14:00" in response.json()[name][0]


def test_a_date_time_filter_at_the_widest_offset_in_use_is_accepted(api, nurse, patient):
    assert api(nurse).get("/api/v1/sessions/?start=2026-01-01T00:00:00%2B14:00").status_code == 200
    assert (
        api(nurse).get(f"/api/v1/patients/{patient.pk}/assessments/?since=2026-01-01T00:00:00-12:00").status_code == 200
    )
