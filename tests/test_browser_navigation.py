"""The bar as each role sees it (waypoint/site/navigation.py): its own work one click away on one line at 1280 px and
on one row under the brand on a tablet; the lists of patients waiting for someone gathered on the Work lists page."""

import re

import pytest
from playwright.sync_api import expect

from conftest import screenshot
from tests.test_browser_a11y import DESK, PHONE, TABLET, assert_within_width, at_width, past_the_edge, sideways_scroll
from tests.test_browser_foundation import follow_nav, sign_in

pytestmark = pytest.mark.browser

LANDS_ON = {
    "nurse": "Withdrawal board",
    "prescriber": "Withdrawal board",
    "intake": "Waitlist",
    "director": "Outcomes",
    "privacy": "Audit trail",
}


def rows_of(locator) -> set[int]:
    """The distinct lines the items of the navigation sit on."""
    boxes = locator.locator(":scope > a, :scope > details > summary").evaluate_all(
        "items => items.map(item => item.getBoundingClientRect())"
    )
    return {round(box["y"]) for box in boxes}


@pytest.mark.parametrize("persona", LANDS_ON)
def test_each_roles_bar_is_one_line_at_1280_and_one_row_under_the_brand_at_768(
    persona, request, browser_page, live_server, admitted
):
    request.getfixturevalue({"privacy": "privacy_officer"}.get(persona, persona))
    page = browser_page
    sign_in(page, live_server, persona)
    expect(page.locator("h1")).to_contain_text(LANDS_ON[persona])
    nav = page.get_by_role("navigation", name="Main")
    for width, tallest in ((DESK, 60), (TABLET, 100)):
        at_width(page, width)
        page.reload()
        assert len(rows_of(nav)) == 1, f"the {persona}'s navigation wraps at {width} px"
        height = page.locator("header.topbar").bounding_box()["height"]
        assert height <= tallest, f"the top bar is {height} px high at {width} px"
        assert page.locator("header.topbar").evaluate("bar => bar.scrollWidth - bar.clientWidth") == 0
        wide = sideways_scroll(page)
        assert wide == 0, f"the {persona}'s start page scrolls sideways at {width} px: {past_the_edge(page)}"
        if persona == "nurse":
            screenshot(page, f"navigation-nurse-{width}")


def test_a_nurse_reaches_each_work_list_and_the_dosing_window_in_one_or_two_clicks(
    browser_page, live_server, nurse, admitted
):
    page = browser_page
    sign_in(page, live_server, "nurse")
    follow_nav(page, "Dosing window")
    expect(page.locator("h1")).to_contain_text("Dosing window")
    for label, heading in (
        ("Follow-ups", "follow-ups"),
        ("After discharge", "after discharge"),
        ("Plan reviews", "plan"),
        ("Patients on no care team", "no care team"),
    ):
        follow_nav(page, label)  # through the Work lists page
        expect(page.locator("h1")).to_contain_text(re.compile(heading, re.I))
    follow_nav(page, "Work lists")
    expect(page.locator("main")).to_contain_text("Admitted patients whom no team covering their level of care sees")
    screenshot(page, "work-lists")
    follow_nav(page, "Withdrawal board")
    expect(page.locator("h1")).to_contain_text("Withdrawal board")


def test_the_director_opens_the_board_from_the_care_menu(browser_page, live_server, director):
    page = browser_page
    sign_in(page, live_server, "director")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_text("Care", exact=True).click()
    nav.get_by_role("link", name="Withdrawal board").click()
    expect(page.locator("h1")).to_contain_text("Withdrawal")
    screenshot(page, "navigation-director-1280")


def test_on_a_phone_every_link_of_the_bar_and_its_menus_can_be_reached(browser_page, live_server, nurse, admitted):
    page = browser_page
    at_width(page, PHONE)
    sign_in(page, live_server, "nurse")
    nav = page.get_by_role("navigation", name="Main")
    for link in nav.locator(":scope > a").all():
        assert_within_width(page, link)
    nav.get_by_text("Program", exact=True).click()
    census = nav.get_by_role("link", name="Census")
    expect(census).to_be_visible()
    assert_within_width(page, census)
    screenshot(page, "navigation-nurse-390-menu")
    census.click()
    expect(page.locator("h1")).to_contain_text("in care now")
