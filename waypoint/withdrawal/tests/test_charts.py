"""The withdrawal trend chart: an inline SVG string, checked by parsing it (no database, no Django)."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waypoint.withdrawal.charts import EMPTY_MESSAGE, Marker, Point, Series, Zone, trend_chart

SVG = "{http://www.w3.org/2000/svg}"
NEW_YORK = ZoneInfo("America/New_York")
T0 = datetime(2024, 11, 27, 13, 0, tzinfo=UTC)  # 08:00 in New York (EST)
COWS_ZONES = (
    Zone(0, 5, "none 0-4", "zone-none"),
    Zone(5, 13, "mild 5-12", "zone-mild"),
    Zone(13, 25, "moderate 13-24", "zone-moderate"),
    Zone(25, 37, "moderately severe 25-36", "zone-moderately-severe"),
    Zone(37, 48, "severe 37-48", "zone-severe"),
)


def hours(n):
    return timedelta(hours=n)


def cows(*scores, every=4, start=T0):
    """A COWS series; each score is a value or (value, note)."""
    points = []
    for i, score in enumerate(scores):
        value, note = score if isinstance(score, tuple) else (score, "")
        points.append(Point(start + hours(every * i), value, note))
    return Series("COWS (0-48)", tuple(points), 48, "series-cows")


def self_report(name, scale_max, css_class, *scores, every=6, start=T0):
    return Series(
        f"{name} (0-{scale_max})",
        tuple(Point(start + hours(every * i), v) for i, v in enumerate(scores)),
        scale_max,
        css_class,
    )


def chart(**kwargs):
    kwargs.setdefault("primary", cows(18, 14, 9))
    kwargs.setdefault("tz", NEW_YORK)
    kwargs.setdefault("title", "Withdrawal scores of Test Patient")
    return trend_chart(**kwargs)


def parse(svg):
    return ET.fromstring(svg)


def classes(element):
    return set(element.get("class", "").split())


def text_of(element):
    return "".join(element.itertext())


def plot_area(root, panel=""):
    """(left, top, right, bottom) of the plot area: the scores panel, or the panel of that class."""
    rect = next(e for e in root.iter(f"{SVG}rect") if "plot-area" in classes(e) and (not panel or panel in classes(e)))
    left, top = float(rect.get("x")), float(rect.get("y"))
    return left, top, left + float(rect.get("width")), top + float(rect.get("height"))


def series_group(root, css_class):
    return next(g for g in root.iter(f"{SVG}g") if {"series", css_class} <= classes(g))


def points_of(root, css_class):
    """[(x, y, tooltip)] of a series' point marks, in document order."""
    found = []
    for g in series_group(root, css_class).iter(f"{SVG}g"):
        if "point" in classes(g):
            x, y = map(float, re.fullmatch(r"translate\(([-\d.]+) ([-\d.]+)\)", g.get("transform")).groups())
            found.append((x, y, text_of(g.find(f"{SVG}title"))))
    return found


def y_of(value, scale_max, root, panel=""):
    _, top, _, bottom = plot_area(root, panel)
    return bottom - value / scale_max * (bottom - top)


def x_tick_labels(root):
    return [text_of(t) for t in root.iter(f"{SVG}text") if "x-tick" in classes(t)]


def test_the_chart_is_well_formed_svg_with_a_title_and_description():
    root = parse(chart(zones=COWS_ZONES))

    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 960 340"
    assert root.get("role") == "img"
    by_id = {e.get("id"): e for e in root.iter() if e.get("id")}
    labelled_by = [by_id[i] for i in root.get("aria-labelledby").split()]
    assert [e.tag for e in labelled_by] == [f"{SVG}title", f"{SVG}desc"]
    assert labelled_by[0].text == "Withdrawal scores of Test Patient"
    assert "COWS: 3 scores from 9 to 18, latest 9 at Nov 27 16:00 (mild 5-12)." in labelled_by[1].text


