"""What every server-drawn SVG chart needs, written once: XML-safe text and attributes, numbers as coordinates
and as people write them, one element, short day labels, and the round gridline values of an axis.

Pure standard library (no Django, no app): the withdrawal trend chart, the census occupancy chart and the
outcome dashboard's charts all use it. The output depends only on the arguments (no locale, no clock)."""

from __future__ import annotations

import math
import re
from datetime import date
from xml.sax.saxutils import escape

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_FORBIDDEN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CLASS_UNSAFE = re.compile(r"[^A-Za-z0-9_\- ]")
# Steps for axes that count things (people, admissions): 1, 2, 5, 10, 20, 25, 50, then 100, 200, 250, 500
# times each power of ten.
_COUNT_STEPS = (1, 2, 5, 10, 20, 25, 50, *(m * 10**p for p in range(2, 10) for m in (1, 2, 2.5, 5)))
# Steps for axes up to a fixed maximum (a scale's highest score), in order of preference among those that fit.
_VALUE_STEPS = (1, 2, 4, 5, 6, 8, 10, 12, 15, 16, 20, 25, 50, 100, 200, 250, 500, 1000)


def clean(value: object) -> str:
    """A string with the characters XML 1.0 cannot carry removed."""
    return _FORBIDDEN_XML.sub("", str(value))


def text(value: object) -> str:
    """Element content: escaped, XML-forbidden characters removed."""
    return escape(clean(value))


def attr(value: object) -> str:
    """An attribute value (inside double quotes): escaped, quotes too."""
    return escape(clean(value), {'"': "&quot;"})


def css(*names: str) -> str:
    """A class attribute value from caller-provided names, reduced to safe characters."""
    return " ".join(" ".join(_CLASS_UNSAFE.sub("", name).split()) for name in names if name and name.strip())


def coordinate(value: float) -> str:
    """A coordinate rounded to 0.1, without a needless ".0" and never "-0"."""
    rounded = round(value, 1)
    if rounded == 0:
        return "0"
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.1f}"


def number(value: float) -> str:
    """A value as people write it: 14, 7.5, 2.25."""
    rounded = round(value, 2)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.2f}".rstrip("0").rstrip(".")


def element(tag: str, attrs: dict[str, object] | None = None, content: str | None = None) -> str:
    """One element. Attribute values that are numbers are coordinates; strings are escaped; None is left out.
    `content` must already be markup (escaped text or elements)."""
    parts = []
    for key, value in (attrs or {}).items():
        if value is None or value == "":
            continue
        shown = coordinate(value) if isinstance(value, int | float) else attr(value)
        parts.append(f' {key}="{shown}"')
    opening = f"<{tag}{''.join(parts)}"
    if content is None:
        return opening + "/>"
    return f"{opening}>{content}</{tag}>"


def day_label(day: date) -> str:
    """A day such as "Nov 27", independent of the process locale."""
    return f"{MONTHS[day.month - 1]} {day.day}"


def count_ticks(top: float, *, most: int, cover: bool = False) -> list[int]:
    """Gridline values from 0 for an axis of counts reaching `top`: the smallest round step that gives at most
    `most` intervals. With `cover`, the last value is at or above `top` (the axis ends on a gridline)."""
    top = max(0, int(top))
    step = next((int(s) for s in _COUNT_STEPS if top / s <= most), None)
    if step is None:
        return [0, top]
    end = top + step if cover and top % step else top + 1
    return list(range(0, end, step))


def value_ticks(scale_max: float) -> list[float]:
    """Gridline values from 0 to a fixed maximum (a scale's highest score): a round step that divides the
    maximum when it can (48 -> every 8, 64 -> every 8, 30 -> every 5, 10 -> every 2, 100 -> every 20)."""
    candidates = []
    for whole in _VALUE_STEPS:
        intervals = scale_max / whole
        if 3 <= intervals <= 10:
            divides = abs(intervals - round(intervals)) < 1e-9
            candidates.append((not divides, abs(intervals - 6), whole))
    step: float
    if candidates:
        step = float(min(candidates)[2])
    else:
        raw = scale_max / 5
        magnitude = 10 ** math.floor(math.log10(raw))
        step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    ticks: list[float] = [i * step for i in range(int(scale_max / step + 1e-9) + 1)]
    if scale_max - ticks[-1] >= 0.4 * step:
        ticks.append(scale_max)
    return ticks
