"""Withdrawal flowsheet trend chart, drawn on the server as an inline SVG string.

Pure standard library: no Django, no JavaScript, no inline style. Every element carries a class name so the page
stylesheet can restyle it; presentation attributes (fill=, stroke=, stroke-dasharray=) give a sensible default when
no stylesheet applies. Series are told apart by dash pattern and marker shape as well as colour, so the chart
survives black-and-white printing.

Layout: the primary series (COWS) in the upper panel, from 0 to its scale maximum, with its severity zones shaded
behind it; self-reports (SOWS, Short OWS, craving) in a panel of their own underneath, as a percentage of their own
scale maximum, so that the COWS zones are never read as if they applied to them; both panels share the time axis
(the program's time zone) and the dose marks (dashed vertical lines, labels above the chart that never overlap);
a legend underneath. Tick count follows the width, so a chart drawn 360 wide for a phone stays legible.

Every text that reaches the output goes through `_text`/`_attr` (`waypoint.charts.svg`: XML-escaped, characters
XML forbids removed).
The output depends only on the arguments (no clock, no locale), and coordinates are rounded to 0.1.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta, tzinfo

from waypoint.charts import svg

__all__ = ["Marker", "Point", "Series", "Zone", "trend_chart"]


@dataclass(frozen=True)
class Point:
    at: datetime  # timezone-aware
    value: float
    note: str = ""  # shown in the point's <title> tooltip along with value and local time


@dataclass(frozen=True)
class Zone:
    """A shaded horizontal band on the primary axis, from `low` (inclusive) to `high`."""

    low: float
    high: float
    label: str  # e.g. "mild 5-12"
    css_class: str  # e.g. "zone-mild"


@dataclass(frozen=True)
class Series:
    name: str  # legend text, e.g. "COWS (0-48)"
    points: tuple[Point, ...]
    scale_max: float  # the instrument's maximum, e.g. 48, 64, 30, 10
    css_class: str  # e.g. "series-cows"


@dataclass(frozen=True)
class Marker:
    """A vertical mark at a time, e.g. a medication dose."""

    at: datetime
    label: str  # e.g. "buprenorphine 4 mg SL"
    kind: str = "moud"  # "moud" (a dashed grey line) or "prn" (an as-needed comfort dose: a dotted blue line)


# ---------------------------------------------------------------------------------------------------------------
# Layout and style constants

MARGIN_LEFT = 56
MARGIN_RIGHT = 16
MARGIN_TOP = 34  # two rows of dose labels
MARGIN_BOTTOM = 74  # two lines of time labels, then the legend
PANEL_GAP = 14  # between the scores panel and the self-reports panel
SCORES_SHARE = 0.6  # of the plot height, for the scores panel when there are self-reports too
MIN_WIDTH = 320
MIN_HEIGHT = 200
TICK_SPACING = 56  # at least this much width per time label
LABEL_FONT = 10  # dose and zone labels

EMPTY_MESSAGE = "No scores recorded yet"
SELF_REPORT_AXIS_LABEL = "% of scale max"
SELF_REPORT_PANEL_TITLE = "Self-reports, % of each scale's maximum"
DOSE_LEGEND = "Dose"
PRN_LEGEND = "As-needed comfort dose"

# Okabe-Ito colour-blind-safe colours; dash pattern and marker shape differ too (black-and-white printing).
_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7")
_DASHES = ("", "7 4", "2 3", "9 3 2 3")
_SHAPES = ("circle", "square", "triangle", "diamond")
_ZONE_FILL = "#d9822b"
_DOSE_DASH = "4 3"
_DOSE_COLOUR = "#555555"
_PRN_DASH = "1 3"  # dotted: told apart from a MOUD dose without colour too
_PRN_COLOUR = "#0072B2"  # Okabe-Ito blue

_MONTHS = svg.MONTHS
_DAY = timedelta(days=1)
_MIN_SPAN = timedelta(hours=2)  # default windows are never narrower than this
_PAD = 0.04  # default windows are padded by this fraction of their span on each free side
_TIME_STEPS = (
    *(timedelta(minutes=m) for m in (5, 10, 15, 30)),
    *(timedelta(hours=h) for h in (1, 2, 4, 6, 12)),
    *(timedelta(days=d) for d in (1, 2, 3, 7, 14, 28)),
)
_MAX_TIME_TICKS = 10

_RANGE_SUFFIX = re.compile(r"\s*\(\s*[\d.]+\s*[-\u2013]\s*[\d.]+\s*\)\s*$")


# ---------------------------------------------------------------------------------------------------------------
# Small helpers: escaping, numbers, elements


_clean, _text, _attr, _css = svg.clean, svg.text, svg.attr, svg.css
_n, _num, _el = svg.coordinate, svg.number, svg.element


def _local(at: datetime, tz: tzinfo) -> datetime:
    return at.astimezone(tz)


def _when(at: datetime, tz: tzinfo) -> str:
    """A local time such as "Nov 27 08:00", independent of the process locale."""
    local = _local(at, tz)
    return f"{_MONTHS[local.month - 1]} {local.day} {local:%H:%M}"


def _day_label(local: datetime) -> str:
    return svg.day_label(local)


def _short_name(series: Series) -> str:
    """The series name without its trailing range: "COWS (0-48)" -> "COWS"."""
    return _RANGE_SUFFIX.sub("", series.name).strip() or series.name


def _utc(at: datetime, what: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {at!r}")
    return at.astimezone(UTC)


def _text_width(text: str, font_size: float) -> float:
    """A width estimate for a proportional sans-serif font, on the generous side (labels placed with it must not
    overlap when drawn)."""
    return len(text) * font_size * 0.62


# ---------------------------------------------------------------------------------------------------------------
# Scales


_value_ticks = svg.value_ticks


def _exists(wall: datetime, tz: tzinfo) -> bool:
    """False for a wall-clock time skipped by a daylight-saving change."""
    return wall.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None)


def _aligned_times(lo: datetime, hi: datetime, step: timedelta, tz: tzinfo) -> list[datetime]:
    """Round local wall-clock times (UTC datetimes) from lo to hi: multiples of the step since local midnight for
    steps under a day; local midnights of every n-th day for day steps (Mondays for weekly steps)."""
    ticks: list[datetime] = []
    local_lo = _local(lo, tz)
    if step < _DAY:
        minutes = step // timedelta(minutes=1)
        since_midnight = local_lo.hour * 60 + local_lo.minute
        wall = datetime.combine(local_lo.date(), time(0), tzinfo=tz)
        wall += timedelta(minutes=(since_midnight // minutes) * minutes)
        while (at := wall.astimezone(UTC)) <= hi:
            if at >= lo and _exists(wall, tz):
                ticks.append(at)
            wall += step  # wall-clock arithmetic: ticks stay on round local hours across DST changes
        return ticks
    days = step.days
    anchor = 1 % days if days % 7 == 0 else 0  # date.toordinal() % 7 == 1 on Mondays
    day = local_lo.date()
    last = _local(hi, tz).date()
    while day <= last:
        if day.toordinal() % days == anchor:
            wall = datetime.combine(day, time(0), tzinfo=tz)
            at = wall.astimezone(UTC)
            if lo <= at <= hi and _exists(wall, tz):
                ticks.append(at)
        day += _DAY
    return ticks


def _time_ticks(
    lo: datetime, hi: datetime, tz: tzinfo, most: int = _MAX_TIME_TICKS
) -> tuple[timedelta, list[datetime]]:
    """The smallest step from _TIME_STEPS that gives at most `most` ticks (ten on a wide chart), and the ticks."""
    span = hi - lo
    for step in _TIME_STEPS:
        if span / step > most + 2:
            continue
        ticks = _aligned_times(lo, hi, step, tz)
        if len(ticks) <= most:
            return step, ticks
    step = _TIME_STEPS[-1]
    ticks = _aligned_times(lo, hi, step, tz)
    every = math.ceil(len(ticks) / most)
    return step, ticks[::every]


def _window(instants: list[datetime], start: datetime | None, end: datetime | None) -> tuple[datetime, datetime] | None:
    """The time window (UTC). The caller's start/end win; a free side follows the data, padded a little.
    One instant (or a bound with no data beside it) gives a 24-hour window; no instant and no bound gives None."""
    if start is not None and end is not None:
        if end <= start:
            raise ValueError(f"end ({end}) must be after start ({start})")
        return start, end
    inside = [t for t in instants if (start is None or t >= start) and (end is None or t <= end)]
    if not inside:
        if start is not None:
            return start, start + _DAY
        if end is not None:
            return end - _DAY, end
        return None
    lo, hi = min(inside), max(inside)
    if hi - lo < _MIN_SPAN:
        width = _DAY if hi == lo else _MIN_SPAN
        if start is not None:
            hi = lo + width
        else:
            lo = hi - width
    pad = (hi - lo) * _PAD
    lo = start if start is not None else lo - pad
    hi = end if end is not None else hi + pad
    if hi <= lo:  # defensive; cannot happen with the rules above
        hi = lo + _DAY
    return lo, hi


# ---------------------------------------------------------------------------------------------------------------
# The chart


@dataclass(frozen=True)
class _Plot:
    left: float
    top: float
    right: float
    bottom: float
    lo: datetime | None
    hi: datetime | None

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def x(self, at: datetime) -> float:
        if self.lo is None or self.hi is None:
            return self.left
        fraction = (at - self.lo) / (self.hi - self.lo)
        return self.left + min(1.0, max(0.0, fraction)) * self.width

    def y(self, value: float, scale_max: float) -> float:
        fraction = min(1.0, max(0.0, value / scale_max))
        return self.bottom - fraction * self.height

    def inside(self, at: datetime) -> bool:
        return self.lo is not None and self.hi is not None and self.lo <= at <= self.hi


@dataclass(frozen=True)
class _Drawn:
    """A series reduced to what is drawn: finite values inside the window, sorted by time."""

    series: Series
    index: int
    points: tuple[Point, ...]
    primary: bool


def _shape(kind: str, size: float = 4.0) -> str:
    """A marker shape centred on the origin."""
    s = size
    if kind == "circle":
        return _el("circle", {"r": s * 0.9})
    if kind == "square":
        return _el("rect", {"x": -s * 0.8, "y": -s * 0.8, "width": s * 1.6, "height": s * 1.6})
    if kind == "triangle":
        return _el("polygon", {"points": f"0,{_n(-s * 1.1)} {_n(s)},{_n(s * 0.7)} {_n(-s)},{_n(s * 0.7)}"})
    return _el("polygon", {"points": f"0,{_n(-s * 1.15)} {_n(s * 1.15)},0 0,{_n(s * 1.15)} {_n(-s * 1.15)},0"})


def _series_attrs(drawn: _Drawn, *classes: str) -> dict[str, object]:
    style = drawn.index % len(_COLOURS)
    return {
        "class": _css(*classes, drawn.series.css_class, "primary" if drawn.primary else "secondary"),
        "stroke": _COLOURS[style],
        "fill": _COLOURS[style] if drawn.primary else "#ffffff",
        "stroke-width": 1.5,
    }


def _point_tooltip(drawn: _Drawn, point: Point, tz: tzinfo) -> str:
    value = f"{_short_name(drawn.series)} {_num(point.value)}"
    if not drawn.primary:
        value += f" of {_num(drawn.series.scale_max)}"
    parts = [value, _when(point.at, tz)]
    if point.note and point.note.strip():
        parts.append(point.note.strip())
    return " \u00b7 ".join(parts)


def _draw_series(drawn: _Drawn, plot: _Plot, tz: tzinfo) -> str:
    scale = drawn.series.scale_max if drawn.primary else 100.0
    style = drawn.index % len(_COLOURS)
    coordinates = []
    for point in drawn.points:
        value = point.value if drawn.primary else point.value / drawn.series.scale_max * 100
        coordinates.append((plot.x(point.at), plot.y(value, scale)))
    parts = []
    if len(coordinates) > 1:
        parts.append(
            _el(
                "polyline",
                {
                    "class": "line",
                    "fill": "none",
                    "stroke-dasharray": _DASHES[style] or None,
                    "stroke-linejoin": "round",
                    "points": " ".join(f"{_n(x)},{_n(y)}" for x, y in coordinates),
                },
            )
        )
    for point, (x, y) in zip(drawn.points, coordinates, strict=True):
        parts.append(
            _el(
                "g",
                {"class": "point", "transform": f"translate({_n(x)} {_n(y)})"},
                _el("title", None, _text(_point_tooltip(drawn, point, tz))) + _shape(_SHAPES[style]),
            )
        )
    return _el("g", _series_attrs(drawn, "series"), "".join(parts))


def _summary(drawn: _Drawn, zones: tuple[Zone, ...], tz: tzinfo) -> str:
    name = _short_name(drawn.series)
    noun = "score" if drawn.primary else "report"
    of = "" if drawn.primary else f" of {_num(drawn.series.scale_max)}"
    points = drawn.points
    if not points:
        return f"{name}: no {noun}s."
    latest = points[-1]
    zone = _zone_of(latest.value, zones) if drawn.primary else None
    where = f" ({zone.label})" if zone is not None and zone.label.strip() else ""
    if len(points) == 1:
        return f"{name}: 1 {noun}, {_num(latest.value)}{of} at {_when(latest.at, tz)}{where}."
    values = [p.value for p in points]
    return (
        f"{name}: {len(points)} {noun}s from {_num(min(values))} to {_num(max(values))}{of}, "
        f"latest {_num(latest.value)} at {_when(latest.at, tz)}{where}."
    )


def _zone_of(value: float, zones: tuple[Zone, ...]) -> Zone | None:
    ordered = sorted(zones, key=lambda z: (z.low, z.high))
    for zone in ordered:
        if zone.low <= value < zone.high:
            return zone
    for zone in reversed(ordered):  # the top edge of the highest zone belongs to it
        if value == zone.high:
            return zone
    return None


def _describe(drawn: list[_Drawn], zones: tuple[Zone, ...], doses: list[Marker], plot: _Plot, tz: tzinfo) -> str:
    sentences = [_summary(d, zones, tz) for d in drawn]
    if not any(d.points for d in drawn):
        sentences.insert(0, f"{EMPTY_MESSAGE}.")
    if doses:
        listed = "; ".join(f"{_clean(m.label).strip()} at {_when(m.at, tz)}" for m in doses[:12])
        more = f"; and {len(doses) - 12} more" if len(doses) > 12 else ""
        sentences.append(f"{len(doses)} dose{'s' if len(doses) != 1 else ''}: {listed}{more}.")
    if plot.lo is not None and plot.hi is not None:
        zone_name = getattr(tz, "key", None) or tz.tzname(plot.hi) or "local time"
        sentences.append(f"Shown from {_when(plot.lo, tz)} to {_when(plot.hi, tz)} ({zone_name}).")
    return " ".join(sentences)


def _draw_zones(zones: tuple[Zone, ...], primary: Series, plot: _Plot) -> tuple[str, str]:
    """The shaded bands (behind everything) and their labels (above the gridlines)."""
    bands, labels = [], []
    ordered = sorted(zones, key=lambda z: (z.low, z.high))
    for rank, zone in enumerate(ordered):
        low = max(0.0, min(zone.low, primary.scale_max))
        high = max(0.0, min(zone.high, primary.scale_max))
        if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
            continue
        y_high, y_low = round(plot.y(high, primary.scale_max), 1), round(plot.y(low, primary.scale_max), 1)
        opacity = f"{0.05 + 0.22 * rank / max(1, len(ordered) - 1):.2f}"
        bands.append(
            _el(
                "rect",
                {
                    "class": _css("zone", zone.css_class),
                    "x": plot.left,
                    "y": y_high,
                    "width": plot.width,
                    "height": y_low - y_high,
                    "fill": _ZONE_FILL,
                    "fill-opacity": opacity,
                },
                _el("title", None, _text(zone.label)),
            )
        )
        if zone.label.strip():
            labels.append(
                _el(
                    "text",
                    {
                        "class": _css("zone-label", zone.css_class),
                        "x": plot.right - 4,
                        "y": (y_high + y_low) / 2 + 3,
                        "text-anchor": "end",
                        "font-size": LABEL_FONT,
                        "fill": "#6b5a48",
                        "stroke": "none",
                    },
                    _text(zone.label.strip()),
                )
            )
    return "".join(bands), "".join(labels)


def _draw_doses(doses: list[Marker], plot: _Plot, width: float, tz: tzinfo) -> tuple[str, str]:
    """Dashed vertical lines (drawn under the series) and their labels in the top margin. Labels that would
    collide go to a second row or slide right; a label that still does not fit is left to the line's tooltip
    and the description."""
    lines, labels = [], []
    row_ends = [-math.inf, -math.inf]
    row_y = (plot.top - 6, plot.top - 18)
    font = LABEL_FONT
    for marker in doses:
        x = plot.x(marker.at)
        label = _clean(marker.label).strip()
        lines.append(
            _el(
                "g",
                {"class": "dose" if marker.kind != "prn" else "dose prn"},
                "".join(
                    (
                        _el("title", None, _text(f"{label} \u00b7 {_when(marker.at, tz)}")),
                        _el(
                            "line",
                            {
                                "x1": x,
                                "y1": plot.top - 3,
                                "x2": x,
                                "y2": plot.bottom,
                                "stroke": _PRN_COLOUR if marker.kind == "prn" else _DOSE_COLOUR,
                                "stroke-width": 1.5 if marker.kind == "prn" else 1,
                                "stroke-dasharray": _PRN_DASH if marker.kind == "prn" else _DOSE_DASH,
                            },
                        ),
                    )
                ),
            )
        )
        if not label:
            continue
        text_width = _text_width(label, font)
        left = min(max(2.0, x - text_width / 2), width - 2 - text_width)
        row = next((r for r, end in enumerate(row_ends) if end + 4 <= left), None)
        if row is None:  # slide right along the emptier row, as long as the label still starts left of its line
            row = min(range(len(row_ends)), key=lambda r: row_ends[r])
            left = row_ends[row] + 4
            if left > x or left + text_width > width - 2:
                continue
        row_ends[row] = left + text_width
        labels.append(
            _el(
                "text",
                {"class": "dose-label", "x": left, "y": row_y[row], "font-size": font, "fill": "#333333"},
                _text(label),
            )
        )
    return "".join(lines), "".join(labels)


def _legend(drawn: list[_Drawn], with_doses: bool, width: float, height: float, with_prn: bool = False) -> str:
    font = 11
    items: list[tuple[float, str]] = []  # (width, markup at origin)
    for d in drawn:
        style = d.index % len(_COLOURS)
        name = d.series.name.strip()
        markup = _el(
            "g",
            _series_attrs(d, "legend-item"),
            "".join(
                (
                    _el(
                        "line",
                        {
                            "class": "line",
                            "x1": 0,
                            "y1": 0,
                            "x2": 28,
                            "y2": 0,
                            "stroke-dasharray": _DASHES[style] or None,
                        },
                    ),
                    _el("g", {"class": "point", "transform": "translate(14 0)"}, _shape(_SHAPES[style])),
                    _el("text", {"x": 34, "y": 4, "fill": "#222222", "stroke": "none"}, _text(name)),
                )
            ),
        )
        items.append((34 + _text_width(name, font), markup))
    if with_doses:
        markup = _el(
            "g",
            {"class": "legend-item dose"},
            "".join(
                (
                    _el(
                        "line",
                        {
                            "x1": 14,
                            "y1": -6,
                            "x2": 14,
                            "y2": 6,
                            "stroke": _DOSE_COLOUR,
                            "stroke-width": 1,
                            "stroke-dasharray": _DOSE_DASH,
                        },
                    ),
                    _el("text", {"x": 22, "y": 4, "fill": "#222222"}, _text(DOSE_LEGEND)),
                )
            ),
        )
        items.append((22 + _text_width(DOSE_LEGEND, font), markup))
    if with_prn:
        line = {"x1": 14, "y1": -6, "x2": 14, "y2": 6, "stroke": _PRN_COLOUR, "stroke-width": 1.5}
        markup = _el(
            "g",
            {"class": "legend-item dose prn"},
            _el("line", line | {"stroke-dasharray": _PRN_DASH})
            + _el("text", {"x": 22, "y": 4, "fill": "#222222"}, _text(PRN_LEGEND)),
        )
        items.append((22 + _text_width(PRN_LEGEND, font), markup))
    if not items:
        return ""
    rows: list[list[tuple[float, str]]] = [[]]
    x: float = MARGIN_LEFT
    gap, right = 20.0, width - 8
    for item_width, markup in items:
        if rows[-1] and x + item_width > right:
            rows.append([])
            x = MARGIN_LEFT
        rows[-1].append((x, markup))
        x += item_width + gap
    placed: list[str] = []
    for r, row in enumerate(rows):
        y = height - 10 - (len(rows) - 1 - r) * 15
        placed.extend(_el("g", {"transform": f"translate({_n(item_x)} {_n(y)})"}, markup) for item_x, markup in row)
    return _el("g", {"class": "legend", "font-size": font}, "".join(placed))


def _panels(plot: _Plot, has_scores: bool, has_reports: bool) -> tuple[_Plot, _Plot]:
    """The scores panel and the self-reports panel: the whole plot when only one kind is drawn; with both, the
    scores above and the self-reports in a panel of their own underneath."""
    if not (has_scores and has_reports):
        return plot, plot
    split = round(plot.top + (plot.height - PANEL_GAP) * SCORES_SHARE, 1)
    return replace(plot, bottom=split), replace(plot, top=split + PANEL_GAP)


def _value_axis(grid: list[str], axes: list[str], panel: _Plot, scale_max: float, css: str, label: str) -> None:
    """Gridlines, ticks and the rotated axis label of one panel's value axis, on its left."""
    for value in _value_ticks(scale_max):
        y = panel.y(value, scale_max)
        grid.append(_el("line", {"x1": panel.left, "y1": y, "x2": panel.right, "y2": y}))
        axes.append(_el("line", {"x1": panel.left - 4, "y1": y, "x2": panel.left, "y2": y}))
        axes.append(
            _el(
                "text",
                {"class": css, "x": panel.left - 7, "y": y + 3.5, "text-anchor": "end", "stroke": "none"},
                _text(_num(value)),
            )
        )
    middle = _n((panel.top + panel.bottom) / 2)
    axes.append(
        _el(
            "text",
            {
                "class": "axis-label",
                "x": 14,
                "y": middle,
                "text-anchor": "middle",
                "transform": f"rotate(-90 14 {middle})",
                "stroke": "none",
            },
            _text(label),
        )
    )