def test_the_description_summarises_every_series_and_dose_in_words():
    sows = self_report("SOWS", 64, "series-sows", 30, 23, 10)
    desc = (
        parse(chart(secondary=(sows,), markers=(Marker(T0 + hours(1), "buprenorphine 4 mg SL"),)))
        .find(f"{SVG}desc")
        .text
    )

    assert "SOWS: 3 reports from 10 to 30 of 64, latest 10 at Nov 27 20:00." in desc
    assert "1 dose: buprenorphine 4 mg SL at Nov 27 09:00." in desc
    assert "(America/New_York)" in desc


def test_each_score_is_a_point_with_its_value_in_the_tooltip():
    root = parse(chart(primary=cows((18, "moderate"), 14, (9, "mild, settling"))))

    tooltips = [tooltip for _, _, tooltip in points_of(root, "series-cows")]

    assert tooltips == [
        "COWS 18 \u00b7 Nov 27 08:00 \u00b7 moderate",
        "COWS 14 \u00b7 Nov 27 12:00",
        "COWS 9 \u00b7 Nov 27 16:00 \u00b7 mild, settling",
    ]


def test_a_higher_score_is_drawn_higher():
    root = parse(chart(primary=cows(4, 30)))

    (_, y_low, _), (_, y_high, _) = points_of(root, "series-cows")

    assert y_high < y_low
    assert y_low == pytest.approx(y_of(4, 48, root), abs=0.06)
    assert y_high == pytest.approx(y_of(30, 48, root), abs=0.06)


def test_later_scores_are_drawn_further_right():
    shuffled = Series(
        "COWS (0-48)", (Point(T0 + hours(8), 5), Point(T0, 20), Point(T0 + hours(4), 12)), 48, "series-cows"
    )
    root = parse(chart(primary=shuffled))

    xs = [x for x, _, _ in points_of(root, "series-cows")]
    line = series_group(root, "series-cows").find(f"{SVG}polyline")
    line_xs = [float(pair.split(",")[0]) for pair in line.get("points").split()]

    assert xs == sorted(xs) and len(set(xs)) == 3
    assert line_xs == xs


def test_zones_are_shaded_between_their_edges():
    root = parse(chart(zones=COWS_ZONES))
    left, top, right, bottom = plot_area(root)
    rects = {next(iter(classes(r) - {"zone"})): r for r in root.iter(f"{SVG}rect") if "zone" in classes(r)}

    assert set(rects) == {"zone-none", "zone-mild", "zone-moderate", "zone-moderately-severe", "zone-severe"}
    mild = rects["zone-mild"]
    assert float(mild.get("y")) == pytest.approx(y_of(13, 48, root), abs=0.06)
    assert float(mild.get("y")) + float(mild.get("height")) == pytest.approx(y_of(5, 48, root), abs=0.11)
    assert (float(mild.get("x")), float(mild.get("width"))) == (left, right - left)
    assert float(rects["zone-severe"].get("y")) == top
    labels = {text_of(t): t for t in root.iter(f"{SVG}text") if "zone-label" in classes(t)}
    assert set(labels) == {z.label for z in COWS_ZONES}
    assert all(left < float(t.get("x")) <= right and t.get("text-anchor") == "end" for t in labels.values())
    assert y_of(13, 48, root) < float(labels["mild 5-12"].get("y")) < y_of(5, 48, root)


def test_zones_are_drawn_behind_the_data():
    root = parse(chart(zones=COWS_ZONES))
    order = [classes(g) for g in root if g.tag == f"{SVG}g"]

    assert order.index({"zones"}) < next(i for i, c in enumerate(order) if "series" in c)


