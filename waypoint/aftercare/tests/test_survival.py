"""The Kaplan-Meier estimator against a hand-computed example.

Six discharges, days after discharge: 3 event, 5 censored, 5 event, 8 event, 10 censored, 12 event.
    day 3:  6 at risk, 1 event            S = 5/6
    day 5:  5 at risk, 1 event, 1 censored S = 5/6 x 4/5 = 2/3   (the censored case is at risk on day 5)
    day 8:  3 at risk, 1 event            S = 2/3 x 2/3 = 4/9
    day 10: 2 at risk, 1 censored         S = 4/9
    day 12: 1 at risk, 1 event            S = 0
"""

import pytest

from waypoint.aftercare.survival import Step, kaplan_meier, survival_at

CASES = [(3, True), (5, False), (5, True), (8, True), (10, False), (12, True)]


def test_the_estimator_matches_the_hand_computed_steps():
    steps = kaplan_meier(CASES)
    assert [(s.day, s.at_risk, s.events, s.censored) for s in steps] == [
        (3, 6, 1, 0),
        (5, 5, 1, 1),
        (8, 3, 1, 0),
        (10, 2, 0, 1),
        (12, 1, 1, 0),
    ]
    assert [s.survival for s in steps] == pytest.approx([5 / 6, 2 / 3, 4 / 9, 4 / 9, 0])


def test_the_estimate_on_a_day_is_the_last_step_before_it():
    steps = kaplan_meier(CASES)
    assert survival_at(steps, 0) == 1
    assert survival_at(steps, 4) == pytest.approx(5 / 6)
    assert survival_at(steps, 9) == pytest.approx(4 / 9)
    assert survival_at(steps, 30) == 0


def test_a_curve_that_ends_censored_says_nothing_beyond_its_last_day():
    steps = kaplan_meier([(2, True), (7, False)])
    assert survival_at(steps, 7) == pytest.approx(1 / 2)
    assert survival_at(steps, 8) is None
    assert kaplan_meier([]) == []


def test_every_case_censored_keeps_the_curve_at_one():
    assert kaplan_meier([(4, False), (4, False)]) == [Step(4, 2, 0, 2, 1.0)]


def test_a_negative_day_is_refused():
    with pytest.raises(ValueError):
        kaplan_meier([(-1, True)])
