"""The shape of a clinical instrument, and the one function that scores it.

An instrument is a declaration (items, allowed scores with their anchor texts, optional severity bands);
`score()` is the only place that turns responses into a total. Pure Python: no Django here, so the same
declaration serves the form, the kiosk, the API, the printed form and the FHIR Questionnaire.

Rules that `score()` enforces, for every instrument alike:
- every item is answered, no unknown key is given;
- an answer is an `int` (not a bool, not a float such as 2.0, not a string such as "2") from the item's
  allowed scores — scores are stored as themselves, never as an option's position;
- an item with a `Derivation` may instead be derived from a measured vital sign; when it is both answered
  and derivable, the two must agree;
- all offending keys are reported at once, in one `ScoreError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

Reporter = Literal["clinician", "patient"]
REPORTERS: frozenset[str] = frozenset({"clinician", "patient"})


def is_whole_number(value: object) -> bool:
    """True for an `int` that is not a `bool` (True/False are not scores, nor measurements)."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Derivation:
    """How an item's score follows from one measured vital sign.

    `rule(measurement)` returns the item's score; it raises ValueError or TypeError (with a readable
    message) when the measurement is not acceptable. `measured` phrases the measurement in messages,
    with `{value}` in it, e.g. "the measured pulse {value} bpm".
    """

    vital: str
    rule: Callable[[int], int]
    measured: str = "the measured value {value}"
    name: str = "the measurement"  # what to enter instead of a score, e.g. "the measured pulse"


@dataclass(frozen=True)
class Item:
    """One question: its key, label (the item's title), optional help (the item's own instruction) and
    its choices, an ordered tuple of (score, anchor text) with strictly increasing, non-negative scores.
    Scores may be sparse (COWS pulse: 0, 1, 2, 4): `allowed` is the set of scores, not a range."""

    key: str
    label: str
    choices: tuple[tuple[int, str], ...]
    help: str = ""
    unit: str = ""  # unit of the anchors' numbers where they are measurements (e.g. "beats/minute")
    derive_from: Derivation | None = None

    def __post_init__(self) -> None:
        if not (self.key.isidentifier() and self.key == self.key.lower()):
            raise ValueError(f"item key {self.key!r} must be a lower-case identifier")
        if not self.label.strip():
            raise ValueError(f"item {self.key}: empty label")
        if not self.choices:
            raise ValueError(f"item {self.key}: no choices")
        previous = -1
        for choice in self.choices:
            if not (isinstance(choice, tuple) and len(choice) == 2):
                raise ValueError(f"item {self.key}: a choice must be a (score, text) pair, got {choice!r}")
            score_, text = choice
            if not is_whole_number(score_) or score_ <= previous:
                raise ValueError(
                    f"item {self.key}: scores must be strictly increasing non-negative ints, got {score_!r}"
                )
            if not (isinstance(text, str) and text.strip()):
                raise ValueError(f"item {self.key}: score {score_} has no anchor text")
            previous = score_

    @property
    def allowed(self) -> frozenset[int]:
        """The scores this item accepts, and only these."""
        return frozenset(s for s, _ in self.choices)

    @property
    def scores(self) -> tuple[int, ...]:
        """The allowed scores in their order on the form (ascending)."""
        return tuple(s for s, _ in self.choices)

    @property
    def min_score(self) -> int:
        return self.choices[0][0]

    @property
    def max_score(self) -> int:
        return self.choices[-1][0]

    def anchor(self, score: int) -> str:
        """The anchor text of an allowed score; KeyError for any other value."""
        for s, text in self.choices:
            if s == score and is_whole_number(score):
                return text
        raise KeyError(score)

    def allowed_text(self) -> str:
        """The allowed scores as printed in messages: "0, 1, 2 or 4"."""
        *first, last = (str(s) for s in self.scores)
        return f"{', '.join(first)} or {last}" if first else last


@dataclass(frozen=True)
class Band:
    """A severity band: totals from `low` to `high`, both included."""

    low: int
    high: int
    code: str
    label: str

    def __post_init__(self) -> None:
        if not (is_whole_number(self.low) and is_whole_number(self.high) and self.low <= self.high):
            raise ValueError(f"band {self.code!r}: need int low <= high, got {self.low!r}..{self.high!r}")
        if not self.code:
            raise ValueError("band without a code")

    def __contains__(self, total: object) -> bool:
        return is_whole_number(total) and self.low <= total <= self.high  # type: ignore[operator]