def test_self_reports_are_plotted_as_percent_of_their_scale():
    sows = self_report("SOWS", 64, "series-sows", 32)
    craving = self_report("Craving", 10, "series-craving", 5)
    root = parse(chart(secondary=(sows, craving)))

    [(_, sows_y, sows_tip)] = points_of(root, "series-sows")
    [(_, craving_y, craving_tip)] = points_of(root, "series-craving")

    assert sows_y == craving_y == pytest.approx(y_of(50, 100, root, "self-report-panel"), abs=0.06)
    assert sows_tip.startswith("SOWS 32 of 64 \u00b7 ")
    assert craving_tip.startswith("Craving 5 of 10 \u00b7 ")
    axis_labels = [text_of(t) for t in root.iter(f"{SVG}text") if "axis-label" in classes(t)]
    assert axis_labels == ["COWS (0-48)", "% of scale max"]
    assert [text_of(t) for t in root.iter(f"{SVG}text") if "y2-tick" in classes(t)] == [
        "0",
        "20",
        "40",
        "60",
        "80",
        "100",
    ]


def test_self_reports_have_a_panel_of_their_own_below_the_cows_severity_bands():
    sows = self_report("SOWS", 64, "series-sows", 60, 32, 4)
    craving = self_report("Craving", 10, "series-craving", 9, 2)
    root = parse(chart(zones=COWS_ZONES, secondary=(sows, craving)))
    _, _, _, scores_bottom = plot_area(root)
    _, reports_top, _, reports_bottom = plot_area(root, "self-report-panel")
    bands = [e for e in root.iter(f"{SVG}rect") if "zone" in classes(e)]

    assert scores_bottom < reports_top
    assert bands and all(float(b.get("y")) + float(b.get("height")) <= scores_bottom for b in bands)
    for series in ("series-sows", "series-craving"):
        assert all(reports_top <= y <= reports_bottom for _, y, _ in points_of(root, series))
    assert all(y <= scores_bottom for _, y, _ in points_of(root, "series-cows"))
    titles = [text_of(t) for t in root.iter(f"{SVG}text") if "panel-title" in classes(t)]
    assert titles == ["Self-reports, % of each scale's maximum"]


def test_without_self_reports_the_scores_take_the_whole_plot():
    root = parse(chart(zones=COWS_ZONES))

    assert len([e for e in root.iter(f"{SVG}rect") if "plot-area" in classes(e)]) == 1
    assert plot_area(root)[3] == 340 - 74


def test_a_chart_drawn_for_a_phone_keeps_its_time_labels_apart():
    root = parse(chart(primary=cows(10, 12, 14, 9, 8, 6, every=2), width=360))
    ticks = [float(t.get("x")) for t in root.iter(f"{SVG}text") if "x-tick" in classes(t)]

    assert 3 <= len(ticks) <= 5
    assert all(b - a >= 50 for a, b in zip(ticks, ticks[1:], strict=False))


def test_the_left_axis_runs_from_zero_to_the_scale_maximum():
    root = parse(chart())

    assert [text_of(t) for t in root.iter(f"{SVG}text") if "y-tick" in classes(t)] == [
        "0",
        "8",
        "16",
        "24",
        "32",
        "40",
        "48",
    ]


def test_doses_are_vertical_marks_with_labels():
    dose_at = T0 + hours(2)
    root = parse(chart(markers=(Marker(dose_at, "buprenorphine 4 mg SL"),)))
    left, top, right, bottom = plot_area(root)
    [dose] = [g for g in root.iter(f"{SVG}g") if classes(g) == {"dose"}]
    line = dose.find(f"{SVG}line")
    [score_0, _, score_8h] = points_of(root, "series-cows")

    assert line.get("x1") == line.get("x2")
    assert float(line.get("x1")) == pytest.approx(score_0[0] + (score_8h[0] - score_0[0]) / 4, abs=0.1)
    assert float(line.get("y1")) <= top and float(line.get("y2")) == bottom
    assert line.get("stroke-dasharray")
    assert text_of(dose.find(f"{SVG}title")) == "buprenorphine 4 mg SL \u00b7 Nov 27 10:00"
    [label] = [t for t in root.iter(f"{SVG}text") if "dose-label" in classes(t)]
    assert text_of(label) == "buprenorphine 4 mg SL"
    assert float(label.get("y")) < top
    assert "Dose" in [text_of(t) for t in root.iter(f"{SVG}text")]


