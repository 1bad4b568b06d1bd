"""Waypoint on a desk (1280 px), a tablet on a medication cart (768 px) and a phone (390 px), by keyboard, and
through axe-core (the browser fixture checks every page a test visits against WCAG 2.1 A and AA).
Screenshots in docs/screenshots/*-1280.png and *-768.png."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import check_accessibility, screenshot
from tests.conftest import COWS
from tests.test_browser_foundation import sign_in
from tests.test_browser_withdrawal import history, more_patients
from waypoint.accounts import program_settings
from waypoint.medication import services as medication
from waypoint.patients.models import Patient
from waypoint.treatment import services as treatment
from waypoint.withdrawal import services as withdrawal

pytestmark = pytest.mark.browser

DESK, TABLET, PHONE = 1280, 768, 390
HEIGHT = {DESK: 900, TABLET: 1024, PHONE: 844}


def at_width(page, width):
    page.set_viewport_size({"width": width, "height": HEIGHT[width]})


def sideways_scroll(page) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


WIDEST = """() => [...document.body.querySelectorAll("*")]
  .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .filter(el => ![...el.children].some(c => c.getBoundingClientRect().right > document.documentElement.clientWidth + 1))
  .slice(0, 6)
  .map(el => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : "")
    + " " + el.textContent.trim().slice(0, 30))"""


def past_the_edge(page) -> list[str]:
    """The innermost elements that reach past the window's right edge (what makes the page scroll sideways)."""
    return page.evaluate(WIDEST)


def assert_within_width(page, locator):
    """The element is on screen across: its left and right edges inside the window."""
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    assert box is not None, f"{locator} is not displayed"
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{locator} is off-screen: {box} at {width} px"


def a_ward(nurse, prescriber, patient, program):
    """Maria (allergies, an alert, COWS and self-reports, a buprenorphine induction with two doses), James
    overdue, Aisha new: the board of a real shift."""
    Patient.objects.filter(pk=patient.pk).update(
        allergies="Penicillin (hives); latex", alerts="Fall risk at night; uses a walker"
    )
    program_settings.change(program, "withdrawal.induction_threshold_cows", 8, acting_user=nurse)
    program_settings.change(program, "withdrawal.rise_alert_points", 5, acting_user=nurse)
    history(nurse, patient)
    more_patients(nurse, program)
    withdrawal.record_assessment(
        acting_user=nurse,
        patient=patient,
        instrument="cows",
        responses=COWS | {"gooseflesh": 5, "anxiety_irritability": 4, "restlessness": 5},
        taken_at=timezone.now() - timedelta(hours=3),
    )
    now = timezone.now().replace(second=0, microsecond=0)
    order = medication.order_medication(
        acting_user=prescriber,
        patient=patient,
        medication="buprenorphine",
        dose="4",
        route="sublingual",
        times_per_day=12,
        min_interval_hours=2,
        frequency="as needed",
        phase="induction",
        start_at=now - timedelta(hours=3),
    )
    for minutes in (170, 50):
        medication.record_administration(
            acting_user=nurse,
            patient=patient,
            order=order,
            status="given",
            dose="4",
            at=now - timedelta(minutes=minutes),
            cows_override_reason="COWS scored on the paper flowsheet",  # the layout is under test, not the rule
        )


def a_group_session(nurse, patient, program):
    session = treatment.schedule_session(
        acting_user=nurse,
        program=program,
        kind="group",
        modality="relapse_prevention",
        topic="Triggers, cravings and a plan for the weekend",
        facilitator=nurse,
        room="Group room B",
        starts_at=timezone.now() - timedelta(minutes=50),
        ends_at=timezone.now() - timedelta(minutes=5),
    )
    treatment.add_to_roster(acting_user=nurse, session=session, patient=patient)
    treatment.mark_attendance(acting_user=nurse, session=session, patient=patient, status="present")
    return session


