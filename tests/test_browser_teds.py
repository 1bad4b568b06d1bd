"""Browser: the program director opens the TEDS page from the navigation, picks the month, reads the counts and the
work list, and follows a work-list link to where the missing field is entered."""

import re

import pytest
from playwright.sync_api import expect

from conftest import screenshot
from tests.test_browser_foundation import follow_nav, sign_in
from waypoint.regulatory.tests.test_teds import period  # noqa: F401 - the hand-built month (a fixture)

pytestmark = pytest.mark.browser


def test_the_director_opens_the_teds_page_and_follows_a_work_list_link(
    browser_page,
    live_server,
    director,
    period,  # noqa: F811 - the fixture imported above
):
    page = browser_page
    sign_in(page, live_server, "director")
    follow_nav(page, "State reports")
    expect(page.locator("h1")).to_have_text("State reports: TEDS")
    page.fill("#id_period", str(period["month"]))
    page.click("button:has-text('Show')")
    expect(page.locator("#teds-counts")).to_contain_text(str(period["month"]))
    expect(page.locator("table").first).to_contain_text("Admissions")
    expect(page.locator("p.notice")).to_contain_text("Sample crosswalk.")
    work_list = page.locator("section[aria-labelledby=teds-work-list]")
    expect(work_list).to_contain_text("ClientC Rivera")
    expect(work_list).to_contain_text("Primary substance")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "teds-state-report-1280")
    page.set_viewport_size({"width": 768, "height": 1024})
    screenshot(page, "teds-state-report-768")
    work_list.get_by_role("link", name="enter it in the substance use history").first.click()
    expect(page).to_have_url(re.compile(rf"/patients/{period['C'].pk}/history/$"))
    expect(page.locator("h1")).to_contain_text("ClientC Rivera")
