"""The comfort-medication pages: the dose form shows the limits and what is left, refuses with the rule named; the
MAR holds comfort and MOUD doses; the follow-up is recorded from its link; the chart shows what is due."""

from datetime import timedelta

from django.utils import timezone

from waypoint.comfort.models import Dose


def local(at, patient):
    return timezone.localtime(at, timezone=patient.program.tz).strftime("%Y-%m-%dT%H:%M")


def test_the_dose_form_shows_limits_and_refuses_inside_the_interval(page, nurse, patient, order, line, give):
    now = timezone.now().replace(second=0, microsecond=0)
    give("loperamide", now - timedelta(minutes=30), "2")
    client = page(nurse)
    html = client.get(f"/patients/{patient.pk}/comfort/give/?symptom=diarrhea").content.decode()
    assert "Loperamide for diarrhea" in html
    assert "6 of 8 mg" in html  # what is left of the 24-hour maximum
    next_at = timezone.localtime(now + timedelta(minutes=90), timezone=patient.program.tz).strftime("%H:%M")
    assert f"at {next_at}" in html
    response = client.post(
        f"/patients/{patient.pk}/comfort/give/?symptom=diarrhea",
        {"line": line("loperamide").pk, "status": "given", "dose": "2", "at": local(now, patient)},
    )
    assert response.status_code == 200
    assert "Too soon: loperamide was given at" in response.content.decode()
    assert Dose.objects.count() == 1


def test_a_dose_given_on_the_page_lands_on_the_mar(page, nurse, patient, order, line):
    at = timezone.now() - timedelta(minutes=5)
    response = page(nurse).post(
        f"/patients/{patient.pk}/comfort/give/",
        {"line": line("loperamide").pk, "status": "given", "dose": "2", "at": local(at, patient)},
        follow=True,
    )
    html = response.content.decode()
    assert "Given: loperamide 2 mg PO." in html
    assert "Medication administration record" in html and "2 mg given" in html


def test_the_follow_up_link_records_the_outcome(page, nurse, patient, order, give):
    dose = give("loperamide", timezone.now() - timedelta(minutes=90), "2")
    client = page(nurse)
    chart = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "overdue since" in chart and f"/comfort/doses/{dose.pk}/follow-up/" in chart
    response = client.post(f"/patients/{patient.pk}/comfort/doses/{dose.pk}/follow-up/", {"outcome": "eased"})
    assert response.status_code == 302
    dose.refresh_from_db()
    assert dose.follow_up_outcome == "eased"


def test_the_mar_says_demo_for_a_demo_protocol(page, nurse, patient, prescriber, program, admitted):
    from waypoint.comfort import services

    from .conftest import ENTRIES

    demo = services.sign_protocol(acting_user=prescriber, program=program, title="Demo", entries=ENTRIES, is_demo=True)
    services.activate_order(acting_user=prescriber, patient=patient, entries={demo.entries.first().pk: {}})
    html = page(nurse).get(f"/patients/{patient.pk}/comfort/?view=72h").content.decode()
    assert "demo — not clinical guidance" in html
    assert page(nurse).get(f"/patients/{patient.pk}/comfort/?view=week").status_code == 404


def test_the_board_shows_the_follow_up_due_and_the_last_doses(page, nurse, patient, order, give):
    dose = give("loperamide", timezone.now() - timedelta(minutes=90), "2")
    html = page(nurse).get("/withdrawal/board/").content.decode()
    assert "Follow-up of loperamide 2 mg PO overdue since" in html
    assert f"/patients/{patient.pk}/comfort/doses/{dose.pk}/follow-up/" in html
    assert "Comfort dose: loperamide 2 mg PO at" in html


def test_the_api_gives_a_dose_and_refuses_the_next_with_400_naming_the_rule(api, nurse, patient, order, line):
    url = f"/api/v1/patients/{patient.pk}/comfort-doses/"
    at = timezone.now() - timedelta(minutes=10)
    body = {"line": line("loperamide").pk, "dose": "2", "at": at.isoformat()}
    created = api(nurse).post(url, body, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["medication"], created.json()["protocol_version"]) == ("loperamide 2 mg PO", 1)
    refused = api(nurse).post(url, body | {"at": (at + timedelta(minutes=5)).isoformat()}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()) == ["interval"]
    assert Dose.objects.count() == 1
    held = api(nurse).post(
        url, {"line": line("clonidine").pk, "status": "held", "reason": "asleep", "at": at.isoformat()}, format="json"
    )
    assert held.status_code == 201 and held.json()["status"] == "held"
    listed = api(nurse).get(url).json()
    assert [d["status"] for d in listed] == ["held", "given"]  # newest first (same time: the later record)
    follow = api(nurse).post(f"{url}{created.json()['id']}/follow-up/", {"outcome": "worse"}, format="json")
    assert follow.status_code == 200 and follow.json()["follow_up_outcome"] == "worse"


def test_the_72_hour_view_holds_a_dose_of_two_days_ago_and_prints(page, nurse, patient, order, give):
    give("loperamide", timezone.now() - timedelta(hours=40), "2")
    day_view = page(nurse).get(f"/patients/{patient.pk}/comfort/").content.decode()
    html = page(nurse).get(f"/patients/{patient.pk}/comfort/?view=72h").content.decode()
    assert "Last 72 hours" in html and "2 mg given" in html
    assert "2 mg given" not in day_view.split("Comfort-medication doses")[0]  # not today's grid
    assert "Print this 72-hour view" in html and 'class="mar"' in html


def test_the_flowsheet_chart_marks_a_prn_dose_beside_the_cows_line(page, nurse, patient, order, give):
    from waypoint.scales import get_instrument
    from waypoint.withdrawal import services as withdrawal

    taken = timezone.now() - timedelta(hours=3)
    withdrawal.record_assessment(
        acting_user=nurse, patient=patient, instrument="cows",
        responses=dict.fromkeys((k for k in get_instrument("cows").keys if k != "resting_pulse"), 0),
        vitals={"pulse_bpm": 80}, taken_at=taken,
    )  # fmt: skip
    give("loperamide", timezone.now() - timedelta(hours=2), "2")
    html = page(nurse).get(f"/patients/{patient.pk}/withdrawal/").content.decode()
    assert 'class="dose prn"' in html and "PRN loperamide 2 mg PO" in html
    assert "As-needed comfort dose" in html  # its legend
