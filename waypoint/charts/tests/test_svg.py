from datetime import date

import pytest

from waypoint.charts import svg


def test_text_and_attributes_are_escaped_and_lose_the_characters_xml_cannot_carry():
    assert svg.text('a <b> & "c"\x00\x1f') == 'a &lt;b&gt; &amp; "c"'
    assert svg.attr('say "hi" <now>\ufffe') == "say &quot;hi&quot; &lt;now&gt;"


def test_an_element_writes_numbers_as_coordinates_escapes_strings_and_leaves_out_empty_values():
    made = svg.element("rect", {"x": 1.04, "y": -0.04, "class": 'a"b', "fill": None, "id": ""}, "&lt;")
    assert made == '<rect x="1" y="0" class="a&quot;b">&lt;</rect>'
    assert svg.element("line", {"x1": 2.26, "x2": 3.0}) == '<line x1="2.3" x2="3"/>'


@pytest.mark.parametrize(
    ("top", "most", "cover", "expected"),
    [
        (3, 5, False, [0, 1, 2, 3]),
        (12, 5, False, [0, 5, 10]),
        (13, 6, True, [0, 5, 10, 15]),
        (10, 6, True, [0, 2, 4, 6, 8, 10]),
        (23000, 5, False, [0, 5000, 10000, 15000, 20000]),
    ],
)
def test_count_axes_take_the_smallest_round_step_that_fits(top, most, cover, expected):
    assert svg.count_ticks(top, most=most, cover=cover) == expected


@pytest.mark.parametrize(("scale_max", "step"), [(48, 8), (64, 8), (30, 5), (10, 2), (100, 20)])
def test_fixed_scales_get_a_step_that_divides_their_maximum(scale_max, step):
    ticks = svg.value_ticks(scale_max)
    assert ticks == [i * step for i in range(scale_max // step + 1)]


def test_days_and_numbers_are_written_the_same_in_every_locale():
    assert svg.day_label(date(2026, 11, 27)) == "Nov 27"
    assert (svg.number(7.5), svg.number(2.25), svg.number(14.0)) == ("7.5", "2.25", "14")
