"""CIWA-Ar against shared/reference/clinical-scales.md, item by item."""

import pytest

from waypoint.scales import CIWA_AR, INSTRUMENTS, ScoreError, get_instrument, score

# (key, label, highest score, anchors printed on the form) exactly as the reference's table
REFERENCE = [
    (
        "nausea_vomiting",
        "Nausea and vomiting",
        7,
        {
            0: "no nausea and no vomiting",
            1: "mild nausea with no vomiting",
            4: "intermittent nausea with dry heaves",
            7: "constant nausea, frequent dry heaves and vomiting",
        },
    ),
    (
        "tremor",
        "Tremor, arms extended and fingers spread",
        7,
        {
            0: "no tremor",
            1: "not visible, but can be felt fingertip to fingertip",
            4: "moderate, with patient's arms extended",
            7: "severe, even with arms not extended",
        },
    ),
    (
        "paroxysmal_sweats",
        "Paroxysmal sweats",
        7,
        {
            0: "no sweat visible",
            1: "barely perceptible sweating, palms moist",
            4: "beads of sweat obvious on forehead",
            7: "drenching sweats",
        },
    ),
    (
        "anxiety",
        "Anxiety",
        7,
        {
            0: "no anxiety, at ease",
            1: "mildly anxious",
            4: "moderately anxious, or guarded, so anxiety is inferred",
            7: "equivalent to acute panic states as seen in severe delirium or acute schizophrenic reactions",
        },
    ),
    (
        "agitation",
        "Agitation",
        7,
        {
            0: "normal activity",
            1: "somewhat more than normal activity",
            4: "moderately fidgety and restless",
            7: "paces back and forth during most of the interview, or constantly thrashes about",
        },
    ),
    (
        "tactile",
        "Tactile disturbances",
        7,
        {
            0: "none",
            1: "very mild itching, pins and needles, burning or numbness",
            2: "mild",
            3: "moderate",
            4: "moderately severe hallucinations",
            5: "severe hallucinations",
            6: "extremely severe hallucinations",
            7: "continuous hallucinations",
        },
    ),
    (
        "auditory",
        "Auditory disturbances",
        7,
        {
            0: "not present",
            1: "very mild harshness or ability to frighten",
            2: "mild harshness or ability to frighten",
            3: "moderate harshness or ability to frighten",
            4: "moderately severe hallucinations",
            5: "severe hallucinations",
            6: "extremely severe hallucinations",
            7: "continuous hallucinations",
        },
    ),
    (
        "visual",
        "Visual disturbances",
        7,
        {
            0: "not present",
            1: "very mild sensitivity",
            2: "mild sensitivity",
            3: "moderate sensitivity",
            4: "moderately severe hallucinations",
            5: "severe hallucinations",
            6: "extremely severe hallucinations",
            7: "continuous hallucinations",
        },
    ),
    (
        "headache",
        "Headache, fullness in head",
        7,
        {
            0: "not present",
            1: "very mild",
            2: "mild",
            3: "moderate",
            4: "moderately severe",
            5: "severe",
            6: "very severe",
            7: "extremely severe",
        },
    ),
    (
        "orientation",
        "Orientation and clouding of sensorium",
        4,
        {
            0: "oriented and can do serial additions",
            1: "cannot do serial additions or is uncertain about date",
            2: "disoriented for date by no more than 2 calendar days",
            3: "disoriented for date by more than 2 calendar days",
            4: "disoriented for place and/or person",
        },
    ),
]
KEYS = [key for key, *_ in REFERENCE]


def zeros(**answers):
    return {key: 0 for key in KEYS} | answers


def test_identity_and_registry():
    assert CIWA_AR.code == "ciwa-ar"
    assert INSTRUMENTS["ciwa-ar"] is CIWA_AR
    assert get_instrument("ciwa-ar") is CIWA_AR
    assert CIWA_AR.title == "Clinical Institute Withdrawal Assessment for Alcohol, revised"
    assert CIWA_AR.source == "Sullivan et al., Br J Addict 1989;84:1353-1357"
    assert CIWA_AR.reporter == "clinician"


def test_the_ten_items_in_the_reference_order_with_its_labels():
    assert [(item.key, item.label) for item in CIWA_AR.items] == [(key, label) for key, label, *_ in REFERENCE]


@pytest.mark.parametrize(("key", "label", "highest", "anchors"), REFERENCE, ids=KEYS)
def test_each_item_allows_every_integer_up_to_its_maximum_and_prints_the_reference_anchors(
    key, label, highest, anchors
):
    item = CIWA_AR.item(key)
    assert item.scores == tuple(range(highest + 1))
    for value, text in anchors.items():
        assert item.anchor(value) == text
    for value in set(range(highest + 1)) - set(anchors):
        assert item.anchor(value).startswith("between "), "an unprinted value gets no invented anchor"
    assert item.derive_from is None


@pytest.mark.parametrize(("key", "label", "highest", "anchors"), REFERENCE, ids=KEYS)
def test_each_item_scores_each_allowed_value_into_the_total_and_refuses_the_next(key, label, highest, anchors):
    for value in range(highest + 1):
        result = score(CIWA_AR, zeros(**{key: value}))
        assert result.total == value
        assert result.responses[key] == value
    with pytest.raises(ScoreError) as caught:
        score(CIWA_AR, zeros(**{key: highest + 1}))
    assert set(caught.value.errors) == {key}
    allowed = ", ".join(str(v) for v in range(highest)) + f" or {highest}"
    assert caught.value.errors[key].endswith(f"choose {allowed}")
    for bad in (-1, 2.0, "2", True, None):
        with pytest.raises(ScoreError) as caught:
            score(CIWA_AR, zeros(**{key: bad}))
        assert set(caught.value.errors) == {key}


def test_totals_run_from_0_to_67_and_carry_no_severity():
    assert (CIWA_AR.min_total, CIWA_AR.max_total) == (0, 67)
    assert CIWA_AR.bands == ()
    highest = {key: top for key, _, top, _ in REFERENCE}
    assert score(CIWA_AR, highest).total == 67
    assert score(CIWA_AR, highest).severity is None
    assert score(CIWA_AR, zeros()).total == 0
    mixed = zeros(nausea_vomiting=3, tremor=2, anxiety=5, orientation=1)
    assert score(CIWA_AR, mixed).total == 11


def test_every_item_must_be_answered_and_no_other_key_given():
    responses = zeros()
    del responses["headache"]
    responses["pulse"] = 1
    with pytest.raises(ScoreError) as caught:
        score(CIWA_AR, responses)
    assert set(caught.value.errors) == {"headache", "pulse"}
