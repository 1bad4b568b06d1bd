"""score() and the declarations' own rules, for every instrument; the registry; no Django."""

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waypoint.scales import (
    CIWA_AR,
    COWS,
    CRAVING_NRS,
    INSTRUMENTS,
    SOWS_GOSSOP,
    SOWS_HANDELSMAN,
    Band,
    Instrument,
    Item,
    ScoreError,
    ScoreResult,
    UnknownInstrument,
    get_instrument,
    score,
)

ALL = list(INSTRUMENTS.values())
IDS = list(INSTRUMENTS)
REPO_ROOT = Path(__file__).resolve().parents[3]

YES_NO = ((0, "no"), (1, "yes"))


def tiny(bands=()):
    return Instrument(
        code="tiny",
        version="1",
        title="Tiny",
        short_title="T",
        source="test",
        reporter="patient",
        items=(Item("a", "A", YES_NO), Item("b", "B", ((0, "none"), (2, "two")))),
        bands=bands,
    )


# --- the registry -------------------------------------------------------------------------------------------


def test_the_registry_holds_the_five_instruments_by_code():
    assert INSTRUMENTS == {
        "cows": COWS,
        "sows-handelsman": SOWS_HANDELSMAN,
        "sows-gossop": SOWS_GOSSOP,
        "craving-nrs": CRAVING_NRS,
        "ciwa-ar": CIWA_AR,
    }


def test_get_instrument_finds_by_code():
    assert get_instrument("cows") is COWS


@pytest.mark.parametrize("code", ["COWS", "sows", "", "ciwa"])
def test_an_unknown_code_is_an_unknown_instrument_which_is_a_key_error(code):
    with pytest.raises(KeyError) as caught:
        get_instrument(code)
    assert isinstance(caught.value, UnknownInstrument)
    known = "ciwa-ar, cows, craving-nrs, sows-gossop, sows-handelsman"
    assert str(caught.value) == f"unknown instrument {code!r}; known: {known}"


def test_reporters():
    assert {i.code: i.reporter for i in ALL} == {
        "cows": "clinician", "sows-handelsman": "patient", "sows-gossop": "patient", "craving-nrs": "patient",
        "ciwa-ar": "clinician",
    }  # fmt: skip


def test_declarations_are_frozen():
    with pytest.raises(AttributeError):
        COWS.code = "other"
    with pytest.raises(AttributeError):
        COWS.items[0].choices = ()


# --- declarations validate themselves -----------------------------------------------------------------------


def test_min_and_max_totals_come_from_the_items():
    assert (tiny().min_total, tiny().max_total) == (0, 3)


def test_bands_that_cover_the_range_are_accepted():
    instrument = tiny(bands=(Band(0, 1, "low", "low"), Band(2, 3, "high", "high")))
    assert instrument.band_for(1).code == "low"
    assert instrument.band_for(2).code == "high"


@pytest.mark.parametrize(
    "bands",
    [
        (Band(0, 1, "low", "low"), Band(3, 3, "high", "high")),  # gap at 2
        (Band(0, 2, "low", "low"), Band(2, 3, "high", "high")),  # overlap at 2
        (Band(0, 1, "low", "low"), Band(2, 2, "high", "high")),  # short of the maximum
        (Band(1, 1, "low", "low"), Band(2, 3, "high", "high")),  # misses the minimum
        (Band(0, 3, "low", "low"), Band(4, 5, "high", "high")),  # past the maximum
        (Band(2, 3, "high", "high"), Band(0, 1, "low", "low")),  # out of order
        (Band(0, 1, "same", "x"), Band(2, 3, "same", "y")),  # duplicate code
    ],
)
def test_bands_with_a_gap_or_overlap_are_refused(bands):
    with pytest.raises(ValueError):
        tiny(bands=bands)


def test_a_band_needs_low_at_most_high():
    with pytest.raises(ValueError):
        Band(3, 2, "x", "x")


@pytest.mark.parametrize(
    "choices",
    [(), ((1, "one"), (0, "zero")), ((0, "a"), (0, "b")), ((True, "yes"),), ((-1, "minus"),), ((0, ""),),
     ((0.0, "zero"),), ((0, "zero", "extra"),)],
)  # fmt: skip
def test_an_item_needs_increasing_whole_number_scores_with_anchor_texts(choices):
    with pytest.raises(ValueError):
        Item("x", "X", choices)


@pytest.mark.parametrize("key", ["", "Has Caps", "1st", "with-dash"])
def test_an_item_key_is_a_lower_case_identifier(key):
    with pytest.raises(ValueError):
        Item(key, "X", YES_NO)


def test_duplicate_item_keys_are_refused():
    with pytest.raises(ValueError):
        Instrument("d", "1", "D", "D", "test", "patient", items=(Item("a", "A", YES_NO), Item("a", "A2", YES_NO)))


def test_the_reporter_is_clinician_or_patient():
    with pytest.raises(ValueError):
        Instrument("d", "1", "D", "D", "test", "nurse", items=(Item("a", "A", YES_NO),))  # type: ignore[arg-type]


def test_an_anchor_of_a_value_that_is_not_allowed_is_a_key_error():
    with pytest.raises(KeyError):
        COWS.item("resting_pulse").anchor(3)
    with pytest.raises(KeyError):
        COWS.item("tremor").anchor(True)


# --- score() ------------------------------------------------------------------------------------------------


def test_a_result_lists_responses_in_the_instruments_order():
    result = score(tiny(), {"b": 2, "a": 1})
    assert result == ScoreResult("tiny", {"a": 1, "b": 2}, 3, None, ())
    assert list(result.responses) == ["a", "b"]


