"""The assessment list writes its rows without the ModelSerializer (speed); its rows must equal the detail's."""

from decimal import Decimal

from waypoint.withdrawal import services

from .conftest import COWS_MILD, COWS_SEVERE


def test_every_row_of_the_list_is_exactly_what_the_detail_serializer_answers(patient, nurse, record, api):
    patient_admitted = patient
    plain = record(patient_admitted, hours_ago=8)
    with_vitals = record(
        patient_admitted,
        {k: v for k, v in COWS_SEVERE.items() if k != "resting_pulse"},
        hours_ago=6,
        vitals={
            "pulse_bpm": 118,
            "systolic_mmhg": 150,
            "diastolic_mmhg": 95,
            "respiratory_rate": 22,
            "temperature_c": Decimal("37.8"),
            "spo2_percent": 97,
        },
        note="Sweating <b>heavily</b>",
    )
    services.amend_assessment(
        acting_user=nurse,
        assessment=plain,
        responses=COWS_MILD | {"yawning": 2},
        reason="Yawning was missed",
        version=1,
    )
    in_error = record(patient_admitted, hours_ago=4)
    services.mark_entered_in_error(acting_user=nurse, assessment=in_error, reason="Wrong patient", version=1)
    record(patient_admitted, {"craving": 7}, hours_ago=2, instrument="craving-nrs", source="kiosk")
    client = api(nurse)
    listed = client.get(f"/api/v1/patients/{patient.pk}/assessments/?status=all&page_size=500").json()["results"]
    assert len(listed) == 5 and with_vitals.pk in {row["id"] for row in listed}
    for row in listed:
        detail = client.get(f"/api/v1/patients/{patient.pk}/assessments/{row['id']}/").json()
        assert list(row) == list(detail)
        assert row == detail
    statuses = {row["status"] for row in listed}
    assert statuses == {"final", "amended", "entered_in_error"}


def test_the_list_pages_by_cursor_with_value_rows(patient, nurse, record, api):
    for hours in range(1, 8):
        record(patient, hours_ago=hours)
    client = api(nurse)
    first = client.get(f"/api/v1/patients/{patient.pk}/assessments/?page_size=3").json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    ids = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert len(ids) == 7 == len(set(ids)) and third["next"] is None
