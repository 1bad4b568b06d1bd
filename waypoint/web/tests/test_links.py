"""Links reversed once per page (`web.links.Link`) are the links `reverse()` gives, for any id."""

import pytest
from django.urls import reverse

from waypoint.web.links import ID, Link


@pytest.mark.parametrize("pk", [1, 7, 42, 987654321, 10**12])
def test_a_link_is_what_reverse_gives(pk):
    assert Link("dispensing:dose", ID)(pk) == reverse("dispensing:dose", args=[pk])
    assert Link("dispensing:hold-lift", ID, ID)(pk, 3) == reverse("dispensing:hold-lift", args=[pk, 3])
    assert Link("withdrawal:record", ID, "cows")(pk) == reverse("withdrawal:record", args=[pk, "cows"])


def test_only_numbers_enter_a_link_and_the_count_of_ids_is_checked():
    dose = Link("dispensing:dose", ID)
    with pytest.raises(ValueError):
        dose("1/../admin")
    with pytest.raises(TypeError):
        dose(1, 2)
    assert dose("12") == reverse("dispensing:dose", args=[12])


def test_a_page_s_links_are_equal_and_hashable():
    assert Link("dispensing:dose", ID) == Link("dispensing:dose", ID)
    assert len({Link("dispensing:dose", ID), Link("dispensing:dose", ID)}) == 1