def test_at_768_px_the_board_and_the_chart_need_no_sideways_scrolling(
    browser_page, live_server, nurse, prescriber, admitted, patient, program
):
    a_ward(nurse, prescriber, patient, program)
    page = browser_page
    at_width(page, TABLET)
    sign_in(page, live_server, "nurse")

    page.goto(f"{live_server.url}/withdrawal/board/")
    maria = page.locator("table.board tbody tr", has_text="Maria Rivera")
    expect(maria).to_contain_text("COWS up")
    assert sideways_scroll(page) == 0
    assert_within_width(page, maria.locator("text=Score COWS"))
    assert_within_width(page, maria.locator(".alerts"))

    page.goto(f"{live_server.url}{patient.get_absolute_url()}")
    # the drug-allergy line stands right under the header, registration's words included
    expect(page.locator("#allergies")).to_contain_text("Penicillin (hives); latex")
    assert sideways_scroll(page) == 0
    assert_within_width(page, page.locator("#allergies", has_text="Penicillin"))
    assert_within_width(page, page.locator(".chart-header .alert-box"))
    for action in page.locator(".actions .button").all():
        assert_within_width(page, action)


@pytest.mark.parametrize("width", [TABLET, PHONE])
def test_every_clinical_page_of_a_shift_fits_the_width_of_a_tablet_and_a_phone(
    browser_page, live_server, nurse, prescriber, admitted, patient, program, width
):
    a_ward(nurse, prescriber, patient, program)
    session = a_group_session(nurse, patient, program)
    page = browser_page
    at_width(page, width)
    sign_in(page, live_server, "nurse")
    pages = (
        "/patients/",
        "/withdrawal/board/",
        patient.get_absolute_url(),
        f"/patients/{patient.pk}/withdrawal/",
        f"/patients/{patient.pk}/assessments/new/cows/",
        f"/patients/{patient.pk}/medication/",
        f"/patients/{patient.pk}/medication/administer/",
        f"/patients/{patient.pk}/history/",
        f"/patients/{patient.pk}/progress/",
        f"/treatment/sessions/{session.pk}/",
        "/patients/census/",
    )
    too_wide = {}
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        if overflow := sideways_scroll(page):
            too_wide[path] = (overflow, past_the_edge(page))
    assert too_wide == {}, f"pages wider than {width} px (by this many pixels): {too_wide}"


def test_on_a_phone_the_header_stays_compact_and_the_chart_readable(
    browser_page, live_server, nurse, prescriber, admitted, patient, program
):
    a_ward(nurse, prescriber, patient, program)
    page = browser_page
    at_width(page, PHONE)
    sign_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}{patient.get_absolute_url()}")

    header = page.locator("header.topbar").bounding_box()
    assert header["height"] <= 0.2 * HEIGHT[PHONE], f"the top bar takes {header['height']} px of a phone"
    assert_within_width(page, page.locator("#allergies", has_text="Penicillin"))
    screenshot(page, "chart-390")

    page.goto(f"{live_server.url}/patients/{patient.pk}/withdrawal/")
    chart = page.locator(".chart svg.trend-chart:visible")
    expect(chart).to_have_count(1)
    smallest = chart.evaluate(
        "svg => Math.min(...[...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect().height)"
        ".filter(h => h > 0))"
    )
    assert smallest >= 9, f"the smallest text of the chart is {smallest:.1f} px high on a phone"
    screenshot(page, "withdrawal-flowsheet-390")


def test_on_a_phone_each_patient_on_the_board_is_a_readable_card(
    browser_page, live_server, nurse, prescriber, admitted, patient, program
):
    """Eight columns in 390 px used to crush each cell to a letter a line ("o v e r d u e"): on a phone each patient
    is a card, the name and Score COWS on top, the figures under their headings, the alerts across."""
    a_ward(nurse, prescriber, patient, program)
    page = browser_page
    at_width(page, PHONE)
    sign_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/withdrawal/board/")
    assert sideways_scroll(page) == 0
    for row in page.locator("table.board tbody tr").all():
        name = row.locator("td").first.locator("a")
        assert name.bounding_box()["height"] <= 2 * 24, f"the name {name.inner_text()} is broken over many lines"
        due = row.locator("td[data-label='Next due']")
        assert due.bounding_box()["height"] <= 4 * 24, f"next due is crushed: {due.inner_text()}"
        assert_within_width(page, row.locator("text=Score COWS"))
    maria = page.locator("table.board tbody tr", has_text="Maria Rivera")
    assert_within_width(page, maria.locator(".alerts"))
    expect(maria.locator("td[data-label='Latest COWS']")).to_contain_text("22")
    screenshot(page, "board-390")


