"""COWS against shared/reference/clinical-scales.md, item by item, and its pulse rule."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waypoint.scales import COWS, ScoreError, pulse_score, score

# Copied from the reference table: key, label, help, {score: anchor}.
REFERENCE = [
    ("resting_pulse", "Resting pulse rate", "measured after sitting or lying for one minute",
     {0: "80 or below", 1: "81-100", 2: "101-120", 4: "greater than 120"}),
    ("sweating", "Sweating", "over the past half hour, not accounted for by room temperature or activity",
     {0: "no report of chills or flushing", 1: "subjective report of chills or flushing",
      2: "flushed or observable moistness on face", 3: "beads of sweat on brow or face",
      4: "sweat streaming off face"}),
    ("restlessness", "Restlessness", "observed during assessment",
     {0: "able to sit still", 1: "reports difficulty sitting still, but is able to do so",
      3: "frequent shifting or extraneous movements of legs/arms",
      5: "unable to sit still for more than a few seconds"}),
    ("pupil_size", "Pupil size", "",
     {0: "pupils pinned or normal size for room light", 1: "pupils possibly larger than normal for room light",
      2: "pupils moderately dilated", 5: "pupils so dilated that only the rim of the iris is visible"}),
    ("bone_joint_aches", "Bone or joint aches",
     "if pain was present before, score only the part attributed to withdrawal",
     {0: "not present", 1: "mild diffuse discomfort",
      2: "patient reports severe diffuse aching of joints/muscles",
      4: "patient is rubbing joints or muscles and is unable to sit still because of discomfort"}),
    ("runny_nose_tearing", "Runny nose or tearing", "not accounted for by cold symptoms or allergies",
     {0: "not present", 1: "nasal stuffiness or unusually moist eyes", 2: "nose running or tearing",
      4: "nose constantly running or tears streaming down cheeks"}),
    ("gi_upset", "GI upset", "over the last half hour",
     {0: "no GI symptoms", 1: "stomach cramps", 2: "nausea or loose stool", 3: "vomiting or diarrhea",
      5: "multiple episodes of diarrhea or vomiting"}),
    ("tremor", "Tremor", "observation of outstretched hands",
     {0: "no tremor", 1: "tremor can be felt, but not observed", 2: "slight tremor observable",
      4: "gross tremor or muscle twitching"}),
    ("yawning", "Yawning", "observation during assessment",
     {0: "no yawning", 1: "yawning once or twice during assessment",
      2: "yawning three or more times during assessment", 4: "yawning several times/minute"}),
    ("anxiety_irritability", "Anxiety or irritability", "",
     {0: "none", 1: "patient reports increasing irritability or anxiousness",
      2: "patient obviously irritable or anxious",
      4: "patient so irritable or anxious that participation in the assessment is difficult"}),
    ("gooseflesh", "Gooseflesh skin", "",
     {0: "skin is smooth", 3: "piloerection of skin can be felt or hairs standing up on arms",
      5: "prominent piloerection"}),
]  # fmt: skip

ZEROS = {key: 0 for key, *_ in REFERENCE}


def answers(**overrides):
    return {**ZEROS, **overrides}


def test_the_identity_is_the_reference_one():
    assert (COWS.code, COWS.version, COWS.title, COWS.short_title) == (
        "cows", "2003", "Clinical Opiate Withdrawal Scale", "COWS",
    )  # fmt: skip
    assert COWS.source == "Wesson & Ling, J Psychoactive Drugs 2003;35(2):253-259"
    assert COWS.reporter == "clinician"


def test_the_general_instruction_is_the_reference_one():
    assert COWS.instructions == (
        "For each item, score only what is apparently due to opiate withdrawal (e.g. a heart rate raised by "
        "jogging just before the assessment does not add to the pulse score)."
    )


def test_it_has_the_eleven_items_in_the_reference_order():
    assert COWS.keys == tuple(key for key, *_ in REFERENCE)


@pytest.mark.parametrize("key,label,help_,choices", REFERENCE, ids=[r[0] for r in REFERENCE])
def test_each_item_is_worded_and_scored_as_in_the_reference(key, label, help_, choices):
    item = COWS.item(key)
    assert item.label == label
    assert item.help == help_
    assert item.choices == tuple(choices.items())
    assert item.allowed == frozenset(choices)
    for value, text in choices.items():
        assert item.anchor(value) == text


def test_the_pulse_anchors_are_in_beats_per_minute():
    assert COWS.item("resting_pulse").unit == "beats/minute"


def test_the_total_runs_from_0_to_48():
    assert (COWS.min_total, COWS.max_total) == (0, 48)


@pytest.mark.parametrize(
    "total,code",
    [(0, "none"), (4, "none"), (5, "mild"), (12, "mild"), (13, "moderate"), (24, "moderate"),
     (25, "moderately_severe"), (36, "moderately_severe"), (37, "severe"), (48, "severe")],
)  # fmt: skip
def test_band_edges(total, code):
    assert COWS.band_for(total).code == code


def test_the_band_labels():
    assert [(b.low, b.high, b.code, b.label) for b in COWS.bands] == [
        (0, 4, "none", "below 5: no active withdrawal by COWS"),
        (5, 12, "mild", "mild"),
        (13, 24, "moderate", "moderate"),
        (25, 36, "moderately_severe", "moderately severe"),
        (37, 48, "severe", "severe"),
    ]


def test_a_total_outside_0_to_48_has_no_band_but_an_error():
    for total in (-1, 49):
        with pytest.raises(ValueError):
            COWS.band_for(total)


def test_all_zeros_score_0_with_no_active_withdrawal():
    result = score(COWS, ZEROS)
    assert (result.total, result.severity.code, result.derived) == (0, "none", ())


def test_the_highest_anchors_score_48_severe():
    result = score(COWS, {key: max(choices) for key, _, _, choices in REFERENCE})
    assert (result.total, result.severity.code) == (48, "severe")


def test_a_typical_moderate_withdrawal():
    result = score(COWS, answers(resting_pulse=2, sweating=2, restlessness=3, pupil_size=1, gi_upset=2,
                                 yawning=1, anxiety_irritability=2))  # fmt: skip
    assert (result.total, result.severity.code) == (13, "moderate")


def test_it_rejects_a_pulse_score_of_3():
    with pytest.raises(ScoreError) as caught:
        score(COWS, answers(resting_pulse=3))
    assert caught.value.errors == {"resting_pulse": "3 is not one of this item's scores; choose 0, 1, 2 or 4"}


def test_it_rejects_gooseflesh_4():
    with pytest.raises(ScoreError) as caught:
        score(COWS, answers(gooseflesh=4))
    assert caught.value.errors == {"gooseflesh": "4 is not one of this item's scores; choose 0, 3 or 5"}


@pytest.mark.parametrize(
    "key,bad",
    [
        ("restlessness", 2),
        ("restlessness", 4),
        ("pupil_size", 3),
        ("pupil_size", 4),
        ("gi_upset", 4),
        ("sweating", 5),
        ("tremor", 3),
    ],
)
def test_it_rejects_the_scores_between_sparse_anchors(key, bad):
    with pytest.raises(ScoreError) as caught:
        score(COWS, answers(**{key: bad}))
    assert list(caught.value.errors) == [key]


def test_a_string_score_is_not_accepted():
    with pytest.raises(ScoreError) as caught:
        score(COWS, answers(sweating="2"))
    assert caught.value.errors["sweating"] == "'2' is not a whole-number score; choose 0, 1, 2, 3 or 4"


def test_true_is_not_a_score_of_1():
    with pytest.raises(ScoreError) as caught:
        score(COWS, answers(tremor=True))
    assert list(caught.value.errors) == ["tremor"]


@pytest.mark.parametrize(
    "bpm,expected", [(1, 0), (60, 0), (80, 0), (81, 1), (96, 1), (100, 1), (101, 2), (120, 2), (121, 4), (180, 4)]
)
def test_pulse_score_follows_the_anchors(bpm, expected):
    assert pulse_score(bpm) == expected


def test_a_measured_pulse_of_96_scores_1():
    responses = dict(ZEROS)
    del responses["resting_pulse"]
    result = score(COWS, responses, vitals={"pulse_bpm": 96})
    assert result.responses["resting_pulse"] == 1
    assert result.total == 1
    assert result.derived == ("resting_pulse",)
    assert list(result.responses) == list(COWS.keys)


def test_a_measured_pulse_of_121_scores_4():
    responses = {k: v for k, v in ZEROS.items() if k != "resting_pulse"}
    assert score(COWS, responses, vitals={"pulse_bpm": 121}).responses["resting_pulse"] == 4


def test_a_pulse_that_agrees_with_the_score_is_accepted_and_not_derived():
    result = score(COWS, answers(resting_pulse=1), vitals={"pulse_bpm": 96})
    assert (result.responses["resting_pulse"], result.derived) == (1, ())


def test_a_pulse_that_disagrees_with_the_score_is_an_error():
    with pytest.raises(ScoreError) as caught:
        score(COWS, answers(resting_pulse=2), vitals={"pulse_bpm": 96})
    assert caught.value.errors == {"resting_pulse": "the measured pulse 96 bpm gives score 1, not 2"}


def test_a_missing_pulse_without_a_measurement_is_an_error():
    responses = {k: v for k, v in ZEROS.items() if k != "resting_pulse"}
    with pytest.raises(ScoreError) as caught:
        score(COWS, responses, vitals={"pulse_bpm": None})
    assert list(caught.value.errors) == ["resting_pulse"]
    assert "or enter the measured pulse" in caught.value.errors["resting_pulse"]


@pytest.mark.parametrize("bpm", [0, -5, True, False, 96.0, "96", [96]])
def test_a_measured_pulse_must_be_a_positive_whole_number(bpm):
    responses = {k: v for k, v in ZEROS.items() if k != "resting_pulse"}
    with pytest.raises(ScoreError) as caught:
        score(COWS, responses, vitals={"pulse_bpm": bpm})
    assert list(caught.value.errors) == ["vitals.pulse_bpm"]


def test_a_bad_measured_pulse_is_an_error_even_with_a_pulse_score():
    with pytest.raises(ScoreError) as caught:
        score(COWS, answers(resting_pulse=1), vitals={"pulse_bpm": -1})
    assert list(caught.value.errors) == ["vitals.pulse_bpm"]


def test_other_vitals_are_ignored():
    assert score(COWS, ZEROS, vitals={"temperature_c": 37.2, "bp": "120/80"}).total == 0


def test_every_offending_key_is_named_at_once():
    responses = answers(resting_pulse=2, gooseflesh=4, sweating="1", tremor=None, mood=3)
    del responses["yawning"]
    with pytest.raises(ScoreError) as caught:
        score(COWS, responses, vitals={"pulse_bpm": 70})
    errors = caught.value.errors
    assert set(errors) == {"resting_pulse", "gooseflesh", "sweating", "tremor", "yawning", "mood"}
    assert errors["resting_pulse"] == "the measured pulse 70 bpm gives score 0, not 2"
    assert errors["mood"] == "'mood' is not an item of cows"
    message = str(caught.value)
    assert message.startswith("cows: 6 problems: ")
    for key in errors:
        assert f"{key}: " in message


@settings(database=None)
@given(bpm=st.integers(min_value=1, max_value=400))
def test_a_derived_pulse_always_agrees_with_itself_and_with_the_anchors(bpm):
    expected = 0 if bpm <= 80 else 1 if bpm <= 100 else 2 if bpm <= 120 else 4
    responses = {k: v for k, v in ZEROS.items() if k != "resting_pulse"}
    derived = score(COWS, responses, vitals={"pulse_bpm": bpm})
    assert derived.responses["resting_pulse"] == expected
    given_too = score(COWS, answers(resting_pulse=expected), vitals={"pulse_bpm": bpm})
    assert given_too.responses == derived.responses
    for other in {0, 1, 2, 4} - {expected}:
        with pytest.raises(ScoreError) as caught:
            score(COWS, answers(resting_pulse=other), vitals={"pulse_bpm": bpm})
        assert list(caught.value.errors) == ["resting_pulse"]
