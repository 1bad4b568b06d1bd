"""The craving numeric rating scale."""

import pytest

from waypoint.scales import CRAVING_NRS, ScoreError, score


def test_it_is_one_self_report_item_from_0_to_10():
    assert CRAVING_NRS.code == "craving-nrs"
    assert CRAVING_NRS.title == "Craving numeric rating scale"
    assert CRAVING_NRS.reporter == "patient"
    assert CRAVING_NRS.keys == ("craving",)
    item = CRAVING_NRS.item("craving")
    assert item.label == "How strong is your craving to use right now?"
    assert item.allowed == frozenset(range(11))
    assert (CRAVING_NRS.min_total, CRAVING_NRS.max_total) == (0, 10)


def test_only_the_ends_are_anchored():
    item = CRAVING_NRS.item("craving")
    assert item.anchor(0) == "no craving"
    assert item.anchor(10) == "the strongest craving imaginable"
    assert [item.anchor(n) for n in range(1, 10)] == [str(n) for n in range(1, 10)]


def test_its_source_says_it_is_not_a_published_instrument():
    assert "generic 0-10 numeric rating scale" in CRAVING_NRS.source.lower()
    assert "not a named published instrument" in CRAVING_NRS.source


def test_it_has_no_bands():
    assert CRAVING_NRS.bands == ()
    assert score(CRAVING_NRS, {"craving": 7}).severity is None


@pytest.mark.parametrize("value", [-1, 11, 7.5, "7", None, True])
def test_it_rejects_anything_but_a_whole_number_from_0_to_10(value):
    with pytest.raises(ScoreError) as caught:
        score(CRAVING_NRS, {"craving": value})
    assert list(caught.value.errors) == ["craving"]