def _frame(panel: _Plot, css: str) -> str:
    """The outline of a panel, with its left and bottom axis lines."""
    return "".join(
        (
            _el(
                "rect",
                {
                    "class": _css("plot-area", css),
                    "x": panel.left,
                    "y": panel.top,
                    "width": panel.width,
                    "height": panel.height,
                    "fill": "none",
                    "stroke": "#bbbbbb",
                    "stroke-width": 1,
                },
            ),
            _el("line", {"x1": panel.left, "y1": panel.top, "x2": panel.left, "y2": panel.bottom}),
            _el("line", {"x1": panel.left, "y1": panel.bottom, "x2": panel.right, "y2": panel.bottom}),
        )
    )


def _chart_id(*parts: object) -> str:
    digest = hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"wpchart-{digest[:10]}"


def _drawable(series: Series, plot: _Plot) -> tuple[Point, ...]:
    points = [p for p in series.points if math.isfinite(p.value) and plot.inside(p.at)]
    return tuple(sorted(points, key=lambda p: p.at))


def _normalise(series: Series, what: str) -> Series:
    if not (math.isfinite(series.scale_max) and series.scale_max > 0):
        raise ValueError(f"{what} {series.name!r}: scale_max must be a positive number, got {series.scale_max!r}")
    points = tuple(Point(_utc(p.at, f"{series.name} point"), p.value, p.note) for p in series.points)
    return Series(series.name, points, series.scale_max, series.css_class)


