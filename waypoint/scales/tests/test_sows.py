"""The two "SOWS" against shared/reference/clinical-scales.md."""

import pytest

from waypoint.scales import INSTRUMENTS, SOWS_GOSSOP, SOWS_HANDELSMAN, ScoreError, score

# Copied from the reference: Handelsman's 16 statements, in order.
HANDELSMAN = [
    ("anxious", "I feel anxious"),
    ("yawning", "I feel like yawning"),
    ("perspiring", "I'm perspiring"),
    ("tearing", "My eyes are tearing"),
    ("nose_running", "My nose is running"),
    ("goose_flesh", "I have goose flesh"),
    ("shaking", "I am shaking"),
    ("hot_flashes", "I have hot flashes"),
    ("cold_flashes", "I have cold flashes"),
    ("aches", "My bones and muscles ache"),
    ("restless", "I feel restless"),
    ("nauseous", "I feel nauseous"),
    ("vomiting", "I feel like vomiting"),
    ("twitching", "My muscles twitch"),
    ("stomach_cramps", "I have cramps in my stomach"),
    ("urge_to_use", "I feel like shooting up now"),
]
HANDELSMAN_ANCHORS = ((0, "not at all"), (1, "a little"), (2, "moderately"), (3, "quite a bit"), (4, "extremely"))

# Copied from the reference: Gossop's 10 symptoms, in order.
GOSSOP = [
    ("feeling_sick", "Feeling sick"),
    ("stomach_cramps", "Stomach cramps"),
    ("muscle_spasms", "Muscle spasms/twitching"),
    ("feeling_cold", "Feeling of coldness"),
    ("heart_pounding", "Heart pounding"),
    ("muscle_tension", "Muscular tension"),
    ("aches_pains", "Aches and pains"),
    ("yawning", "Yawning"),
    ("runny_eyes", "Runny eyes"),
    ("insomnia", "Insomnia/problems sleeping"),
]
GOSSOP_ANCHORS = ((0, "none"), (1, "mild"), (2, "moderate"), (3, "severe"))


def test_the_two_sows_have_distinct_codes():
    assert SOWS_HANDELSMAN.code == "sows-handelsman"
    assert SOWS_GOSSOP.code == "sows-gossop"
    assert INSTRUMENTS["sows-handelsman"] is SOWS_HANDELSMAN
    assert INSTRUMENTS["sows-gossop"] is SOWS_GOSSOP
    assert "sows" not in INSTRUMENTS


def test_handelsman_identity():
    assert SOWS_HANDELSMAN.title == "Subjective Opiate Withdrawal Scale"
    assert SOWS_HANDELSMAN.source == "Handelsman et al., Am J Drug Alcohol Abuse 1987;13(3):293-308"
    assert SOWS_HANDELSMAN.reporter == "patient"


def test_handelsman_has_the_16_statements_in_order():
    assert [(i.key, i.label) for i in SOWS_HANDELSMAN.items] == HANDELSMAN


def test_every_handelsman_item_is_0_to_4_with_the_reference_anchors():
    for item in SOWS_HANDELSMAN.items:
        assert item.choices == HANDELSMAN_ANCHORS
        assert item.allowed == frozenset(range(5))


def test_handelsman_totals_run_from_0_to_64():
    assert (SOWS_HANDELSMAN.min_total, SOWS_HANDELSMAN.max_total) == (0, 64)


def test_handelsman_has_no_bands_because_the_printed_ones_are_unverified():
    assert SOWS_HANDELSMAN.bands == ()
    assert SOWS_HANDELSMAN.band_for(15) is None
    result = score(SOWS_HANDELSMAN, {key: 4 for key, _ in HANDELSMAN})
    assert (result.total, result.severity) == (64, None)


def test_handelsman_rejects_5():
    with pytest.raises(ScoreError) as caught:
        score(SOWS_HANDELSMAN, {key: 5 if key == "urge_to_use" else 0 for key, _ in HANDELSMAN})
    assert caught.value.errors == {"urge_to_use": "5 is not one of this item's scores; choose 0, 1, 2, 3 or 4"}


def test_gossop_identity():
    assert SOWS_GOSSOP.title == "Short Opiate Withdrawal Scale"
    assert SOWS_GOSSOP.source == "Gossop, Addict Behav 1990;15:487-490"
    assert SOWS_GOSSOP.reporter == "patient"


def test_gossop_has_the_10_symptoms_in_order():
    assert [(i.key, i.label) for i in SOWS_GOSSOP.items] == GOSSOP


def test_every_gossop_item_is_none_mild_moderate_severe_0_to_3():
    for item in SOWS_GOSSOP.items:
        assert item.choices == GOSSOP_ANCHORS


def test_gossop_totals_run_from_0_to_30_with_no_bands():
    assert (SOWS_GOSSOP.min_total, SOWS_GOSSOP.max_total) == (0, 30)
    assert SOWS_GOSSOP.bands == ()
    result = score(SOWS_GOSSOP, {key: 3 for key, _ in GOSSOP})
    assert (result.total, result.severity) == (30, None)


def test_gossop_rejects_4():
    with pytest.raises(ScoreError) as caught:
        score(SOWS_GOSSOP, {key: 4 if key == "insomnia" else 1 for key, _ in GOSSOP})
    assert list(caught.value.errors) == ["insomnia"]


def test_an_answer_to_the_other_sows_is_an_unknown_key():
    responses = {key: 0 for key, _ in GOSSOP} | {"urge_to_use": 0}
    with pytest.raises(ScoreError) as caught:
        score(SOWS_GOSSOP, responses)
    assert caught.value.errors == {"urge_to_use": "'urge_to_use' is not an item of sows-gossop"}