def test_doses_close_together_keep_their_labels_apart():
    doses = tuple(Marker(T0 + hours(1 + i), f"dose {i}: buprenorphine 2 mg SL") for i in range(3))
    root = parse(chart(markers=doses))

    labels = [t for t in root.iter(f"{SVG}text") if "dose-label" in classes(t)]
    spans = sorted((float(t.get("y")), float(t.get("x")), float(t.get("x")) + len(text_of(t)) * 5.6) for t in labels)

    assert len(labels) >= 2
    for (y1, _, end1), (y2, start2, _) in zip(spans, spans[1:], strict=False):
        assert y1 != y2 or end1 <= start2


def test_many_doses_close_together_never_overlap_their_labels_on_a_narrow_chart():
    doses = tuple(Marker(T0 + timedelta(minutes=20 * i), f"buprenorphine {2 + i} mg SL") for i in range(8))
    root = parse(chart(markers=doses, width=360))

    labels = [t for t in root.iter(f"{SVG}text") if "dose-label" in classes(t)]
    boxes = [(float(t.get("y")), float(t.get("x")), float(t.get("x")) + len(text_of(t)) * 10 * 0.62) for t in labels]

    assert labels
    for i, (y1, start1, end1) in enumerate(boxes):
        for y2, start2, end2 in boxes[i + 1 :]:
            assert y1 != y2 or end1 <= start2 or end2 <= start1
    assert all(start >= 0 and end <= 360 for _, start, end in boxes)
    assert "8 doses:" in root.find(f"{SVG}desc").text  # every dose is in the description, labelled or not


def test_the_legend_names_each_series_with_its_line_and_marker():
    sows = self_report("SOWS", 64, "series-sows", 32)
    craving = self_report("Craving", 10, "series-craving", 5)
    root = parse(chart(secondary=(sows, craving)))

    legend = next(g for g in root.iter(f"{SVG}g") if classes(g) == {"legend"})
    items = [g for g in legend.iter(f"{SVG}g") if "legend-item" in classes(g)]

    assert [text_of(g.find(f"{SVG}text")) for g in items] == ["COWS (0-48)", "SOWS (0-64)", "Craving (0-10)"]
    assert "Dose" not in text_of(legend)


def test_series_differ_by_dash_and_marker_shape_not_only_colour():
    sows = self_report("SOWS", 64, "series-sows", 32, 20)
    craving = self_report("Craving", 10, "series-craving", 5, 3)
    short = self_report("Short OWS", 30, "series-short-ows", 12, 8)
    root = parse(chart(secondary=(sows, craving, short)))

    styles = set()
    for css_class in ("series-cows", "series-sows", "series-craving", "series-short-ows"):
        group = series_group(root, css_class)
        first_point = next(g for g in group.iter(f"{SVG}g") if "point" in classes(g))
        [shape] = [e for e in first_point if e.tag != f"{SVG}title"]
        shape_key = (shape.tag, len(shape.get("points", "").split()))
        styles.add((group.find(f"{SVG}polyline").get("stroke-dasharray"), shape_key))

    assert len(styles) == 4
    assert len({dash for dash, _ in styles}) == 4


def test_user_text_is_escaped():
    attack = "<script>alert(1)</script>"
    primary = Series(
        f"COWS {attack}",
        (Point(T0, 12, f'{attack} "quoted" & <b>bold</b>\x00\x1b'),),
        48,
        'series-cows" onload="alert(1)',
    )
    svg = chart(
        primary=primary,
        zones=(Zone(5, 13, attack, "zone-mild"),),
        markers=(Marker(T0, attack),),
        title=f"Scores of {attack}",
    )

    assert "<script" not in svg.lower()
    root = parse(svg)
    assert classes(series_group(root, "series-cows")) == {"series", "series-cows", "onloadalert1", "primary"}
    assert root.find(f"{SVG}title").text == f"Scores of {attack}"
    [(_, _, tooltip)] = points_of(root, "series-cows")
    assert tooltip.endswith(f'{attack} "quoted" & <b>bold</b>')
    assert all(not name.startswith("on") for e in root.iter() for name in e.attrib)
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter("script"))


