"""The placement rule tables: guarantees checked exhaustively and by property tests (no database)."""

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waypoint.placement.rules import (
    DIMENSIONS,
    TableError,
    all_ratings,
    check_ratings,
    check_shape,
    default_table,
    describe,
    recommend,
    validate,
)

EDITIONS = (3, 4)
ratings_strategy = st.tuples(*[st.integers(0, 4)] * 6)


def rank_of(table):
    return {code: rank for rank, codes in enumerate(table["intensity"]) for code in codes}


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_default_tables_pass_validation(edition):
    assert validate(default_table(edition)) is None


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_one_of_the_15625_combinations_gets_exactly_one_level(edition):
    table = default_table(edition)
    combinations = list(all_ratings())
    assert len(combinations) == 5**6 == 15625
    for ratings in combinations:
        result = recommend(table, ratings)
        assert result.level is not None and result.ambiguous == ()
        assert result.withdrawal in table["withdrawal"]


@pytest.mark.parametrize("edition", EDITIONS)
@settings(max_examples=300, deadline=None)
@given(ratings=ratings_strategy, dimension=st.integers(0, 5), step=st.integers(1, 4))
def test_raising_any_dimension_never_recommends_a_less_intensive_level(edition, ratings, dimension, step):
    table = default_table(edition)
    rank = rank_of(table)
    raised = list(ratings)
    raised[dimension] = min(4, raised[dimension] + step)
    before, after = recommend(table, ratings), recommend(table, raised)
    assert rank[after.level] >= rank[before.level]
    needs = table["withdrawal"]
    assert needs.index(after.withdrawal) >= needs.index(before.withdrawal)


@pytest.mark.parametrize("edition", EDITIONS)
@settings(max_examples=200, deadline=None)
@given(low=ratings_strategy, high=ratings_strategy)
def test_raising_several_dimensions_at_once_never_lowers_the_level(edition, low, high):
    table = default_table(edition)
    rank = rank_of(table)
    high = tuple(max(a, b) for a, b in zip(low, high, strict=True))
    assert rank[recommend(table, high).level] >= rank[recommend(table, low).level]


def test_all_zero_ratings_get_the_least_intensive_level_and_no_withdrawal_need():
    assert recommend(default_table(3), (0,) * 6).level == "0.5"
    assert recommend(default_table(3), (0,) * 6).withdrawal == "none"
    assert recommend(default_table(4), (0,) * 6).level == "1.0"


def test_the_recommendation_lists_the_rules_that_fired():
    result = recommend(default_table(3), (4, 0, 0, 0, 0, 0))
    assert result.level == "4"
    assert result.withdrawal == "4-WM"
    assert {"ANY-1", "ANY-2", "D1-3", "D1-4", "WM-1", "WM-2"} <= set(result.fired)
    assert "D2-4" not in result.fired


def test_an_unsafe_living_environment_with_moderate_withdrawal_needs_residential_withdrawal_management():
    result = recommend(default_table(3), (2, 0, 0, 0, 0, 3))
    assert result.level == "3.1"
    assert result.withdrawal == "3.2-WM"
    assert "WM-2-HOME" in result.fired


def test_the_default_tables_say_they_are_not_the_asam_algorithm():
    for edition in EDITIONS:
        assert "NOT the ASAM Criteria decision algorithm" in default_table(edition)["notice"]


def test_dimension_names_come_from_both_editions():
    assert DIMENSIONS[3][3] == "Readiness to Change"
    assert DIMENSIONS[4][5] == "Person-Centered Considerations"
    assert "Readiness to Change" in describe({"dimension": 4, "at_least": 2}, 3)


def test_it_refuses_a_table_where_raising_a_dimension_lowers_the_level():
    table = default_table(3)
    # "ready to change" (dimension 4 at most 1) sends people to residential: raising dimension 4 then drops them
    table["rules"].append({"id": "BAD", "when": [{"dimension": 4, "at_most": 1}], "level": "3.1"})
    problem = validate(table)
    assert isinstance(problem, TableError)
    assert problem.counterexample == (0, 0, 0, 1, 0, 0)
    assert "raising dimension 4 from 1 to 2" in str(problem)
    assert "3.1" in str(problem) and "2.1" in str(problem)


def test_it_refuses_a_table_where_raising_a_dimension_lowers_the_withdrawal_need():
    table = default_table(3)
    table["rules"].append({"id": "BAD", "when": [{"dimension": 6, "at_most": 0}], "withdrawal": "2-WM"})
    problem = validate(table)
    assert problem.counterexample == (0, 0, 0, 0, 0, 0)
    assert "withdrawal need" in str(problem)


def test_it_refuses_a_table_that_leaves_a_combination_without_a_recommendation():
    table = default_table(3)
    table["default_level"] = None
    problem = validate(table)
    assert problem.counterexample == (0, 0, 0, 0, 0, 0)
    assert "no recommendation" in str(problem)


def test_it_refuses_a_table_that_gives_two_recommendations_of_equal_intensity():
    table = default_table(3)
    table["intensity"][5] = ["3.3", "3.5"]
    table["rules"].append({"id": "TIE", "when": [{"dimension": 5, "at_least": 3}], "level": "3.3"})
    table["rules"].append({"id": "TIE2", "when": [{"dimension": 5, "at_least": 3}], "level": "3.5"})
    problem = validate(table)
    assert problem.counterexample == (0, 0, 0, 0, 3, 0)
    assert "3.3, 3.5" in str(problem)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda t: t["rules"][0].update(level="9.9"), "not in the intensity list"),
        (lambda t: t["intensity"].append(["9.9"]), "is not a level"),
        (lambda t: t["rules"][1].update(id="ANY-1"), "unique id"),
        (lambda t: t["rules"][0].update(when=[{"dimension": 7, "at_least": 1}]), "dimension 1-6"),
        (lambda t: t["rules"][0].update(when=[{"dimension": 1, "above": 1}]), "unknown condition"),
        (lambda t: t["rules"][0].update(when=[]), "non-empty list"),
        (lambda t: t.update(edition=5), "edition"),
    ],
)
def test_it_refuses_a_malformed_table(change, message):
    table = copy.deepcopy(default_table(3))
    change(table)
    with pytest.raises(TableError, match=message):
        check_shape(table)
    assert message in str(validate(table)) or message == "edition"


@pytest.mark.parametrize("ratings", [(0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 5), (0, -1, 0, 0, 0, 0), (0, 0, 1.5, 0, 0, 0)])
def test_it_refuses_ratings_outside_0_to_4(ratings):
    with pytest.raises(ValueError):
        check_ratings(ratings)
