"""`export.collected_once`: the cyclic garbage collector is paused while a page is exported and run at its end, so a
page's cycles are freed page by page and the collector is left as it was found."""

import gc
import weakref

import pytest

from waypoint.bulk.export import Interrupted, collected_once


class Node:
    pass


def a_cycle() -> weakref.ref:
    node = Node()
    node.itself = node
    return weakref.ref(node)


def test_a_cycle_made_in_a_page_is_freed_when_the_page_ends():
    assert gc.isenabled()
    with collected_once():
        assert not gc.isenabled()
        made = a_cycle()
        assert made() is not None
    assert gc.isenabled()
    assert made() is None


def test_the_collector_is_enabled_again_when_the_page_stops_on_an_error():
    with pytest.raises(Interrupted), collected_once():
        raise Interrupted()
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled():
    gc.disable()
    try:
        with collected_once():
            made = a_cycle()
        assert not gc.isenabled()
        assert made() is not None
    finally:
        gc.enable()
        gc.collect()