def test_no_data_still_draws_axes_and_says_so():
    for svg in (chart(primary=cows()), chart(primary=None), chart(primary=cows(), zones=COWS_ZONES)):
        root = parse(svg)
        texts = [text_of(t) for t in root.iter(f"{SVG}text")]
        assert EMPTY_MESSAGE in texts
        assert plot_area(root)
        axes = next(g for g in root if classes(g) == {"axes"})
        assert len(list(axes.iter(f"{SVG}line"))) >= 2
        assert EMPTY_MESSAGE in root.find(f"{SVG}desc").text


def test_no_data_with_a_window_still_labels_the_time_axis():
    root = parse(chart(primary=cows(), start=T0, end=T0 + hours(24)))

    assert 4 <= len(x_tick_labels(root)) <= 10


def test_tick_labels_are_in_the_programs_time_zone():
    root = parse(chart(primary=cows(14), start=T0 - hours(1), end=T0 + hours(5)))  # 07:00-13:00 EST

    labels = x_tick_labels(root)
    [(_, _, tooltip)] = points_of(root, "series-cows")

    assert labels[0] == "07:00Nov 27"
    assert "08:00" in labels and "13:00" not in labels[:1]
    assert "13:00" in labels[-1]
    assert tooltip == "COWS 14 \u00b7 Nov 27 08:00"


def test_tick_labels_follow_daylight_saving_changes():
    fall_back = datetime(2024, 11, 3, 4, 0, tzinfo=UTC)  # midnight EDT; clocks go back at 02:00 EDT
    root = parse(chart(primary=cows(), start=fall_back, end=fall_back + hours(25)))

    times = [label[:5] for label in x_tick_labels(root)]

    assert times[0] == "00:00"
    assert all(int(t[:2]) % 4 == 0 and t.endswith(":00") for t in times)


@pytest.mark.parametrize(
    "span",
    [
        hours(2),
        hours(3),
        hours(7),
        hours(12),
        hours(24),
        hours(50),
        timedelta(days=4),
        timedelta(days=10),
        timedelta(days=21),
        timedelta(days=45),
    ],
)
def test_the_time_axis_has_four_to_ten_ticks(span):
    root = parse(chart(primary=cows(10, 12, every=span.total_seconds() / 3600)))

    assert 4 <= len(x_tick_labels(root)) <= 10


def test_a_single_score_shows_the_day_before_it():
    root = parse(chart(primary=cows(14)))
    left, _, right, _ = plot_area(root)

    [(x, _, _)] = points_of(root, "series-cows")
    labels = x_tick_labels(root)

    assert right - 60 < x < right
    assert labels[0].endswith("Nov 26") and "08:00" in labels[-1]


def test_scores_outside_the_window_are_left_out_and_out_of_range_values_stay_inside():
    primary = Series(
        "COWS (0-48)", (Point(T0 - hours(30), 10), Point(T0, 60), Point(T0 + hours(1), -3)), 48, "series-cows"
    )
    root = parse(chart(primary=primary, start=T0 - hours(2), end=T0 + hours(4)))
    _, top, _, bottom = plot_area(root)

    [(_, y_high, tip_high), (_, y_low, _)] = points_of(root, "series-cows")

    assert (y_high, y_low) == (top, bottom)
    assert tip_high.startswith("COWS 60 ")


def test_the_output_is_deterministic():
    def render():
        sows = self_report("SOWS", 64, "series-sows", 30, 23)
        return chart(
            primary=cows(18, (14, "note"), 9),
            zones=COWS_ZONES,
            secondary=(sows,),
            markers=(Marker(T0 + hours(1), "buprenorphine 4 mg SL"),),
        )

    first = render()
    assert render() == first
    same_instants_elsewhere = chart(
        primary=Series(
            "COWS (0-48)",
            tuple(
                Point(p.at.astimezone(timezone(timedelta(hours=-5))), p.value, p.note)
                for p in cows(18, (14, "note"), 9).points
            ),
            48,
            "series-cows",
        ),
        zones=COWS_ZONES,
        secondary=(self_report("SOWS", 64, "series-sows", 30, 23),),
        markers=(Marker(T0 + hours(1), "buprenorphine 4 mg SL"),),
    )
    assert same_instants_elsewhere == first


