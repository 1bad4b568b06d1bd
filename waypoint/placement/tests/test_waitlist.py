"""Time-to-admission figures on a hand-computed data set (no database)."""

from datetime import UTC, datetime, timedelta

from waypoint.placement.waitlist import in_words, nearest_rank, waits

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def admitted(days_ago, waited_hours):
    at = NOW - timedelta(days=days_ago)
    return (at - timedelta(hours=waited_hours), at)


# Admitted within 30 days: waits 2, 4, 10, 24, 48 h. Between 30 and 90 days ago: 72, 96, 200 h. Older: 500 h.
DATA = [
    admitted(1, 10),
    admitted(3, 2),
    admitted(10, 48),
    admitted(20, 4),
    admitted(29.9, 24),
    admitted(31, 96),
    admitted(60, 72),
    admitted(89, 200),
    admitted(120, 500),
]


def test_the_last_30_days_median_and_90th_percentile_match_the_hand_computation():
    result = waits(DATA, NOW, 30)
    # sorted 2, 4, 10, 24, 48: median 10 h; nearest rank ceil(0.9*5)=5th -> 48 h
    assert (result.count, result.median, result.p90) == (5, timedelta(hours=10), timedelta(hours=48))


def test_the_last_90_days_median_and_90th_percentile_match_the_hand_computation():
    result = waits(DATA, NOW, 90)
    # sorted 2, 4, 10, 24, 48, 72, 96, 200: median (24+48)/2 = 36 h; ceil(0.9*8)=8th -> 200 h
    assert (result.count, result.median, result.p90) == (8, timedelta(hours=36), timedelta(hours=200))


def test_all_time_includes_older_admissions():
    result = waits(DATA, NOW, None)
    # 9 values: median 5th = 48 h; ceil(8.1)=9th -> 500 h
    assert (result.count, result.median, result.p90) == (9, timedelta(hours=48), timedelta(hours=500))


def test_an_empty_window_has_no_figures():
    assert waits([], NOW, 30).median is None
    assert in_words(None) == "—"


def test_nearest_rank_is_an_observed_value():
    assert nearest_rank([5, 1, 3], 0.9) == 5
    assert nearest_rank([7], 0.9) == 7
    assert in_words(timedelta(hours=36)) == "36.0 h"
    assert in_words(timedelta(days=3)) == "3.0 days"