def test_a_score_error_is_a_value_error_with_a_readable_summary():
    with pytest.raises(ValueError) as caught:
        score(tiny(), {"a": 3})
    error = caught.value
    assert isinstance(error, ScoreError)
    assert error.instrument_code == "tiny"
    assert str(error) == (
        "tiny: 2 problems: a: 3 is not one of this item's scores; choose 0 or 1; b: No score chosen: choose 0 or 2"
    )


def test_one_problem_is_singular():
    with pytest.raises(ScoreError) as caught:
        score(tiny(), {"a": 1})
    assert str(caught.value) == "tiny: 1 problem: b: No score chosen: choose 0 or 2"


def test_responses_must_be_a_mapping():
    with pytest.raises(TypeError):
        score(tiny(), [("a", 1), ("b", 2)])  # type: ignore[arg-type]


# --- properties, for every instrument -----------------------------------------------------------------------


def complete(instrument):
    return st.fixed_dictionaries({item.key: st.sampled_from(item.scores) for item in instrument.items})


def not_allowed(item):
    """Any value that is not one of the item's allowed int scores."""
    allowed = item.allowed
    some = item.max_score
    return st.one_of(
        st.integers().filter(lambda v: v not in allowed),
        st.integers(max_value=-1),
        st.booleans(),
        st.none(),
        st.text(),
        st.sampled_from([str(s) for s in item.scores]),
        st.floats(allow_nan=True),
        st.sampled_from([float(s) for s in item.scores]),
        st.just([some]),
        st.just({"score": some}),
    )


@pytest.mark.parametrize("instrument", ALL, ids=IDS)
@settings(database=None, deadline=None)
@given(data=st.data())
def test_any_complete_response_scores_to_its_sum_within_range_with_the_right_band(instrument, data):
    responses = data.draw(complete(instrument))
    result = score(instrument, responses)
    assert result.instrument_code == instrument.code
    assert result.responses == responses
    assert result.total == sum(responses.values())
    assert instrument.min_total <= result.total <= instrument.max_total
    assert result.derived == ()
    if instrument.bands:
        assert result.severity is not None
        assert result.severity.low <= result.total <= result.severity.high
        assert [b for b in instrument.bands if result.total in b] == [result.severity]
    else:
        assert result.severity is None


@pytest.mark.parametrize("instrument", ALL, ids=IDS)
@settings(database=None, deadline=None)
@given(data=st.data())
def test_one_value_outside_the_allowed_set_is_an_error_naming_exactly_that_key(instrument, data):
    responses = data.draw(complete(instrument))
    item = data.draw(st.sampled_from(instrument.items))
    responses[item.key] = data.draw(not_allowed(item))
    with pytest.raises(ScoreError) as caught:
        score(instrument, responses)
    assert list(caught.value.errors) == [item.key]
    assert f"choose {item.allowed_text()}" in caught.value.errors[item.key]


@pytest.mark.parametrize("instrument", ALL, ids=IDS)
@settings(database=None, deadline=None)
@given(data=st.data())
def test_dropping_any_key_is_an_error_naming_it(instrument, data):
    responses = data.draw(complete(instrument))
    dropped = data.draw(st.sampled_from(instrument.keys))
    del responses[dropped]
    with pytest.raises(ScoreError) as caught:
        score(instrument, responses)
    assert list(caught.value.errors) == [dropped]


@pytest.mark.parametrize("instrument", ALL, ids=IDS)
@settings(database=None, deadline=None)
@given(data=st.data())
def test_adding_an_unknown_key_is_an_error_naming_it(instrument, data):
    responses = data.draw(complete(instrument))
    unknown = data.draw(st.text(min_size=0, max_size=20).filter(lambda k: k not in instrument.keys))
    responses[unknown] = data.draw(st.one_of(st.integers(0, 5), st.none(), st.text()))
    with pytest.raises(ScoreError) as caught:
        score(instrument, responses)
    assert list(caught.value.errors) == [unknown]


@pytest.mark.parametrize("instrument", ALL, ids=IDS)
@settings(database=None, deadline=None)
@given(data=st.data())
def test_several_problems_are_all_named_at_once(instrument, data):
    responses = data.draw(complete(instrument))
    bad = data.draw(st.sets(st.sampled_from(instrument.keys), min_size=1))
    dropped = data.draw(st.sets(st.sampled_from(instrument.keys)).map(lambda s: s - bad))
    for key in bad:
        responses[key] = data.draw(not_allowed(instrument.item(key)))
    for key in dropped:
        del responses[key]
    responses["not_an_item"] = 1
    with pytest.raises(ScoreError) as caught:
        score(instrument, responses)
    assert set(caught.value.errors) == bad | dropped | {"not_an_item"}


@pytest.mark.parametrize("instrument", ALL, ids=IDS)
@settings(database=None, deadline=None)
@given(data=st.data())
def test_band_for_every_possible_total_is_the_one_covering_band(instrument, data):
    total = data.draw(st.integers(instrument.min_total, instrument.max_total))
    band = instrument.band_for(total)
    if instrument.bands:
        assert band is not None and band.low <= total <= band.high
    else:
        assert band is None


# --- no Django ----------------------------------------------------------------------------------------------


def test_the_scales_import_no_django():
    code = (
        "import sys\n"
        "import waypoint.scales, waypoint.scales.base, waypoint.scales.cows, waypoint.scales.sows, "
        "waypoint.scales.craving\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(loaded) or 'none')\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "none"
