"""Each role starts on its own work and its navigation offers only what it may open; 403 and 404 pages are in the
site's layout with a way back."""

import re

import pytest

START = {
    "nurse": "/withdrawal/board/",
    "prescriber": "/withdrawal/board/",
    "counselor_off_team": "/treatment/schedule/",
    "intake": "/waitlist/",
    "director": "/outcomes/",
    "privacy_officer": "/audit/",
    "administrator": "/settings/",
}


def nav_links(html: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)
    return re.findall(r'href="([^"]+)"', nav)


@pytest.mark.parametrize(("persona", "start"), START.items())
def test_each_role_lands_on_its_own_work_after_signing_in(persona, start, request, page, admitted):
    client = page(request.getfixturevalue(persona))
    response = client.get("/")
    assert response.status_code == 302 and response.url == start
    assert client.get(start).status_code == 200


@pytest.mark.parametrize("persona", START)
def test_the_navigation_offers_only_pages_the_role_may_open(persona, request, page, admitted):
    client = page(request.getfixturevalue(persona))
    links = nav_links(client.get(START[persona]).content.decode())
    assert links
    for link in links:
        assert client.get(link).status_code == 200, link


def test_the_privacy_officer_and_administrator_are_not_offered_patient_pages(page, privacy_officer, administrator):
    for user in (privacy_officer, administrator):
        links = nav_links(page(user).get("/census/").content.decode())
        assert "/patients/" not in links and "/withdrawal/board/" not in links


def test_a_missing_or_foreign_record_answers_a_404_in_the_sites_layout_with_a_way_back(page, nurse, north_patient):
    response = page(nurse).get(f"/patients/{north_patient.pk}/")
    text = response.content.decode()
    assert response.status_code == 404
    assert 'class="topbar"' in text and "This page is not here" in text
    assert 'href="/"' in text and "Go to your start page" in text
    assert north_patient.family_name not in text


def test_a_refused_page_answers_a_403_in_the_sites_layout_without_permission_keys(page, privacy_officer):
    response = page(privacy_officer).get("/patients/")
    text = response.content.decode()
    assert response.status_code == 403
    assert 'class="topbar"' in text and "Not available to your role" in text and "Go to your start page" in text
    assert "patient.chart:read" not in text


def bar_links(html: str) -> list[str]:
    """The links in the bar itself, outside the group menus."""
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)
    return re.findall(r'href="([^"]+)"', re.sub(r"<details.*?</details>", "", nav, flags=re.S))


@pytest.mark.parametrize("persona", START)
def test_the_bar_starts_with_the_roles_own_work_and_holds_at_most_five_links(persona, request, page, admitted):
    links = bar_links(page(request.getfixturevalue(persona)).get(START[persona]).content.decode())
    assert links[0] == START[persona]
    assert len(links) <= 5  # one line at 1280 px, and on a tablet one row below the brand


def test_the_board_and_the_dosing_window_are_in_the_bar_of_the_nurse_and_the_prescriber(page, nurse, prescriber):
    for user in (nurse, prescriber):
        links = bar_links(page(user).get("/withdrawal/board/").content.decode())
        assert "/withdrawal/board/" in links and "/dosing/" in links and "/work-lists/" in links


WORK_LISTS = {"/follow-ups/", "/after-discharge/", "/treatment/due/", "/patients/unassigned/"}


@pytest.mark.parametrize("persona", ["nurse", "prescriber", "counselor_off_team", "intake", "director"])
def test_the_work_lists_page_gathers_every_list_of_patients_waiting_and_each_opens(persona, request, page, admitted):
    client = page(request.getfixturevalue(persona))
    response = client.get("/work-lists/")
    text = response.content.decode()
    listed = set(re.findall(r'<li class="card[^"]*"><a href="([^"]+)"', text))
    assert listed == WORK_LISTS
    assert "Patients on no care team" in text and "Plan reviews" in text
    for url in listed:
        assert client.get(url).status_code == 200, url
    assert not set(nav_links(text)) & WORK_LISTS  # on their page, not repeated in a menu


@pytest.mark.parametrize("persona", START)
def test_every_page_a_role_may_open_is_in_its_bar_a_menu_or_the_work_lists(persona, request, page, admitted):
    from django.urls import reverse

    from waypoint.accounts.roles import role_allows
    from waypoint.site.navigation import GROUPS, WORK_LISTS

    user = request.getfixturevalue(persona)
    role = user.memberships.get().role
    client = page(user)
    reachable = set(nav_links(client.get(START[persona]).content.decode()))
    if "/work-lists/" in reachable:
        reachable |= set(
            re.findall(r'<li class="card[^"]*"><a href="([^"]+)"', client.get("/work-lists/").content.decode())
        )
    may = {reverse(link.url_name) for _, links in GROUPS for link in links if role_allows(role, link.permission)}
    may |= {reverse(w.url_name) for w in WORK_LISTS if role_allows(role, w.permission) and role_allows(role, w.also)}
    assert may - reachable == set()


def test_the_work_lists_page_says_how_many_wait_on_each_list_of_the_patients_the_user_may_see(
    page, nurse, counselor_off_team, admitted
):
    """Maria is admitted without a signed treatment plan: one plan to write for her care team's nurse, none for a
    counselor of another team (who may not see her)."""
    text = page(nurse).get("/work-lists/").content.decode()
    plan = re.search(r'href="/treatment/due/">Plan reviews</a>\s*<p class="count">([^<]+)</p>', text).group(1)
    assert plan == "1 waiting"
    text = page(counselor_off_team).get("/work-lists/").content.decode()
    plan = re.search(r'href="/treatment/due/">Plan reviews</a>\s*<p class="count">([^<]+)</p>', text).group(1)
    assert plan == "Nobody waiting"
