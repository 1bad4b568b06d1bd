"""The dosing window in a real browser: the nurse doses three patients from the queue (one refused for a hold),
prints a take-home label set, checks in a returned bottle, and two users do a blind count with a discrepancy.
Screenshots in docs/screenshots (dispensing-*.png)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD, make_user, patient_fields, screenshot
from tests.test_browser_foundation import follow_nav, sign_in
from waypoint.accounts.roles import Role
from waypoint.dispensing import services
from waypoint.dispensing.models import StockCount, TakeHomeBottle
from waypoint.medication import services as medication
from waypoint.medication.models import Administration
from waypoint.patients import services as patients

pytestmark = pytest.mark.browser


def portrait():
    """A synthetic identity photo (a head and shoulders drawn on a plain background), as a JPEG."""
    from io import BytesIO

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (300, 400), (214, 226, 236))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 260, 260, 480), fill=(52, 84, 122))  # shoulders
    draw.ellipse((95, 80, 205, 215), fill=(196, 146, 112))  # face
    draw.ellipse((88, 60, 212, 130), fill=(60, 44, 34))  # hair
    out = BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def test_a_morning_at_the_dosing_window(browser_page, live_server, nurse, prescriber, patient, program, team):
    second = make_user("nurse2", program, Role.NURSE, team)
    start = timezone.now() - timedelta(days=1)
    people = [patient] + [
        patients.register_patient(
            acting_user=nurse, program=program, care_team=team, **patient_fields(mrn=mrn, given_name=g, family_name=f)
        )
        for mrn, g, f in (("W-2002", "Sam", "Okafor"), ("W-3003", "Lee", "Tran"))
    ]
    for person, dose in zip(people, ("60", "85", "40"), strict=True):
        medication.order_medication(
            acting_user=prescriber,
            patient=person,
            medication="methadone",
            dose=Decimal(dose),
            route="oral",
            times_per_day=1,
            start_at=start,
        )
    lot = services.receive_stock(
        acting_user=nurse,
        program=program,
        medication_code="methadone",
        strength="10 mg/mL",
        lot_number="A123",
        quantity_mg="10000",
    ).lot
    services.set_hold(acting_user=nurse, patient=people[2], kind="clinical", reason="Breath alcohol 0.05 at the window")
    services.record_photo(acting_user=nurse, patient=people[1], data=portrait())  # the others: no photo
    services.record_safe_storage(acting_user=nurse, patient=patient, note="Lock box at home, shown the bottle cap")
    services.sign_take_home_decision(
        acting_user=prescriber,
        patient=patient,
        days=2,
        criteria=dict.fromkeys(services.CRITERIA, True),
        basis="Regular attendance, lock box seen",
    )

    page = browser_page
    sign_in(page, live_server, nurse.username)
    follow_nav(page, "Dosing window")
    expect(page.locator("main h2")).to_contain_text("2 due, 1 on hold, of 3")
    photo = page.locator("img.id-photo")
    expect(photo).to_have_attribute("alt", "Photo of Sam Okafor")
    expect(photo).to_have_js_property("naturalWidth", 96)  # the small copy, loaded by its own request
    expect(page.locator(".id-photo.none")).to_have_count(2)
    screenshot(page, "dispensing-queue")
    for width, name in ((768, "dispensing-queue-768"), (390, "dispensing-queue-390")):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, name)
    page.set_viewport_size({"width": 1280, "height": 900})

    for person in people[:2]:
        page.click(f"a[aria-label='Dose {person}']")
        page.select_option("#id_lot", str(lot.pk))
        page.click("button:has-text('Give the dose')")
        expect(page.locator("body")).to_contain_text(f"Dosed: {person}")
    page.fill("#q", "W-3003")
    page.click("button:has-text('Search')")
    expect(page.locator("table.dosing-queue")).to_contain_text("On hold")
    page.goto(f"{live_server.url}/patients/{people[2].pk}/dosing/")
    page.select_option("#id_lot", str(lot.pk))
    page.click("button:has-text('Give the dose')")
    expect(page.locator(".errors").first).to_contain_text("Clinical hold set by")
    screenshot(page, "dispensing-dose-refused-hold")
    assert Administration.objects.count() == 2

    page.goto(f"{live_server.url}/patients/{patient.pk}/dosing/take-homes/")
    page.fill("#id_days", "2")
    page.select_option("#id_lot", str(lot.pk))
    page.click("button:has-text('Issue the bottles')")
    expect(page.locator("section.bottle-label")).to_have_count(2)
    expect(page.locator("section.bottle-label .qr svg")).to_have_count(2)  # each bottle id as a QR code
    screenshot(page, "dispensing-labels")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "dispensing-labels-768")
    page.set_viewport_size({"width": 1280, "height": 900})
    first = TakeHomeBottle.objects.order_by("take_on").first()
    follow_nav(page, "Dosing window")
    expect(page.locator(".queue-switch")).to_contain_text("2 dosed or with a take-home dose today")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "dispensing-queue-folded-768")  # the dosed folded into a count, the held one left
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("a:has-text('Check in a returned bottle')")
    page.fill("#id_code", first.code.lower())  # what the hand scanner types from the label's QR code
    page.select_option("#id_empty", "yes")
    page.click("button:has-text('Check in')")
    expect(page.locator("body")).to_contain_text(f"Bottle {first.code} of {patient} checked in")
    first.refresh_from_db()
    assert first.returned_by == nurse

    page.goto(f"{live_server.url}/dosing/ledger/count/")
    page.select_option("#id_lot", str(lot.pk))
    page.fill("#id_counted_mg", "9700")
    page.fill("#id_second_username", second.username)
    page.fill("#id_second_password", PASSWORD)
    expect(page.locator("main")).not_to_contain_text("9735")  # blind: the expected balance is not on the page
    screenshot(page, "dispensing-count")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "dispensing-count-768")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("button:has-text('Record the count')")  # recorded as counted: only now the expected balance shows
    expect(page.locator("body")).to_contain_text("discrepancy of -35.00 mg (expected 9735.00 mg)")
    page.fill("textarea[name=investigation_note]", "Recounted twice; pump log checked")
    page.click("button:has-text('Write the investigation note')")
    expect(page.locator("main")).to_contain_text("Recounted twice; pump log checked")
    expect(page.locator("main")).to_contain_text("Not shown to those who count")
    screenshot(page, "dispensing-ledger")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "dispensing-ledger-768")
    page.set_viewport_size({"width": 1280, "height": 900})
    follow_nav(page, "Dosing window")
    page.click("a:has-text('Reports')")
    expect(page.locator("main h2")).to_contain_text("2 given")
    screenshot(page, "dispensing-reports")
    page.click("a:has-text('Ledger by drug and lot')")
    expect(page.locator("main")).to_contain_text("Blind counts: those who may count never see")
    page.click("a:has-text('Inventory (printable)')")
    expect(page.locator("main")).to_contain_text("9700.00 on")  # the last count; the balance is the director's
    expect(page.locator("main")).not_to_contain_text("9735")
    screenshot(page, "dispensing-inventory")
    count = StockCount.objects.get()
    assert (count.expected_mg, count.counted_by, count.second_counter) == (Decimal("9735"), nurse, second)
    assert count.investigation_note == "Recounted twice; pump log checked"
