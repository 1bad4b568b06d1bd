"""The overdose-risk rules: each factor from its source, the level table, and derived loss of tolerance."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from waypoint.screening_rules.overdose import (
    ELEVATED,
    FACTORS,
    HIGH,
    NONE_RECORDED,
    Facts,
    Stay,
    derive_loss_of_tolerance,
    picture,
)

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def keys(facts):
    return [p.factor.key for p in picture(facts).factors]


def sources(facts):
    return [s for p in picture(facts).factors for s in p.sources]


# The reference's passage, word for word (../shared/reference/clinical-scales.md, "Overdose risk"), kept here so
# that the test reads no file outside the repository.
REFERENCE_PASSAGE = """
Public-health risk factors: prior overdose; loss of tolerance (after withdrawal management, residential
stay, hospital stay, or release from jail/prison); alcohol, benzodiazepine or stimulant co-use;
injection route; using alone; unknown supply potency (fentanyl, xylazine); major medical or mental
illness (cirrhosis, CKD, COPD/asthma, sleep apnea, heart failure). Practice: overdose education and
naloxone for every patient and family, and at every discharge/transition.
"""


def test_every_factor_names_the_reference_phrase_it_implements():
    reference = " ".join(REFERENCE_PASSAGE.split())
    for factor in FACTORS:
        assert factor.reference.split(" (")[0] in reference, factor.key


@pytest.mark.parametrize(
    ("facts", "key", "source"),
    [
        (Facts(prior_overdoses=2), "prior_overdose", "history: 2 prior overdose(s)"),
        (Facts(overdose_events=1), "prior_overdose", "events: 1 recorded overdose(s)"),
        (Facts(tolerance_traces=("episode: x",)), "loss_of_tolerance", "episode: x"),
        (Facts(substances=("heroin", "alcohol")), "co_use", "history: uses alcohol"),
        (Facts(substances=("benzodiazepines",)), "co_use", "history: uses benzodiazepines"),
        (Facts(substances=("stimulants",)), "co_use", "history: uses stimulants"),
        (Facts(routes=("injection",)), "injection", "history: injection route"),
        (Facts(uses_alone=True), "using_alone", "history: uses alone"),
        (
            Facts(fentanyl_or_xylazine=True),
            "unknown_supply",
            "history: fentanyl or xylazine known or suspected in the supply",
        ),
        (
            Facts(present_items=("adulterant_reaction",)),
            "unknown_supply",
            "screen: reaction to substances mixed into the drug",
        ),
        (Facts(present_items=("lung_problems",)), "major_illness", "screen: lung problems"),
        (Facts(present_items=("liver_disease",)), "major_illness", "screen: liver disease"),
        (Facts(present_items=("kidney_disease",)), "major_illness", "screen: kidney disease"),
        (Facts(conditions=("sleep_apnea",)), "major_illness", "history: Sleep apnea"),
        (Facts(conditions=("heart_failure",)), "major_illness", "history: Heart failure"),
        (Facts(conditions=("copd_asthma",)), "major_illness", "history: COPD or asthma"),
    ],
)
def test_each_risk_factor_is_traced_to_its_source(facts, key, source):
    assert keys(facts) == [key]
    assert sources(facts) == [source]


def test_heroin_alone_smoked_is_not_a_risk_factor_by_itself():
    assert keys(Facts(substances=("heroin",), routes=("smoking",))) == []


def test_reduced_tolerance_is_high_with_the_headline():
    result = picture(Facts(tolerance_traces=("episode: withdrawal-management stay ended 2026-11-20",)))
    assert result.level == HIGH
    assert result.headline == "High overdose risk: reduced tolerance"


def test_any_other_factor_is_elevated_and_none_is_not_called_low():
    assert picture(Facts(prior_overdoses=3, uses_alone=True)).level == ELEVATED
    none = picture(Facts())
    assert none.level == NONE_RECORDED and "not a low risk" in none.rule.when


def test_the_program_may_name_more_high_factors_but_not_unknown_ones():
    assert picture(Facts(prior_overdoses=1), high_factors=("loss_of_tolerance", "prior_overdose")).level == HIGH
    with pytest.raises(ValueError, match="unknown risk factor"):
        picture(Facts(), high_factors=("score_over_7",))


@given(
    st.builds(
        Facts,
        prior_overdoses=st.integers(0, 3),
        uses_alone=st.booleans(),
        fentanyl_or_xylazine=st.booleans(),
        routes=st.sampled_from([(), ("injection",)]),
        tolerance_traces=st.sampled_from([(), ("t",)]),
    )
)
def test_the_level_follows_the_rule_table_and_nothing_else(facts):
    result = picture(facts)
    present = {p.factor.key for p in result.factors}
    expected = HIGH if "loss_of_tolerance" in present else ELEVATED if present else NONE_RECORDED
    assert result.level == expected
    assert not hasattr(result, "score")


def wm(ended_days_ago):
    return Stay("withdrawal", NOW - timedelta(days=ended_days_ago + 5), NOW - timedelta(days=ended_days_ago))


def test_loss_of_tolerance_after_withdrawal_management_ends():
    traces = derive_loss_of_tolerance(stays=(wm(1),), last_use=NOW - timedelta(days=7), now=NOW, days_without_use=30)
    assert traces == ("episode: withdrawal-management stay ended 2026-11-27",)


def test_no_loss_of_tolerance_while_withdrawal_management_is_still_open():
    open_stay = Stay("withdrawal", NOW - timedelta(days=2), None)
    assert (
        derive_loss_of_tolerance(stays=(open_stay,), last_use=NOW - timedelta(days=3), now=NOW, days_without_use=30)
        == ()
    )


def test_a_return_to_use_after_withdrawal_management_cancels_that_trace():
    assert (
        derive_loss_of_tolerance(stays=(wm(5),), last_use=NOW - timedelta(days=1), now=NOW, days_without_use=30) == ()
    )


def test_a_residential_stay_without_use_since_it_started_sets_it():
    stay = Stay("residential", NOW - timedelta(days=10), None)
    assert derive_loss_of_tolerance(stays=(stay,), last_use=NOW - timedelta(days=12), now=NOW, days_without_use=30) == (
        "episode: residential stay (current)",
    )
    assert derive_loss_of_tolerance(stays=(stay,), last_use=NOW - timedelta(days=2), now=NOW, days_without_use=30) == ()


def test_the_programs_days_without_use_sets_it():
    assert derive_loss_of_tolerance(stays=(), last_use=NOW - timedelta(days=14), now=NOW, days_without_use=14) == (
        "history: 14 days without use (program setting: 14)",
    )
    assert derive_loss_of_tolerance(stays=(), last_use=NOW - timedelta(days=13), now=NOW, days_without_use=14) == ()
    assert derive_loss_of_tolerance(stays=(), last_use=None, now=NOW, days_without_use=14) == ()
