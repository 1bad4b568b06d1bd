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
