"""The dosing reports: the daily report counts each patient once (given, take-home, held, missed, not yet), the
missed-dose list counts consecutive days back from yesterday, the ledger by lot sums each kind of movement to the
balance, CSV like the pages, and the inventory prints every lot's derived balance; constant queries."""

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import patient_fields
from waypoint.dispensing import reports, services
from waypoint.patients import services as patients
from waypoint.patients.access import visible_patients

from .conftest import MORNING, order_methadone


def another(nurse, program, team, prescriber, mrn, given):
    person = patients.register_patient(
        acting_user=nurse, program=program, care_team=team, **patient_fields(mrn=mrn, given_name=given)
    )
    order_methadone(prescriber, person)
    return person


def test_the_daily_report_and_the_missed_list(clock, nurse, prescriber, program, team, patient, order, lot, educated):
    held = another(nurse, program, team, prescriber, "W-2002", "Sam")
    home = another(nurse, program, team, prescriber, "W-3003", "Lee")
    absent = another(nurse, program, team, prescriber, "W-4004", "Ana")
    yesterday = MORNING - timedelta(days=1)
    for person in (patient, held, home):
        services.dispense(acting_user=nurse, patient=person, amount="60", lot=lot, at=yesterday)
    services.sign_take_home_decision(
        acting_user=prescriber, patient=home, days=1, criteria=dict.fromkeys(services.CRITERIA, True), basis="ok"
    )
    services.record_safe_storage(acting_user=nurse, patient=home)
    services.issue_bottles(acting_user=nurse, patient=home, days=[MORNING.date() + timedelta(days=1)], lot=lot)
    services.set_hold(acting_user=nurse, patient=held, kind="clinical", reason="BAC 0.05")
    services.dispense(acting_user=nurse, patient=patient, amount="60", lot=lot)

    rows = reports.daily(program, visible_patients(nurse, program), MORNING.date())
    assert {r.patient.given_name: r.status for r in rows} == {
        "Maria": "Given",
        "Sam": "Held",
        "Lee": "Not yet",
        "Ana": "Not yet",
    }
    past = reports.totals(reports.daily(program, visible_patients(nurse, program), yesterday.date()))
    assert past == {"Given": 3, "Take-home": 0, "Held": 0, "Missed": 1, "Not yet": 0}
    tomorrow = reports.daily(program, visible_patients(nurse, program), MORNING.date() + timedelta(days=1))
    assert {r.patient.given_name: r.status for r in tomorrow}["Lee"] == "Take-home"

    missed = reports.missed(program, visible_patients(nurse, program))
    assert [(r.patient, r.days) for r in missed] == [(absent, 20)]  # its order began 20 days ago, never dosed


def test_the_director_reads_the_daily_report_and_the_missed_doses_and_finds_them_in_the_bar(
    clock, nurse, director, counselor_off_team, prescriber, program, team, patient, order, lot, page
):
    """The director oversees the dosing window without dosing: the daily report and the missed-dose list (every
    patient of the program), reached from the navigation bar; a counselor, who neither doses nor oversees, is
    refused."""
    absent = another(nurse, program, team, prescriber, "W-4004", "Ana")
    services.dispense(acting_user=nurse, patient=patient, amount="60", lot=lot)
    director_page = page(director)
    daily = director_page.get(reverse("dispensing:reports"), {"report": "daily"}).content.decode()
    assert "Maria Rivera" in daily and "Ana Rivera" in daily and "Given" in daily
    missed = director_page.get(reverse("dispensing:reports"), {"report": "missed", "format": "csv"}).content.decode()
    assert missed.splitlines()[0].startswith("MRN,patient") and f"{absent.mrn},Ana Rivera ({absent.mrn})" in missed
    assert reverse("dispensing:reports") in director_page.get(reverse("outcomes:dashboard")).content.decode()
    assert page(counselor_off_team).get(reverse("dispensing:reports"), {"report": "daily"}).status_code == 403


def test_the_ledger_by_lot_sums_each_movement_to_the_balance_and_the_csv_matches(
    clock, nurse, second_nurse, director, program, patient, order, lot, page
):
    services.dispense(acting_user=nurse, patient=patient, amount="60", lot=lot)
    services.record_outflow(
        acting_user=nurse, lot=lot, kind="waste", quantity_mg="5", witness=second_nurse, note="dropped cup"
    )
    [line] = reports.ledger_by_lot(program)
    assert line.by_kind["receipt"] == Decimal("10000.00") and line.by_kind["observed"] == Decimal("-60.00")
    assert line.balance == services.balance(lot) == Decimal("9935.00")
    csv = page(director).get(reverse("dispensing:reports"), {"report": "ledger", "format": "csv"}).content.decode()
    assert "9935.00" in csv and csv.splitlines()[0].startswith("medication,strength,lot,Receipt")
    inventory = page(director).get(reverse("dispensing:inventory")).content.decode()
    assert "A123" in inventory and "9935.00" in inventory and "Witness" in inventory
    # those who count get the lots without the balance or the sums it is made of (blind counts)
    csv = page(nurse).get(reverse("dispensing:reports"), {"report": "ledger", "format": "csv"}).content.decode()
    assert csv.splitlines() == ["medication,strength,lot", "Methadone,10 mg/mL,A123"]
    inventory = page(nurse).get(reverse("dispensing:inventory")).content.decode()
    assert "A123" in inventory and "9935.00" not in inventory and "Ledger balance" not in inventory


def test_the_daily_report_page_and_csv_run_the_same_queries_for_1_and_4_patients(
    clock, nurse, prescriber, program, team, patient, order, lot, page
):
    client = page(nurse)
    url = reverse("dispensing:reports")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, {"report": "daily"}).status_code == 200
            client.get(url, {"report": "missed"})
        return len(captured)

    one = queries()
    for n, name in enumerate(("Sam", "Lee", "Ana")):
        another(nurse, program, team, prescriber, f"W-7{n}0{n}", name)
    assert queries() == one
    csv = client.get(url, {"report": "daily", "format": "csv"}).content.decode()
    assert csv.count("\n") == 5 and "Not yet" in csv
    assert client.get(url, {"report": "daily", "day": "10/03"}).status_code == 400
