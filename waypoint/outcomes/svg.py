"""The dashboard's charts as inline SVG strings, drawn on the server. Pure standard library: no Django, no
JavaScript, no inline style; every text is XML-escaped. Each chart has a <title> and a <desc> that says in
words what it shows (screen readers, and anyone who cannot see the bars)."""

import hashlib
from datetime import date

from waypoint.charts import svg

_t, _a, _n, _day = svg.text, svg.attr, svg.coordinate, svg.day_label
BAR = "#0072b2"
LINE = "#d55e00"


def _svg(width, height, title, desc, body, css) -> str:
    key = hashlib.sha256(f"{title}|{desc}".encode()).hexdigest()[:10]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="outcome-chart {css}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="oc{key}t oc{key}d" font-family="sans-serif" font-size="11">'
        f'<title id="oc{key}t">{_t(title)}</title><desc id="oc{key}d">{_t(desc)}</desc>{body}</svg>'
    )


def _ticks(top: float) -> list[int]:
    return svg.count_ticks(max(1, top), most=6, cover=True)


def _axes(ticks, left, right, y_of) -> str:
    parts = []
    for value in ticks:
        y = y_of(value)
        parts.append(f'<line class="grid" x1="{left}" y1="{_n(y)}" x2="{right}" y2="{_n(y)}" stroke="#e3e6ea"/>')
        parts.append(
            f'<text class="y-tick" x="{left - 6}" y="{_n(y + 4)}" text-anchor="end" fill="#5b6370">{value}</text>'
        )
    return "".join(parts)


def column_chart(points: list[tuple[date, float]], *, title: str, what: str, width=720, height=240) -> str:
    """Bars over time (e.g. admissions per week), labelled with the first day of each bar's span."""
    left, right, top, bottom = 44, width - 12, 14, height - 40
    high = max([v for _, v in points] + [1])
    ticks = _ticks(high)
    scale_top = ticks[-1] or 1

    def y_of(value):
        return bottom - (bottom - top) * value / scale_top

    slot = (right - left) / max(1, len(points))
    bars, labels = [], []
    every = max(1, round(len(points) / 10))
    for n, (day, value) in enumerate(points):
        x = left + n * slot + slot * 0.15
        y = y_of(value)
        bars.append(
            f'<g class="bar"><title>{_t(f"{what} week of {_day(day)}: {_n(value)}")}</title>'
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(slot * 0.7)}" height="{_n(bottom - y)}" '
            f'fill="{BAR}"/></g>'
        )
        if n % every == 0:
            labels.append(
                f'<text class="x-tick" x="{_n(x + slot * 0.35)}" y="{bottom + 16}" text-anchor="middle" '
                f'fill="#5b6370">{_t(_day(day))}</text>'
            )
    total = sum(v for _, v in points)
    desc = f"{what} by week: {len(points)} weeks, {_n(total)} in all, at most {_n(high)} in a week. " + "; ".join(
        f"week of {_day(d)}: {_n(v)}" for d, v in points[:26]
    )
    body = (
        _axes(ticks, left, right, y_of)
        + "".join(bars)
        + "".join(labels)
        + f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#8a919c"/>'
    )
    return _svg(width, height, title, desc, body, "columns")


def line_chart(points: list[tuple[date, float]], *, title: str, what: str, width=720, height=240) -> str:
    """A daily line (e.g. census at the end of each day)."""
    left, right, top, bottom = 44, width - 12, 14, height - 40
    high = max([v for _, v in points] + [1])
    ticks = _ticks(high)
    scale_top = ticks[-1] or 1

    def y_of(value):
        return bottom - (bottom - top) * value / scale_top

    step = (right - left) / max(1, len(points) - 1)
    coordinates = [(left + n * step, y_of(v)) for n, (_, v) in enumerate(points)]
    line = " ".join(f"{_n(x)},{_n(y)}" for x, y in coordinates)
    labels = []
    every = max(1, round(len(points) / 8))
    for n, (day, _) in enumerate(points):
        if n % every == 0:
            labels.append(
                f'<text class="x-tick" x="{_n(left + n * step)}" y="{bottom + 16}" text-anchor="middle" '
                f'fill="#5b6370">{_t(_day(day))}</text>'
            )
    radius = 2.5 if len(points) <= 40 else 1.5
    dots = "".join(
        f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{radius}" fill="{LINE}"><title>{_t(f"{_day(d)}: {_n(v)}")}'
        f"</title></circle>"
        for (x, y), (d, v) in zip(coordinates, points, strict=True)
    )
    desc = f"{what} at the end of each day, {len(points)} days" + (
        f", from {_n(points[0][1])} on {_day(points[0][0])} to {_n(points[-1][1])} on {_day(points[-1][0])}, "
        f"highest {_n(high)}."
        if points
        else ": no days."
    )
    body = (
        _axes(ticks, left, right, y_of)
        + (
            f'<polyline class="line" points="{line}" fill="none" stroke="{LINE}" stroke-width="2"/>'
            if len(points) > 1
            else ""
        )
        + dots
        + "".join(labels)
        + f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#8a919c"/>'
    )
    return _svg(width, height, title, desc, body, "line")


