"""A craving numeric rating scale: one self-report item, 0-10.

This is a generic 0-10 numeric rating scale, not a named published instrument; its source says so, and
it has no severity bands (severity is None). Only the two ends are anchored; 1-9 are shown as numbers.
"""

from __future__ import annotations

from .base import Instrument, Item

_CRAVING_CHOICES = (
    ((0, "no craving"),) + tuple((n, str(n)) for n in range(1, 10)) + ((10, "the strongest craving imaginable"),)
)

CRAVING_NRS = Instrument(
    code="craving-nrs",
    version="1",  # this project's own version of a generic scale
    title="Craving numeric rating scale",
    short_title="Craving NRS",
    source="Generic 0-10 numeric rating scale; not a named published instrument",
    reporter="patient",
    items=(Item("craving", "How strong is your craving to use right now?", choices=_CRAVING_CHOICES),),
)