def test_two_different_charts_do_not_share_element_ids():
    ids = [parse(chart(primary=cows(*scores))).get("aria-labelledby") for scores in ((1, 2), (3, 4))]

    assert ids[0] != ids[1]


def test_coordinates_are_rounded_to_one_decimal():
    svg = chart(
        primary=cows(17, 13, 11, every=3.3),
        zones=COWS_ZONES,
        secondary=(self_report("SOWS", 64, "series-sows", 31, 7, every=2.7),),
    )

    numbers = re.findall(
        r"-?\d+\.\d+",
        " ".join(value for e in parse(svg).iter() for key, value in e.attrib.items() if key != "fill-opacity"),
    )

    assert numbers and all(len(n.split(".")[1]) == 1 for n in numbers)


def test_no_inline_script_or_style():
    svg = chart(
        zones=COWS_ZONES, secondary=(self_report("SOWS", 64, "series-sows", 30),), markers=(Marker(T0, "dose"),)
    )

    assert "<script" not in svg and "style=" not in svg and "javascript:" not in svg
    root = parse(svg)
    assert not [e for e in root.iter() if e.tag in (f"{SVG}script", f"{SVG}style", f"{SVG}foreignObject")]
    assert not [name for e in root.iter() for name in e.attrib if name.lower().startswith("on")]
    assert not [name for e in root.iter() for name in e.attrib if "href" in name]


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        naive = datetime(2024, 11, 27, 8)  # noqa: DTZ001 (the mistake this test guards against)
        chart(primary=Series("COWS (0-48)", (Point(naive, 5),), 48, "series-cows"))
    with pytest.raises(ValueError, match="after start"):
        chart(start=T0, end=T0)


ZONES = st.sampled_from([NEW_YORK, ZoneInfo("UTC"), ZoneInfo("Pacific/Auckland"), ZoneInfo("Asia/Kolkata")])
SCORES = st.lists(st.tuples(st.integers(0, 10 * 24 * 3600), st.integers(0, 48), st.text(max_size=30)), max_size=60)


@settings(max_examples=80, deadline=None)
@given(
    scores=SCORES,
    reports=st.lists(st.tuples(st.integers(0, 10 * 24 * 3600), st.floats(0, 64)), max_size=20),
    tz=ZONES,
    base=st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)),  # noqa: DTZ001 (hypothesis takes naive bounds)
)
def test_any_scores_within_ten_days_give_valid_svg_with_every_point_inside_the_plot(scores, reports, tz, base):
    primary = Series(
        "COWS (0-48)", tuple(Point(base + timedelta(seconds=s), v, n) for s, v, n in scores), 48, "series-cows"
    )
    sows = Series("SOWS (0-64)", tuple(Point(base + timedelta(seconds=s), v) for s, v in reports), 64, "series-sows")

    root = parse(chart(primary=primary, zones=COWS_ZONES, secondary=(sows,), tz=tz))
    left, top, right, bottom = plot_area(root)

    scores_drawn, reports_drawn = points_of(root, "series-cows"), points_of(root, "series-sows")
    assert (len(scores_drawn), len(reports_drawn)) == (len(scores), len(reports))
    assert all(left <= x <= right and top <= y <= bottom for x, y, _ in scores_drawn)
    left, top, right, bottom = plot_area(root, "self-report-panel")
    assert all(left <= x <= right and top <= y <= bottom for x, y, _ in reports_drawn)
    assert len(x_tick_labels(root)) <= 10
    assert (EMPTY_MESSAGE in [text_of(t) for t in root.iter(f"{SVG}text")]) == (not scores and not reports)
