"""Clinical instruments as declarations, and their scoring (pure Python: no Django here).

    from waypoint.scales import get_instrument, score, ScoreError
    result = score(get_instrument("cows"), responses, vitals={"pulse_bpm": 96})

`INSTRUMENTS` maps each instrument's code to its declaration.
"""

from __future__ import annotations

from .base import Band, Derivation, Instrument, Item, Reporter, ScoreError, ScoreResult, score
from .ciwa import CIWA_AR
from .cows import COWS, pulse_score
from .craving import CRAVING_NRS
from .sows import SOWS_GOSSOP, SOWS_HANDELSMAN

__all__ = [
    "CIWA_AR",
    "COWS",
    "CRAVING_NRS",
    "INSTRUMENTS",
    "SOWS_GOSSOP",
    "SOWS_HANDELSMAN",
    "Band",
    "Derivation",
    "Instrument",
    "Item",
    "Reporter",
    "ScoreError",
    "ScoreResult",
    "UnknownInstrument",
    "get_instrument",
    "pulse_score",
    "score",
]

INSTRUMENTS: dict[str, Instrument] = {
    instrument.code: instrument for instrument in (COWS, SOWS_HANDELSMAN, SOWS_GOSSOP, CRAVING_NRS, CIWA_AR)
}


class UnknownInstrument(KeyError):
    """No instrument has this code."""

    def __init__(self, code: object) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"unknown instrument {self.code!r}; known: {', '.join(sorted(INSTRUMENTS))}"


def get_instrument(code: str) -> Instrument:
    """The instrument with this code; UnknownInstrument (a KeyError) otherwise."""
    try:
        return INSTRUMENTS[code]
    except (KeyError, TypeError):
        raise UnknownInstrument(code) from None
