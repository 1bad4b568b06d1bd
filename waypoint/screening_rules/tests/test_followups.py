"""The follow-up table, row by row (issue 4's mappings, then the program's decisions)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS
from waypoint.screening_rules.followups import FOLLOW_UPS, ISSUE, NO_FOLLOW_UP, PROGRAM, TABLE, follow_ups_for


def codes(present=(), routes=()):
    return [due.code for due in follow_ups_for(present, routes)]


def test_injection_calls_for_hiv_hepatitis_b_and_c_testing_and_a_wound_check():
    assert codes(routes=["injection"]) == ["hiv_test", "hepatitis_b_test", "hepatitis_c_test", "wound_check"]


def test_other_routes_call_for_nothing():
    assert codes(routes=["smoking", "snorting", "oral"]) == []


def test_liver_disease_calls_for_a_liver_panel_and_hepatitis_testing():
    assert codes(["liver_disease"]) == ["hepatitis_b_test", "hepatitis_c_test", "liver_panel"]


@pytest.mark.parametrize("item", ["tissue_blood_infection", "injection_site_infection"])
def test_blood_or_tissue_infection_signs_call_for_urgent_medical_evaluation(item):
    assert "urgent_medical_evaluation" in codes([item])


def test_an_injection_site_infection_also_calls_for_a_wound_check():
    assert codes(["injection_site_infection"]) == ["wound_check", "urgent_medical_evaluation"]


@pytest.mark.parametrize("item", ["lung_problems", "slowed_breathing", "smoking_oral_lung_digestive"])
def test_breathing_problems_call_for_pulmonary_and_sleep_evaluation(item):
    assert codes([item]) == ["pulmonary_evaluation", "sleep_evaluation"]


@pytest.mark.parametrize("item", [i.key for i in HEROIN_COMPLICATIONS.groups[3].items])
def test_cognitive_items_call_for_cognitive_screening(item):
    assert codes([item]) == ["cognitive_screening"]


@pytest.mark.parametrize("item", ["sexual_function", "menstrual_problems"])
def test_sexual_or_menstrual_problems_call_for_a_medical_referral(item):
    assert codes([item]) == ["medical_referral"]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("trouble_sleeping", ["sleep_evaluation"]),
        ("kidney_disease", ["medical_referral"]),
        ("clogged_blood_vessels", ["medical_referral"]),
        ("severe_constipation", ["medical_referral"]),
    ],
)
def test_the_program_decision_rows(item, expected):
    assert codes([item]) == expected
    assert next(r for r in TABLE if r.trigger == item).origin == PROGRAM


@pytest.mark.parametrize("item", sorted(NO_FOLLOW_UP))
def test_items_without_a_follow_up_call_for_nothing(item):
    assert codes([item]) == []


def test_the_table_is_complete_every_item_is_in_a_row_or_in_the_no_follow_up_list_never_both():
    in_rows = {row.trigger for row in TABLE if row.trigger_kind == "item"}
    assert in_rows | set(NO_FOLLOW_UP) == set(HEROIN_COMPLICATIONS.keys)
    assert not in_rows & set(NO_FOLLOW_UP)
    assert all(code in FOLLOW_UPS for row in TABLE for code in row.follow_ups)
    assert {row.origin for row in TABLE} == {ISSUE, PROGRAM}


def test_a_follow_up_called_for_twice_is_listed_once_with_both_reasons():
    [*_, wound] = [d for d in follow_ups_for(["injection_site_infection"], ["injection"]) if d.code == "wound_check"]
    assert wound.reasons == ("Injection route (history)", "Infection at injection sites")
    assert codes(["injection_site_infection"], ["injection"]).count("wound_check") == 1


@given(st.sets(st.sampled_from(HEROIN_COMPLICATIONS.keys)), st.sets(st.sampled_from(["injection", "oral"])))
def test_follow_ups_are_exactly_the_union_of_the_matching_rows(present, routes):
    expected = {
        c for r in TABLE if r.trigger in (routes if r.trigger_kind == "route" else present) for c in r.follow_ups
    }
    got = codes(present, routes)
    assert set(got) == expected and len(got) == len(set(got))
