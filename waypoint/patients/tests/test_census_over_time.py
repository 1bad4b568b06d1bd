"""The census over time: daily midnight counts by level in the program's time zone, the chart, page and API."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from conftest import patient_fields
from waypoint.patients import queries, services
from waypoint.patients.census_chart import occupancy_chart
from waypoint.patients.models import Episode, LevelOfCareStay

NY = ZoneInfo("America/New_York")


def local(*args):
    return datetime(*args, tzinfo=NY)


def stay(program, nurse, n, code, started, ended=None):
    """A patient with one episode and one stay (rows written directly: this tests the counting, not admission)."""
    patient = services.register_patient(acting_user=nurse, program=program, **patient_fields(mrn=f"C-{n}"))
    episode = Episode.objects.create(
        program=program, patient=patient, admitted_at=started, discharged_at=ended, admitted_by=nurse
    )
    return LevelOfCareStay.objects.create(
        program=program,
        patient=patient,
        episode=episode,
        level_code=code,
        asam_edition=3,
        started_at=started,
        ended_at=ended,
        recorded_by=nurse,
    )


@pytest.fixture
def october(program, nurse):
    stay(program, nurse, 1, "3.5", local(2026, 10, 1, 0, 0), local(2026, 10, 3, 0, 0))  # midnight to midnight
    stay(program, nurse, 2, "3.5", local(2026, 10, 1, 10, 0))  # still there
    stay(program, nurse, 3, "2.1", local(2026, 10, 2, 9, 0), local(2026, 10, 2, 17, 0))  # between two midnights
    stay(program, nurse, 4, "3.7-WM", local(2026, 9, 20, 8, 0), local(2026, 10, 4, 12, 0))
    return queries.census_history(program, date(2026, 10, 1), date(2026, 10, 5))


def counts(history):
    return {row["level"].code: row["counts"] for row in history["levels"]}


def test_midnight_counts_on_a_known_data_set(october):
    assert october["days"] == [date(2026, 10, d) for d in range(1, 6)]
    assert counts(october) == {
        "3.7-WM": [1, 1, 1, 1, 0],
        "3.5": [1, 2, 1, 1, 1],  # a stay counts at the midnight it begins, not at the midnight it ends
        "2.1": [0, 0, 0, 0, 0],  # admitted and discharged between two midnights: never counted
        "1": [0, 0, 0, 0, 0],  # offered, empty: still listed
    }
    assert [row["capacity"] for row in october["levels"]] == [50, 30, 20, 10]  # least intensive first


def test_midnight_is_the_program_s_midnight_across_the_end_of_daylight_saving(program, nurse):
    # 2026-11-01: New York falls back; local midnight is 04:00 UTC on Nov 1 and 05:00 UTC on Nov 2.
    stay(program, nurse, 1, "3.5", datetime(2026, 11, 1, 4, 30, tzinfo=UTC))  # 00:30 local on Nov 1
    stay(program, nurse, 2, "3.5", datetime(2026, 11, 2, 4, 30, tzinfo=UTC))  # 23:30 local on Nov 1
    history = queries.census_history(program, date(2026, 10, 31), date(2026, 11, 3))
    assert counts(history)["3.5"] == [0, 0, 2, 2]


def test_the_range_defaults_to_the_last_30_days_and_refuses_bad_ranges(program):
    from django.utils import timezone

    today = timezone.localdate(timezone=program.tz)
    start, end = queries.census_range(program, None, None)
    assert end == today and (end - start).days == 29
    for given, key in (
        (("2026-13-01", None), "from"),
        ((None, "2999-01-01"), "to"),
        (("2026-10-05", "2026-10-01"), "from"),
        (("2025-01-01", "2026-10-01"), "from"),
    ):
        with pytest.raises(ValidationError) as caught:
            queries.census_range(program, *given)
        assert list(caught.value.message_dict) == [key], given


def test_the_chart_draws_counts_capacity_and_days_over_capacity():
    days = [date(2026, 10, d) for d in range(1, 4)]
    svg = occupancy_chart("3.5 <Residential>", days, [19, 20, 21], 20)
    assert svg.startswith("<svg") and svg.endswith("</svg>") and "<script" not in svg
    assert "3.5 &lt;Residential&gt;" in svg and "<Residential>" not in svg
    assert "capacity 20" in svg and 'stroke-dasharray="6 4"' in svg
    assert "<title>2026-10-02: 20 of 20 in care</title>" in svg
    assert svg.count('class="point over"') == 1 and "2026-10-03: 21 of 20 in care (over capacity)" in svg


def test_the_page_shows_one_chart_per_level_and_the_definition(page, nurse, october):
    response = page(nurse).get("/census/?from=2026-10-01&to=2026-10-05")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('class="census-chart"') == 4
    assert "Midnight census" in body and "America/New_York" in body
    assert "2026-10-02: 2 of 20 in care" in body
    assert 'value="2026-10-01"' in body


def test_the_page_names_a_bad_date_beside_its_field(page, nurse, program):
    response = page(nurse).get("/census/?from=yesterday&to=2026-10-05")
    assert response.status_code == 400 and 'id="id_from_error"' in response.content.decode()


def test_the_api_returns_now_and_the_history_with_its_definition(api, nurse, october):
    response = api(nurse).get("/api/v1/census/?from=2026-10-01&to=2026-10-05")
    assert response.status_code == 200
    history = response.json()["history"]
    assert history["definition"].startswith("Midnight census")
    assert history["time_zone"] == "America/New_York"
    assert history["capacity"]["3.5"] == 20
    assert history["days"][1] == {"date": "2026-10-02", "total": 3, "levels": {"3.7-WM": 1, "3.5": 2, "2.1": 0, "1": 0}}
    assert response.json()["total"] == 1  # now: the 3.5 stay still open


def test_the_api_answers_400_naming_the_bad_date(api, nurse):
    response = api(nurse).get("/api/v1/census/?from=2026-10-01&to=2999-01-01")
    assert response.status_code == 400 and list(response.json()) == ["to"]


def test_the_schema_documents_the_census_definition(api, nurse):
    schema = api(nurse).get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/census/"]["get"]
    assert "Midnight census" in operation["description"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "program"}