def rate_bars(rows: list[tuple[str, float | None, int | None, int | None]], *, title: str, width=720) -> str:
    """Horizontal bars from 0 to 100 %, one per rate: (label, share 0-1 or None, numerator, denominator)."""
    row_height, label_width, left_pad = 30, 250, 8
    height = 30 + row_height * len(rows)
    x0, x1 = label_width, width - 110
    parts = []
    for pct in (0, 25, 50, 75, 100):
        x = x0 + (x1 - x0) * pct / 100
        parts.append(
            f'<line class="grid" x1="{_n(x)}" y1="8" x2="{_n(x)}" y2="{height - 18}" stroke="#e3e6ea"/>'
            f'<text class="x-tick" x="{_n(x)}" y="{height - 5}" text-anchor="middle" fill="#5b6370">'
            f"{pct}%</text>"
        )
    sentences = []
    for n, (label, value, numerator, denominator) in enumerate(rows):
        y = 10 + n * row_height
        shown = (
            f"{round(value * 100)}% ({numerator} of {denominator})" if value is not None else "no cases in the period"
        )
        sentences.append(f"{label}: {shown}")
        parts.append(f'<text class="rate-label" x="{left_pad}" y="{_n(y + 15)}" fill="#222">{_t(label)}</text>')
        if value is not None:
            w = (x1 - x0) * value
            parts.append(
                f'<g class="bar"><title>{_t(f"{label}: {shown}")}</title><rect x="{x0}" y="{_n(y + 3)}" '
                f'width="{_n(w)}" height="{row_height - 10}" fill="{BAR}"/></g>'
            )
        short = "none" if value is None else f"{round(value * 100)}% ({numerator}/{denominator})"
        parts.append(f'<text class="rate-value" x="{_n(x1 + 6)}" y="{_n(y + 15)}" fill="#222">{_t(short)}</text>')
    return _svg(width, height, title, ". ".join(sentences) + ".", "".join(parts), "rates")


def survival_chart(
    steps: list[tuple[int, int, int, int, float]], *, title: str, what: str, width=720, height=260
) -> str:
    """A Kaplan-Meier step curve from day 0 (100 %) over the days after discharge: the estimated share still
    without `what`. Steps: (day, at risk, events, censored, share). A censored case is a tick on the curve."""
    left, right, top, bottom = 48, width - 16, 14, height - 44
    last = max([s[0] for s in steps] + [1])
    ticks_x = svg.count_ticks(last, most=8, cover=True)
    span = ticks_x[-1] or 1

    def x_of(day):
        return left + (right - left) * day / span

    def y_of(share):
        return bottom - (bottom - top) * share

    parts = []
    for pct in (0, 25, 50, 75, 100):
        y = y_of(pct / 100)
        parts.append(
            f'<line class="grid" x1="{left}" y1="{_n(y)}" x2="{right}" y2="{_n(y)}" stroke="#e3e6ea"/>'
            f'<text class="y-tick" x="{left - 6}" y="{_n(y + 4)}" text-anchor="end" fill="#5b6370">{pct}%</text>'
        )
    for day in ticks_x:
        parts.append(
            f'<text class="x-tick" x="{_n(x_of(day))}" y="{bottom + 16}" text-anchor="middle" fill="#5b6370">'
            f"{day}</text>"
        )
    parts.append(
        f'<text class="x-title" x="{_n((left + right) / 2)}" y="{bottom + 34}" text-anchor="middle" '
        f'fill="#222">Days after discharge</text>'
    )
    share, x, y = 1.0, x_of(0), y_of(1.0)
    path = [f"M{_n(x)},{_n(y)}"]
    marks = []
    for day, at_risk, events, censored, value in steps:
        x = x_of(day)
        path.append(f"H{_n(x)}")
        if events:
            share = value
            path.append(f"V{_n(y_of(share))}")
        if censored:
            cy = y_of(share)
            marks.append(
                f'<g class="censored"><title>{_t(f"day {day}: {censored} censored, {at_risk} followed")}</title>'
                f'<line x1="{_n(x)}" y1="{_n(cy - 5)}" x2="{_n(x)}" y2="{_n(cy + 5)}" stroke="{LINE}" '
                f'stroke-width="1.5"/></g>'
            )
    parts.append(f'<path class="curve" d="{" ".join(path)}" fill="none" stroke="{BAR}" stroke-width="2.5"/>')
    parts += marks
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#8a919c"/>')
    events_total = sum(s[2] for s in steps)
    cases = steps[0][1] if steps else 0
    desc = (
        f"Estimated share of discharges still without {what}, by days after discharge: {cases} discharges, "
        f"{events_total} with {what}. "
        + "; ".join(f"day {d}: {round(v * 100)}% ({n} followed)" for d, n, e, c, v in steps if e)
        + ("." if events_total else f"No {what} recorded.")
    )
    return _svg(width, height, title, desc, "".join(parts), "survival")