def trend_chart(
    *,
    primary: Series | None,
    zones: tuple[Zone, ...] = (),
    secondary: tuple[Series, ...] = (),
    markers: tuple[Marker, ...] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    tz: tzinfo,
    title: str,
    width: int = 960,
    height: int = 340,
) -> str:
    """The trend chart as an SVG string, safe to insert into a page as is (every text is escaped).

    Points outside start..end are left out; values outside 0..scale_max are drawn at the nearest edge (their
    tooltip keeps the real value). Naive datetimes, scale_max <= 0 and end <= start are ValueErrors.
    """
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise ValueError(f"the chart needs at least {MIN_WIDTH}x{MIN_HEIGHT}, got {width}x{height}")
    primary = _normalise(primary, "primary series") if primary is not None else None
    secondary = tuple(_normalise(s, "secondary series") for s in secondary)
    markers = tuple(Marker(_utc(m.at, "marker"), m.label, m.kind) for m in markers)
    start = _utc(start, "start") if start is not None else None
    end = _utc(end, "end") if end is not None else None

    all_series = ([primary] if primary is not None else []) + list(secondary)
    instants = [p.at for s in all_series for p in s.points if math.isfinite(p.value)] + [m.at for m in markers]
    window = _window(instants, start, end)
    lo, hi = window if window is not None else (None, None)
    plot = _Plot(MARGIN_LEFT, MARGIN_TOP, width - MARGIN_RIGHT, height - MARGIN_BOTTOM, lo, hi)
    scores_panel, reports_panel = _panels(plot, primary is not None, bool(secondary))
    panels = [scores_panel] if primary is not None else []
    panels += [reports_panel] if secondary and reports_panel not in panels else []

    drawn = [_Drawn(s, i, _drawable(s, plot), primary is not None and i == 0) for i, s in enumerate(all_series)]
    if primary is None:  # self-reports keep their styles 1.. so colours do not shift when COWS is absent
        drawn = [_Drawn(d.series, d.index + 1, d.points, False) for d in drawn]
    doses = sorted((m for m in markers if plot.inside(m.at)), key=lambda m: m.at)
    has_points = any(d.points for d in drawn)

    chart_id = _chart_id(primary, zones, secondary, markers, start, end, str(tz), title, width, height)
    body: list[str] = []

    # Zones behind everything (in the scores panel only), then gridlines.
    zone_labels = ""
    if primary is not None and zones:
        bands, zone_labels = _draw_zones(zones, primary, scores_panel)
        body.append(_el("g", {"class": "zones", "stroke": "none"}, bands))

    grid: list[str] = []
    axes: list[str] = []
    if primary is not None:
        _value_axis(grid, axes, scores_panel, primary.scale_max, "y-tick", primary.name.strip())
    if secondary:
        _value_axis(grid, axes, reports_panel, 100, "y2-tick", SELF_REPORT_AXIS_LABEL)
        if primary is not None:
            axes.append(
                _el(
                    "text",
                    {"class": "panel-title", "x": reports_panel.left, "y": reports_panel.top - 5, "stroke": "none"},
                    _text(SELF_REPORT_PANEL_TITLE),
                )
            )

    if lo is not None and hi is not None:
        step, ticks = _time_ticks(lo, hi, tz, max(3, min(_MAX_TIME_TICKS, int(plot.width // TICK_SPACING))))
        previous_day = None
        for at in ticks:
            x = plot.x(at)
            local = _local(at, tz)
            for panel in panels or [plot]:
                grid.append(
                    _el(
                        "line",
                        {
                            "class": "grid-x",
                            "x1": x,
                            "y1": panel.top,
                            "x2": x,
                            "y2": panel.bottom,
                            "stroke-dasharray": "1 3",
                        },
                    )
                )
            axes.append(_el("line", {"x1": x, "y1": plot.bottom, "x2": x, "y2": plot.bottom + 4}))
            if step < _DAY:
                lines = [f"{local:%H:%M}"]
                if local.date() != previous_day:
                    lines.append(_day_label(local))
            else:
                lines = [_day_label(local)]
            previous_day = local.date()
            tspans = "".join(
                _el("tspan", {"x": x, "dy": 0 if i == 0 else 12}, _text(line)) for i, line in enumerate(lines)
            )
            axes.append(
                _el(
                    "text",
                    {"class": "x-tick", "x": x, "y": plot.bottom + 16, "text-anchor": "middle", "stroke": "none"},
                    tspans,
                )
            )

    body.append(_el("g", {"class": "grid", "stroke": "#dddddd", "stroke-width": 1}, "".join(grid)))
    if zone_labels:
        body.append(_el("g", {"class": "zone-labels"}, zone_labels))

    frame = [
        _frame(panel, "self-report-panel" if panel is reports_panel and secondary else "") for panel in panels or [plot]
    ]
    body.append(
        _el("g", {"class": "axes", "stroke": "#555555", "stroke-width": 1, "fill": "#333333"}, "".join(frame + axes))
    )

    dose_lines, dose_labels = _draw_doses(doses, plot, width, tz)
    if dose_lines:
        body.append(_el("g", {"class": "doses"}, dose_lines))

    # Self-reports first, the primary series last so it sits on top.
    body.extend(
        _draw_series(d, scores_panel if d.primary else reports_panel, tz)
        for d in sorted(drawn, key=lambda d: d.primary)
    )

    if dose_labels:
        body.append(_el("g", {"class": "dose-labels"}, dose_labels))
    if not has_points:
        body.append(
            _el(
                "text",
                {
                    "class": "empty",
                    "x": (plot.left + plot.right) / 2,
                    "y": (plot.top + plot.bottom) / 2 + 5,
                    "text-anchor": "middle",
                    "font-size": 14,
                    "fill": "#555555",
                },
                _text(EMPTY_MESSAGE),
            )
        )
    body.append(_legend(drawn, any(d.kind != "prn" for d in doses), width, height, any(d.kind == "prn" for d in doses)))

    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    head = _el("title", {"id": title_id}, _text(title)) + _el(
        "desc", {"id": desc_id}, _text(_describe(drawn, zones, doses, plot, tz))
    )
    return _el(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": "trend-chart",
            "viewBox": f"0 0 {width} {height}",
            "role": "img",
            "aria-labelledby": f"{title_id} {desc_id}",
            "font-family": "sans-serif",
            "font-size": 11,
        },
        head + "".join(body),
    )
