"""The queue at scale (a fixed number of queries whatever the number of patients; those dosed folded; paged), the
bottle id as a QR code on the label (the printed symbol is segno's for exactly that id), a returned bottle checked in
from its scanned id, and the API for guests, replacement doses, call-backs and the calendar (the pages' rules: a 400
naming the rule and nothing saved; another program's patient 404)."""

import re
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import patient_fields
from waypoint.dispensing import labels, services, views
from waypoint.dispensing.models import CallBack, ClosedDay, GuestDosing, ReplacementDose, TakeHomeBottle
from waypoint.medication.models import MedicationOrder
from waypoint.patients import services as patients

from .conftest import MORNING, order_methadone

TODAY = MORNING.date()


def more_patients(nurse, prescriber, team, program, lot, count, start):
    """`count` more patients with an order: one dosed today, one on hold, one a guest, the rest due."""
    made = []
    for n in range(start, start + count):
        person = patients.register_patient(
            acting_user=nurse,
            program=program,
            care_team=team,
            **patient_fields(mrn=f"W-{5000 + n}", given_name=f"Pat{n:02d}", family_name=f"Queue{n:02d}"),
        )
        made.append(person)
        if n % 3 == 2:
            services.accept_guest(
                acting_user=prescriber,
                patient=person,
                sending_program="Bay OTP",
                sending_contact="Kim",
                medication_code="methadone",
                dose="60",
                last_dose_on=TODAY - timedelta(days=1),
                first_day=TODAY,
                last_day=TODAY + timedelta(days=2),
            )
            continue
        order_methadone(prescriber, person)
        if n % 3 == 0:
            services.dispense(acting_user=nurse, patient=person, amount="60", lot=lot)
        else:
            services.set_hold(acting_user=nurse, patient=person, kind="clinical", reason="sedated")
    return made


def test_the_queue_page_runs_the_same_queries_for_3_and_12_patients(clock, nurse, prescriber, team, program, lot, page):
    client = page(nurse)
    url = reverse("dispensing:queue")
    more_patients(nurse, prescriber, team, program, lot, 3, 0)
    client.get(url)  # the session's first request does its own bookkeeping
    with CaptureQueriesContext(connection) as few:
        small = client.get(url)
    more_patients(nurse, prescriber, team, program, lot, 9, 3)
    with CaptureQueriesContext(connection) as many:
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    assert 'data-queue-patients="3"' in small.content.decode() and 'data-queue-patients="12"' in large.content.decode()
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    with CaptureQueriesContext(connection) as done:
        client.get(url, {"show": "done"})
    # those dosed have no hold and are no guests: their page does not ask for holds nor for guest dosings
    assert len(done) == len(few) - 2


def test_the_queue_folds_those_dosed_and_pages_those_still_to_dose(
    clock, nurse, prescriber, team, program, lot, page, monkeypatch
):
    more_patients(nurse, prescriber, team, program, lot, 6, 0)  # 2 dosed, 2 on hold, 2 guests due
    client = page(nurse)
    html = client.get(reverse("dispensing:queue")).content.decode()
    assert "2 due, 2 on hold, of 6 with a dosing order" in html
    assert "2 dosed or with a take-home dose today" in html and "?show=done" in html
    assert "Pat00 Queue00" not in html and "Pat03 Queue03" not in html  # dosed: folded
    done = client.get(reverse("dispensing:queue"), {"show": "done"}).content.decode()
    assert "Pat00 Queue00" in done and "Pat03 Queue03" in done and "Pat01 Queue01" not in done
    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 3)
    first = client.get(reverse("dispensing:queue")).content.decode()
    assert first.count('<tr class="') == 3 and "Page 1 of 2" in first and "?page=2" in first
    second = client.get(reverse("dispensing:queue"), {"page": 2}).content.decode()
    assert second.count('<tr class="') == 1 and "Pat05 Queue05" in second
    found = client.get(reverse("dispensing:queue"), {"q": "Queue03"}).content.decode()
    assert 'data-queue-patients="1"' in found and "Pat03 Queue03" in found  # searched in the database, dosed or not
    everyone = client.get(reverse("dispensing:queue"), {"show": "all", "page": 2}).content.decode()
    assert "Page 2 of 2" in everyone and everyone.count('<tr class="') == 3


def printed_modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules of segno's inline SVG as printed: its one path, row by row (`M x y`, `m dx dy`, `h n`)."""
    path = re.search(r'class="qrline"[^>]* d="([^"]+)"', svg).group(1)  # the dark modules (not the light ground)
    border = 2
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark.update((int(y - 0.5) - border, int(x) + i - border) for i in range(int(float(a))))
            x += float(a)
    return dark


def matrix_modules(qr) -> set[tuple[int, int]]:
    return {(r, c) for r, row in enumerate(qr.matrix) for c, value in enumerate(row) if value}