@pytest.mark.parametrize("width", [DESK, TABLET, PHONE])
def test_the_dose_labels_of_the_withdrawal_chart_do_not_overlap(
    browser_page, live_server, nurse, prescriber, admitted, patient, program, width
):
    a_ward(nurse, prescriber, patient, program)
    page = browser_page
    at_width(page, width)
    sign_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/patients/{patient.pk}/withdrawal/")
    chart = page.locator(".chart svg.trend-chart:visible")

    boxes = chart.evaluate(
        "svg => [...svg.querySelectorAll('.dose-label')].map(t => { const b = t.getBoundingClientRect();"
        " return [b.left, b.top, b.right, b.bottom]; })"
    )
    assert boxes, "no dose label drawn"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, f"dose labels overlap at {width} px: {a} and {b}"


def test_a_skip_link_leads_past_the_navigation_and_every_control_shows_where_the_focus_is(
    browser_page, live_server, nurse, prescriber, admitted, patient, program
):
    a_ward(nurse, prescriber, patient, program)
    page = browser_page
    sign_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/patients/{patient.pk}/assessments/new/cows/")

    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    assert_within_width(page, skip)
    assert skip.bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    unmarked, radios = [], 0
    for _ in range(40):  # the time, the eleven COWS items (one stop per radio group), vitals, note, buttons
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_RING)
        if focus["what"] is None:  # past the last control
            break
        radios += focus["radio"]
        if focus["ring"] < 2:
            unmarked.append(focus["what"])
    assert unmarked == [], f"no visible focus on: {unmarked}"
    assert radios >= 11


FOCUS_RING = """() => {
  const el = document.activeElement;
  if (el === document.body || el === null) return {what: null};
  const radio = el.type === "radio" || el.type === "checkbox";
  const shown = radio ? (el.closest("label") || el) : el;  // a scale's option is ringed as a whole
  const style = getComputedStyle(shown);
  const ring = style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth);
  return {ring, radio: radio ? 1 : 0, what: el.tagName + " " + (el.name || el.id || el.textContent.trim())};
}"""


def test_the_screens_of_a_shift_at_1280_and_768_px(
    browser_page, live_server, nurse, prescriber, admitted, patient, program
):
    """The screenshots of issue 24: the board, the chart, the COWS form with errors, the dose form and the group
    note, on a desk and on a tablet."""
    a_ward(nurse, prescriber, patient, program)
    session = a_group_session(nurse, patient, program)
    treatment.write_group_note(
        acting_user=nurse,
        session=session,
        body="The group mapped personal triggers and practised urge surfing.",
        entries={patient.pk: "Named payday and her old street as triggers; will call her sister."},
    )
    page = browser_page
    sign_in(page, live_server, "nurse")
    for width in (DESK, TABLET):
        at_width(page, width)
        page.goto(f"{live_server.url}/withdrawal/board/")
        screenshot(page, f"board-{width}")
        page.goto(f"{live_server.url}{patient.get_absolute_url()}")
        screenshot(page, f"chart-{width}")
        page.goto(f"{live_server.url}/patients/{patient.pk}/withdrawal/")
        screenshot(page, f"withdrawal-flowsheet-{width}")
        page.goto(f"{live_server.url}/patients/{patient.pk}/assessments/new/cows/")
        page.check("input[name=sweating][value='2']")
        page.click("button:has-text('Save')")
        expect(page.locator(".error").first).to_be_visible()
        screenshot(page, f"cows-form-errors-{width}")
        page.goto(f"{live_server.url}/patients/{patient.pk}/medication/administer/")
        screenshot(page, f"dose-form-{width}")
        page.goto(f"{live_server.url}/treatment/sessions/{session.pk}/")
        expect(page.locator(".group-note")).to_contain_text("urge surfing")
        screenshot(page, f"group-note-{width}")
        assert sideways_scroll(page) == 0


def test_axe_core_fails_a_page_with_an_unnamed_field(browser_page):
    """The check the fixture runs on every page: it finds what a screen reader user would miss."""
    browser_page.set_content(
        '<html lang="en"><head><title>A form</title></head><body><main><h1>A form</h1>'
        '<input type="text" name="dose"></main></body></html>'
    )

    with pytest.raises(AssertionError, match=r"label \(critical, 1x\): Form elements must have labels"):
        check_accessibility(browser_page)
