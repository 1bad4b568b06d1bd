"""The complication screen: grouped exactly as issue 4 lists it, and its answer validation."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from waypoint.screening_rules.complications import (
    ABSENT,
    HEROIN_COMPLICATIONS,
    NOT_ASSESSED,
    PRESENT,
    Answer,
    ScreenError,
    present_keys,
    validate,
)

TODAY = date(2026, 11, 28)

ISSUE_GROUPS = {
    "At the time of use": [
        "Infection at injection sites",
        "Lung or digestive problems from smoking or oral use",
        "Reaction to substances mixed into the drug unknowingly (fentanyl, xylazine)",
    ],
    "Right after use": [
        "Numbness to pain",
        "Loss of consciousness",
        "Nausea and vomiting",
        "Dulled senses",
        "Slowed or hindered breathing",
    ],
    "Long-term physical": [
        "Lung problems",
        "Infections of tissue and blood (including heart-valve infection)",
        "Clogged blood vessels",
        "Severe constipation",
        "Trouble sleeping",
        "Liver disease",
        "Kidney disease",
        "Problems with sexual function",
        "Menstrual problems",
    ],
    "Long-term cognitive and emotional": [
        "Memory problems",
        "Compromised critical thinking",
        "Poor decision making and problem solving",
        "Trouble managing stress",
        "Trouble controlling impulses",
    ],
}


def all_(status):
    return {key: status for key in HEROIN_COMPLICATIONS.keys}


def test_the_screen_is_coded_versioned_and_grouped_as_the_issue_lists_it():
    assert HEROIN_COMPLICATIONS.code == "heroin-complications"
    assert HEROIN_COMPLICATIONS.version == "1"
    assert {g.label: [i.label for i in g.items] for g in HEROIN_COMPLICATIONS.groups} == ISSUE_GROUPS
    assert [g.label for g in HEROIN_COMPLICATIONS.groups] == list(ISSUE_GROUPS)


def test_every_item_has_plain_language_wording_for_the_handout():
    assert all(item.plain.strip() for item in HEROIN_COMPLICATIONS.items)


def test_it_accepts_present_absent_and_not_assessed_with_since_and_note():
    answers = all_(ABSENT)
    answers["liver_disease"] = {"status": PRESENT, "since": date(2024, 1, 1), "note": "told by GP"}
    answers["memory_problems"] = NOT_ASSESSED
    result = validate(HEROIN_COMPLICATIONS, answers, today=TODAY)
    assert result["liver_disease"] == Answer(PRESENT, date(2024, 1, 1), "told by GP")
    assert present_keys(result) == {"liver_disease"}


def test_it_refuses_a_missing_item_an_unknown_item_and_an_unknown_status_all_at_once():
    answers = all_(ABSENT)
    del answers["liver_disease"]
    answers["gout"] = PRESENT
    answers["memory_problems"] = "maybe"
    with pytest.raises(ScreenError) as caught:
        validate(HEROIN_COMPLICATIONS, answers, today=TODAY)
    assert set(caught.value.errors) == {"answers.liver_disease", "answers.gout", "answers.memory_problems.status"}


def test_it_refuses_since_on_an_absent_item_and_since_in_the_future():
    answers = all_(ABSENT)
    answers["liver_disease"] = {"status": ABSENT, "since": date(2024, 1, 1)}
    answers["kidney_disease"] = {"status": PRESENT, "since": date(2026, 12, 1)}
    with pytest.raises(ScreenError) as caught:
        validate(HEROIN_COMPLICATIONS, answers, today=TODAY)
    assert caught.value.errors == {
        "answers.liver_disease.since": "'since when' applies only to a present item",
        "answers.kidney_disease.since": "cannot be in the future",
    }


@given(st.dictionaries(st.sampled_from(HEROIN_COMPLICATIONS.keys), st.sampled_from([PRESENT, ABSENT, NOT_ASSESSED])))
def test_a_full_answer_set_validates_and_a_partial_one_never_does(partial):
    answers = {**all_(NOT_ASSESSED), **partial}
    assert present_keys(validate(HEROIN_COMPLICATIONS, answers, today=TODAY)) == {
        k for k, v in partial.items() if v == PRESENT
    }
    if len(partial) < len(HEROIN_COMPLICATIONS.keys):
        with pytest.raises(ScreenError):
            validate(HEROIN_COMPLICATIONS, partial, today=TODAY)