def test_each_label_prints_its_bottle_id_as_a_qr_code_of_that_id(clock, prescriber, nurse, patient, order, lot, page):
    services.record_safe_storage(acting_user=nurse, patient=patient)
    services.sign_take_home_decision(
        acting_user=prescriber, patient=patient, days=2, criteria=dict.fromkeys(services.CRITERIA, True), basis="ok"
    )
    bottles = services.issue_bottles(
        acting_user=nurse, patient=patient, days=[TODAY + timedelta(days=1), TODAY + timedelta(days=2)], lot=lot
    )
    sheet = page(nurse).get(reverse("dispensing:labels", args=[patient.pk])).content.decode()
    for bottle in bottles:
        block = re.search(rf'<div class="qr" data-bottle="{bottle.code}">(<svg.*?</svg>)</div>', sheet, re.S)
        assert block, bottle.code
        qr = labels.bottle_qr(bottle.code)
        assert qr.mode == "alphanumeric" and qr.error in ("M", "Q", "H")  # the id alone, at least level M
        assert printed_modules(block.group(1)) == matrix_modules(qr)  # the symbol printed encodes exactly the id
        assert f"<title>Bottle {bottle.code}</title>" in block.group(1)
    other = labels.bottle_qr(bottles[0].code[:-1] + ("0" if bottles[0].code[-1] != "0" else "1"))
    assert matrix_modules(other) != matrix_modules(labels.bottle_qr(bottles[0].code))


def test_a_returned_bottle_is_checked_in_from_its_scanned_id(
    clock, prescriber, nurse, patient, order, lot, page, api, north_nurse
):
    services.record_safe_storage(acting_user=nurse, patient=patient)
    services.sign_take_home_decision(
        acting_user=prescriber, patient=patient, days=2, criteria=dict.fromkeys(services.CRITERIA, True), basis="ok"
    )
    first, second = services.issue_bottles(
        acting_user=nurse, patient=patient, days=[TODAY + timedelta(days=1), TODAY + timedelta(days=2)], lot=lot
    )
    client = page(nurse)
    url = reverse("dispensing:bottle-scan")
    assert "autofocus" in client.get(url).content.decode()
    scanned = client.post(url, {"code": f" {first.code.lower()} ", "empty": "yes", "note": ""})
    assert scanned.status_code == 302
    first.refresh_from_db()
    assert first.returned_by == nurse and first.returned_empty is True
    again = client.post(url, {"code": first.code, "empty": "yes", "note": ""})
    assert again.status_code == 400 and "already checked in" in again.content.decode()
    unknown = client.post(url, {"code": "BNOSUCH", "empty": "yes", "note": ""})
    assert unknown.status_code == 400 and "No take-home bottle BNOSUCH" in unknown.content.decode()
    other = api(north_nurse).post("/api/v1/dosing/bottles/return/", {"code": second.code, "empty": True}, format="json")
    assert other.status_code == 400 and list(other.json()) == ["code"]  # another program's bottle: not found here
    not_empty = api(nurse).post("/api/v1/dosing/bottles/return/", {"code": second.code, "empty": False}, format="json")
    assert not_empty.status_code == 400 and list(not_empty.json()) == ["note"]
    second.refresh_from_db()
    assert second.returned_at is None
    done = api(nurse).post("/api/v1/dosing/bottles/return/", {"code": second.code, "empty": True}, format="json")
    assert done.status_code == 200 and done.json()["bottle"] == second.code and done.json()["empty"] is True


def test_a_guest_over_the_api(clock, nurse, prescriber, patient, api, north_nurse):
    url = f"/api/v1/patients/{patient.pk}/dosing/guests/"
    body = {
        "sending_program": "Bay OTP",
        "sending_contact": "Nurse Kim",
        "medication": "methadone",
        "dose": "70",
        "last_dose_on": str(TODAY - timedelta(days=1)),
        "first_day": str(TODAY),
        "last_day": str(TODAY + timedelta(days=3)),
    }
    late = api(prescriber).post(url, body | {"last_dose_on": str(TODAY)}, format="json")
    assert late.status_code == 400 and list(late.json()) == ["last_dose_on"]
    assert api(nurse).post(url, body, format="json").status_code == 403  # a prescriber accepts a guest
    assert not GuestDosing.objects.exists() and not MedicationOrder.objects.exists()
    assert api(north_nurse).post(url, body, format="json").status_code == 404
    made = api(prescriber).post(url, body, format="json")
    assert made.status_code == 201 and made.json()["sending_program"] == "Bay OTP"
    listed = api(nurse).get(url).json()
    assert [g["last_day"] for g in listed] == [str(TODAY + timedelta(days=3))]
    assert api(north_nurse).get(url).status_code == 404