@dataclass(frozen=True)
class Instrument:
    """A scored clinical instrument.

    `min_total`/`max_total` follow from the items. `bands`, when given, must cover min_total..max_total
    in ascending order without gap or overlap; an instrument with no published bands has none, and its
    results carry no severity.
    """

    code: str
    version: str
    title: str
    short_title: str
    source: str
    reporter: Reporter
    items: tuple[Item, ...]
    bands: tuple[Band, ...] = ()
    instructions: str = ""

    def __post_init__(self) -> None:
        if not self.code:
            raise ValueError("instrument without a code")
        if self.reporter not in REPORTERS:
            raise ValueError(f"{self.code}: reporter must be one of {sorted(REPORTERS)}, got {self.reporter!r}")
        if not self.items:
            raise ValueError(f"{self.code}: no items")
        keys = [item.key for item in self.items]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"{self.code}: duplicate item keys {duplicates}")
        if self.bands:
            self._check_bands()

    def _check_bands(self) -> None:
        codes = [band.code for band in self.bands]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.code}: duplicate band codes {codes}")
        expected_low = self.min_total
        for band in self.bands:
            if band.low != expected_low:
                kind = "gap" if band.low > expected_low else "overlap"
                raise ValueError(
                    f"{self.code}: bands must cover {self.min_total}-{self.max_total} in order; "
                    f"{kind} at {expected_low} (band {band.code!r} starts at {band.low})"
                )
            expected_low = band.high + 1
        if expected_low - 1 != self.max_total:
            raise ValueError(f"{self.code}: bands end at {expected_low - 1}, the maximum total is {self.max_total}")

    @property
    def keys(self) -> tuple[str, ...]:
        """The item keys in the instrument's order."""
        return tuple(item.key for item in self.items)

    @property
    def min_total(self) -> int:
        return sum(item.min_score for item in self.items)

    @property
    def max_total(self) -> int:
        return sum(item.max_score for item in self.items)

    def item(self, key: str) -> Item:
        """The item with this key; KeyError if there is none."""
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def band_for(self, total: int) -> Band | None:
        """The severity band of a total, or None when the instrument has no bands.

        A total outside min_total..max_total (or not an int) is a ValueError, never "no band"."""
        if not is_whole_number(total) or not self.min_total <= total <= self.max_total:
            raise ValueError(f"{total!r} is not a possible {self.code} total ({self.min_total}-{self.max_total})")
        for band in self.bands:
            if total in band:
                return band
        return None


class ScoreError(ValueError):
    """Responses that cannot be scored. `errors` maps every offending key to its message: item keys,
    unknown keys as given, and `vitals.<name>` for a measurement."""

    def __init__(self, instrument_code: str, errors: Mapping[str, str]) -> None:
        self.instrument_code = instrument_code
        self.errors: dict[str, str] = dict(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.errors)
        details = "; ".join(f"{key}: {message}" for key, message in self.errors.items())
        return f"{self.instrument_code}: {count} problem{'s' if count != 1 else ''}: {details}"


@dataclass(frozen=True)
class ScoreResult:
    """A scored assessment. `responses` holds every item's score in the instrument's order, including
    those derived from vitals; `derived` names the latter. `severity` is None when the instrument has
    no bands."""

    instrument_code: str
    responses: dict[str, int]
    total: int
    severity: Band | None
    derived: tuple[str, ...] = ()


def _answer_problem(item: Item, value: object) -> str | None:
    """Why `value` is not an acceptable answer to `item`, or None if it is."""
    if not is_whole_number(value):
        return f"{value!r} is not a whole-number score; choose {item.allowed_text()}"
    if value not in item.allowed:
        return f"{value} is not one of this item's scores; choose {item.allowed_text()}"
    return None


def score(
    instrument: Instrument,
    responses: Mapping[str, object],
    vitals: Mapping[str, object] | None = None,
) -> ScoreResult:
    """Score complete responses to `instrument`, or raise one ScoreError naming every offending key.

    `vitals` holds measurements (e.g. `pulse_bpm`) for items declared with `derive_from`. A vital that is
    absent or None is "not measured"; vitals no item derives from are ignored. An item that is not
    answered is derived from its vital when that was measured; an item that is answered and derivable
    must agree with the measurement.
    """
    if not isinstance(responses, Mapping):
        raise TypeError(f"responses must be a mapping of item key to score, got {type(responses).__name__}")
    if vitals is not None and not isinstance(vitals, Mapping):
        raise TypeError(f"vitals must be a mapping, got {type(vitals).__name__}")
    vitals = vitals or {}
    errors: dict[str, str] = {}
    scored: dict[str, int] = {}
    derived: list[str] = []

    for item in instrument.items:
        measured_score: int | None = None
        measurement_failed = False
        derivation = item.derive_from
        if derivation is not None and vitals.get(derivation.vital) is not None:
            measurement = vitals[derivation.vital]
            try:
                if not is_whole_number(measurement):
                    raise TypeError(f"{measurement!r} is not a whole number")
                measured_score = derivation.rule(measurement)  # type: ignore[arg-type]
            except (TypeError, ValueError) as exc:
                errors[f"vitals.{derivation.vital}"] = f"{exc}; \u201c{item.label}\u201d cannot be scored from it"
                measurement_failed = True

        if item.key in responses:
            value = responses[item.key]
            problem = _answer_problem(item, value)
            if problem is None and derivation and measured_score is not None and value != measured_score:
                phrase = derivation.measured.format(value=vitals[derivation.vital])
                problem = f"{phrase} gives score {measured_score}, not {value}"
            if problem is not None:
                errors[item.key] = problem
            else:
                scored[item.key] = int(value)  # type: ignore[call-overload]
        elif measured_score is not None:
            if measured_score not in item.allowed:  # a bug in the declaration, not in the responses
                raise ValueError(f"{instrument.code}: derivation of {item.key} gave {measured_score!r}")
            scored[item.key] = measured_score
            derived.append(item.key)
        elif not measurement_failed:
            hint = f", or enter {derivation.name}" if derivation is not None else ""
            errors[item.key] = f"No score chosen: choose {item.allowed_text()}{hint}"

    known = set(instrument.keys)
    for key in responses:
        if key not in known:
            errors[str(key)] = f"{key!r} is not an item of {instrument.code}"

    if errors:
        raise ScoreError(instrument.code, errors)
    total = sum(scored.values())
    return ScoreResult(
        instrument_code=instrument.code,
        responses=scored,
        total=total,
        severity=instrument.band_for(total),
        derived=tuple(derived),
    )
