"""The MOUD pages and API give the same refusals, keyed by the same fields; the progress page gathers cravings,
drug screens and MOUD from their areas' registered sections."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from tests.conftest import COWS
from waypoint.accounts import program_settings
from waypoint.drug_screens import services as drug_screens
from waypoint.medication import services
from waypoint.medication.models import Administration
from waypoint.withdrawal import services as withdrawal

NOW = timezone.now


def local(patient, at):
    return timezone.localtime(at, timezone=patient.program.tz).strftime("%Y-%m-%dT%H:%M")


def bup(prescriber, patient, phase="induction", **extra):
    return services.order_medication(
        acting_user=prescriber,
        patient=patient,
        medication="buprenorphine",
        dose=Decimal("4"),
        route="sublingual",
        times_per_day=12,
        frequency="as needed",
        phase=phase,
        start_at=NOW() - timedelta(hours=6),
        **extra,
    )


def test_the_api_refuses_a_dose_without_an_active_order_naming_order(api, nurse, admitted):
    url = f"/api/v1/patients/{admitted.patient.pk}/moud-administrations/"
    response = api(nurse).post(url, {"status": "given", "dose": "4", "at": NOW().isoformat()}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["order"]
    assert "a prescriber must order the medication first" in response.json()["order"][0]


def test_the_api_refuses_a_dose_above_the_ceiling_naming_dose(api, nurse, prescriber, admitted):
    patient = admitted.patient
    made = bup(prescriber, patient, phase="maintenance")
    program_settings.change(patient.program, "medication.max_daily_mg.buprenorphine", 6, acting_user=prescriber)
    url = f"/api/v1/patients/{patient.pk}/moud-administrations/"
    first = api(nurse).post(
        url,
        {"order": made.pk, "status": "given", "dose": "4", "at": (NOW() - timedelta(hours=1)).isoformat()},
        format="json",
    )
    assert first.status_code == 201 and first.json()["given_by"] == "nurse"
    second = api(nurse).post(
        url, {"order": made.pk, "status": "given", "dose": "4", "at": NOW().isoformat()}, format="json"
    )
    assert (
        second.status_code == 400
        and "program setting “Buprenorphine 24-hour ceiling (mg)”: 6" in second.json()["dose"][0]
    )
    assert Administration.objects.count() == 1


def test_only_a_prescriber_orders_through_the_api_and_unknown_fields_are_refused(api, nurse, prescriber, admitted):
    url = f"/api/v1/patients/{admitted.patient.pk}/moud-orders/"
    body = {
        "medication": "methadone",
        "dose": "30",
        "route": "oral",
        "times_per_day": 1,
        "start_at": NOW().isoformat(),
    }
    assert api(nurse).post(url, body, format="json").status_code == 403
    assert api(prescriber).post(url, body | {"strength": "x"}, format="json").json() == {"strength": ["Unknown field."]}
    made = api(prescriber).post(url, body, format="json")
    assert made.status_code == 201 and made.json()["label"] == "methadone 30 mg PO"
    stop = api(prescriber).post(
        f"{url}{made.json()['id']}/stop/", {"stop_at": NOW().isoformat(), "reason": ""}, format="json"
    )
    assert stop.status_code == 400


def test_the_page_shows_the_cows_before_and_after_each_induction_dose(page, nurse, prescriber, admitted):
    patient = admitted.patient
    now = NOW().replace(second=0, microsecond=0)
    made = bup(prescriber, patient)
    withdrawal.record_assessment(
        acting_user=nurse,
        patient=patient,
        instrument="cows",
        responses=COWS | {"gooseflesh": 5},
        taken_at=now - timedelta(hours=3),
    )
    response = page(nurse).post(
        f"/patients/{patient.pk}/medication/administer/",
        {"order": made.pk, "status": "given", "dose": "4", "at": local(patient, now - timedelta(hours=2, minutes=30))},
    )
    assert response.status_code == 302
    withdrawal.record_assessment(
        acting_user=nurse, patient=patient, instrument="cows", responses=COWS, taken_at=now - timedelta(hours=1)
    )
    html = page(nurse).get(f"/patients/{patient.pk}/medication/").content.decode()
    assert "Induction: COWS before and after each dose" in html
    assert "<strong>14</strong>" in html and "(30 min before" in html and "<strong>9</strong>" in html
    assert "(1 h 30 min after" in html and "<td>-5</td>" in html
    assert 'class="trend-chart"' in html and "buprenorphine 4 mg SL" in html


def test_the_page_puts_the_no_active_order_message_next_to_the_order(page, nurse, prescriber, admitted):
    patient = admitted.patient
    made = bup(prescriber, patient)
    response = page(nurse).post(
        f"/patients/{patient.pk}/medication/administer/",
        {"order": made.pk, "status": "given", "dose": "4", "at": local(patient, NOW() - timedelta(hours=8))},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["order"][0].startswith("No active order at")


def test_the_progress_page_gathers_cravings_screens_and_moud(page, nurse, prescriber, admitted):
    patient = admitted.patient
    bup(prescriber, patient)
    withdrawal.record_assessment(
        acting_user=nurse,
        patient=patient,
        instrument="craving-nrs",
        responses={"craving": 7},
        taken_at=NOW() - timedelta(hours=2),
    )
    drug_screens.record_screen(
        acting_user=nurse,
        patient=patient,
        collected_at=NOW() - timedelta(hours=1),
        observed=True,
        results={"buprenorphine": "positive", "cocaine": "positive"},
    )
    html = page(nurse).get(f"/patients/{patient.pk}/progress/").content.decode()
    sections = [
        html.index(name) for name in ('aria-label="Cravings"', 'aria-label="Drug screens"', 'aria-label="MOUD"')
    ]
    assert sections == sorted(sections)
    assert "<td>7</td>" in html and '<strong class="unexpected">Cocaine</strong>' in html
    assert "Buprenorphine (expected)" in html and "1 of 1 screen shown with an unexpected positive" in html
