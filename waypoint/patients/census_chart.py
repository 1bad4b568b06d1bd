"""Occupancy of one level of care over time, drawn on the server as an inline SVG string.

Pure standard library: no Django, no JavaScript, no inline style; presentation attributes give the defaults and
every element carries a class for the stylesheet. One small chart per level (small multiples), each on its own
scale up to the level's capacity, which is drawn as a dashed line; days over capacity get a filled square marker
as well as a colour, so the chart survives black-and-white printing. Every text goes through `_text`/`_attr`
(`waypoint.charts.svg`).
The output depends only on the arguments.
"""

from __future__ import annotations

from datetime import date

from waypoint.charts import svg

WIDTH = 640
HEIGHT = 170
LEFT, RIGHT, TOP, BOTTOM = 44, 86, 14, 34
LINE = "#0072b2"
OVER = "#d55e00"
CAPACITY = "#555555"
GRID = "#e3e6ea"
MAX_X_LABELS = 7


_text, _attr = svg.text, svg.attr


def _y_ticks(top: int) -> list[int]:
    return svg.count_ticks(top, most=5)


def occupancy_chart(
    label: str, days: list[date], counts: list[int], capacity: int | None, *, unit: str = "in care"
) -> str:
    """SVG of `counts[i]` (people in the level at midnight starting `days[i]`) against the capacity."""
    if len(days) != len(counts):
        raise ValueError("one count per day")
    title = f"{label}: occupancy at midnight, {days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}" if days else label
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="census-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{_attr(title)}">',
        f"<title>{_text(title)}</title>",
    ]
    if not days:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" class="empty">No days</text>')
        return "".join(parts) + "</svg>"
    top = max([capacity or 0, *counts, 1])
    top = top + max(1, round(top * 0.1))  # head room above the capacity line
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return round(LEFT + (plot_w * i / (len(days) - 1) if len(days) > 1 else plot_w / 2), 1)

    def y(v: float) -> float:
        return round(TOP + plot_h - plot_h * v / top, 1)

    parts.append('<g class="grid">')
    for tick in _y_ticks(top):
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(tick)}" y2="{y(tick)}" stroke="{GRID}"/>'
            f'<text x="{LEFT - 6}" y="{y(tick) + 4}" text-anchor="end" class="y-tick" '
            f'font-size="11">{tick}</text>'
        )
    parts.append("</g>")
    every = max(1, -(-len(days) // MAX_X_LABELS))
    parts.append('<g class="x-axis">')
    for i, day in enumerate(days):
        if i % every == 0 or i == len(days) - 1:
            if i == len(days) - 1 and i % every and len(days) - 1 - (i - i % every) < every / 2:
                continue  # too close to the previous label
            parts.append(
                f'<line x1="{x(i)}" x2="{x(i)}" y1="{TOP + plot_h}" y2="{TOP + plot_h + 4}" '
                f'stroke="{CAPACITY}"/><text x="{x(i)}" y="{TOP + plot_h + 17}" text-anchor="middle" '
                f'class="x-tick" font-size="11">{day:%b} {day.day}</text>'
            )
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="{CAPACITY}"/></g>'
    )
    if capacity is not None:
        parts.append(
            f'<g class="capacity"><line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(capacity)}" '
            f'y2="{y(capacity)}" stroke="{CAPACITY}" stroke-dasharray="6 4"/>'
            f'<text x="{LEFT + plot_w + 6}" y="{y(capacity) + 4}" font-size="11" class="capacity-label">'
            f"capacity {capacity}</text></g>"
        )
    points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(counts))
    area = f"{x(0)},{y(0)} {points} {x(len(counts) - 1)},{y(0)}"
    parts.append(
        f'<polygon class="occupancy-area" points="{area}" fill="{LINE}" fill-opacity="0.12"/>'
        f'<polyline class="occupancy" points="{points}" fill="none" stroke="{LINE}" stroke-width="2"/>'
    )
    parts.append('<g class="points">')
    for i, (day, value) in enumerate(zip(days, counts, strict=True)):
        over = capacity is not None and value > capacity
        of = f" of {capacity}" if capacity is not None else ""
        tip = _text(f"{day:%Y-%m-%d}: {value}{of} {unit}" + (" (over capacity)" if over else ""))
        if over:
            parts.append(
                f'<rect class="point over" x="{x(i) - 4}" y="{y(value) - 4}" width="8" height="8" '
                f'fill="{OVER}"><title>{tip}</title></rect>'
            )
        else:
            parts.append(
                f'<circle class="point" cx="{x(i)}" cy="{y(value)}" r="{3 if len(days) <= 62 else 1.5}" '
                f'fill="{LINE}"><title>{tip}</title></circle>'
            )
    parts.append("</g>")
    last = counts[-1]
    near_capacity = capacity is not None and abs(y(last) - y(capacity)) < 12
    parts.append(
        f'<text x="{LEFT + plot_w + 6}" y="{y(last) + (14 if near_capacity else 4)}" '
        f'font-size="11" class="last-label" font-weight="bold">{last}</text>'
    )
    return "".join(parts) + "</svg>"