def test_a_replacement_dose_over_the_api(clock, nurse, patient, order, lot, api, north_nurse):
    url = f"/api/v1/patients/{patient.pk}/dosing/replacements/"
    body = {"reason": "spill", "note": "Cup knocked over", "amount": "60", "lot": lot.pk}
    early = api(nurse).post(url, body, format="json")
    assert early.status_code == 400 and list(early.json()) == ["reason"]  # no dose given today to replace
    assert not ReplacementDose.objects.exists()
    services.dispense(acting_user=nurse, patient=patient, amount="60", lot=lot)
    wrong = api(nurse).post(url, body | {"second_username": "nurse", "second_password": "wrong"}, format="json")
    assert wrong.status_code == 400 and list(wrong.json()) == ["second_signer"]
    assert api(north_nurse).post(url, body, format="json").status_code == 404
    given = api(nurse).post(url, body, format="json")
    assert given.status_code == 201 and given.json()["amount"] == "60.00" and given.json()["reason"] == "spill"
    again = api(nurse).post(url, body, format="json")
    assert again.status_code == 400 and "already replaced" in again.json()["reason"][0]
    assert ReplacementDose.objects.count() == 1 and services.balance(lot) == Decimal("9880")
    assert len(api(nurse).get(url).json()) == 1


def test_call_backs_over_the_api(clock, nurse, prescriber, patient, order, lot, educated, api, north_nurse):
    url = f"/api/v1/patients/{patient.pk}/dosing/call-backs/"
    none_out = api(nurse).post(url, {"due_on": str(TODAY)}, format="json")
    assert none_out.status_code == 400 and "no take-home bottles out" in none_out.json()["due_on"][0]
    services.sign_take_home_decision(
        acting_user=prescriber, patient=patient, days=1, criteria=dict.fromkeys(services.CRITERIA, True), basis="ok"
    )
    services.issue_bottles(acting_user=nurse, patient=patient, days=[TODAY + timedelta(days=1)], lot=lot)
    past = api(nurse).post(url, {"due_on": str(TODAY - timedelta(days=1))}, format="json")
    assert past.status_code == 400 and list(past.json()) == ["due_on"] and not CallBack.objects.exists()
    assert api(north_nurse).post(url, {"due_on": str(TODAY)}, format="json").status_code == 404
    made = api(nurse).post(url, {"due_on": str(TODAY)}, format="json")
    assert made.status_code == 201 and len(made.json()["bottles_out"]) == 1
    result = f"{url}{made.json()['id']}/"
    silent = api(nurse).post(result, {"brought_back": False}, format="json")
    assert silent.status_code == 400 and list(silent.json()) == ["note"]
    assert api(north_nurse).post(result, {"brought_back": True}, format="json").status_code == 404
    recorded = api(nurse).post(result, {"brought_back": True}, format="json")
    assert recorded.status_code == 200 and recorded.json()["brought_back"] is True
    twice = api(nurse).post(result, {"brought_back": True}, format="json")
    assert twice.status_code == 400 and list(twice.json()) == ["call_back"]
    listed = api(nurse).get("/api/v1/dosing/call-backs/").json()
    assert [c["patient"] for c in listed] == [patient.pk]
    drawn = api(nurse).post("/api/v1/dosing/call-backs/", {"due_on": str(TODAY), "count": 0}, format="json")
    assert drawn.status_code == 400 and list(drawn.json()) == ["count"]


def test_the_calendar_over_the_api(clock, nurse, prescriber, program, patient, order, lot, educated, api, north_nurse):
    url = "/api/v1/dosing/calendar/"
    past = api(nurse).post(url, {"day": str(TODAY - timedelta(days=1)), "kind": "holiday", "name": "x"}, format="json")
    assert past.status_code == 400 and list(past.json()) == ["day"]
    unnamed = api(nurse).post(
        url, {"day": str(TODAY + timedelta(days=1)), "kind": "holiday", "name": ""}, format="json"
    )
    assert unnamed.status_code == 400 and list(unnamed.json()) == ["name"] and not ClosedDay.objects.exists()
    assert api(north_nurse).get(url, {"program": program.slug}).status_code == 404
    added = api(nurse).post(
        url, {"day": str(TODAY + timedelta(days=1)), "kind": "closure", "name": "Staff training"}, format="json"
    )
    assert added.status_code == 201
    calendar = api(nurse).get(url).json()
    assert calendar["closed"] == [{"day": str(TODAY + timedelta(days=1)), "why": "Staff training"}]
    assert calendar["next_closed_run"] == [str(TODAY + timedelta(days=1))]
    bottles = api(nurse).post(f"{url}bottles/", {"lots": [lot.pk]}, format="json").json()
    assert bottles["issued"] == [] and bottles["refused"][0]["patient"] == patient.pk  # no signed decision yet
    services.sign_take_home_decision(
        acting_user=prescriber, patient=patient, days=1, criteria=dict.fromkeys(services.CRITERIA, True), basis="ok"
    )
    bottles = api(nurse).post(f"{url}bottles/", {"lots": [lot.pk]}, format="json").json()
    assert bottles["refused"] == [] and len(bottles["issued"][0]["bottles"]) == 1
    assert TakeHomeBottle.objects.get().take_on == TODAY + timedelta(days=1)
