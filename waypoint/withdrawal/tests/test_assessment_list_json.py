"""The assessment list writes its rows without the ModelSerializer (speed); its rows must equal the detail's."""

from decimal import Decimal

from rest_framework.renderers import JSONRenderer

from waypoint.audit.models import AuditEvent
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


def test_the_list_is_written_compact_with_its_json_columns_embedded_as_stored(patient, nurse, record, api):
    """`responses` and `derived` are read as the database's text and embedded without decoding: the bytes are still
    exactly what DRF's JSONRenderer writes for the decoded values (no space left over from the stored text)."""
    record(patient, {k: v for k, v in COWS_SEVERE.items() if k != "resting_pulse"}, vitals={"pulse_bpm": 118})
    record(patient, hours_ago=3)
    response = api(nurse).get(f"/api/v1/patients/{patient.pk}/assessments/")
    rows = response.json()["results"]
    assert [row["derived"] for row in rows] == [["resting_pulse"], []]
    assert "resting_pulse" in rows[0]["responses"]  # scored from the measured pulse
    assert response.content == JSONRenderer().render(response.json())


def test_a_patient_the_user_may_not_see_is_not_found_whatever_is_asked(
    patient, nurse, counselor_off_team, north_patient, record, api
):
    record(patient, hours_ago=2)
    off_team = api(counselor_off_team)
    for query in ("", "?status=all", "?instrument=nope", "?since=yesterday", "?cursor=broken"):
        assert off_team.get(f"/api/v1/patients/{patient.pk}/assessments/{query}").status_code == 404, query
        assert api(nurse).get(f"/api/v1/patients/{north_patient.pk}/assessments/{query}").status_code == 404, query
    assert api(nurse).get(f"/api/v1/patients/{patient.pk}/assessments/?instrument=nope").status_code == 400


def test_a_visible_patient_without_scores_is_an_empty_page_and_the_read_is_audited(patient, nurse, api):
    answer = api(nurse).get(f"/api/v1/patients/{patient.pk}/assessments/")
    assert answer.status_code == 200 and answer.json()["results"] == []
    event = AuditEvent.objects.filter(action="assessment.list").latest("id")
    assert (event.patient_id, event.program_id, event.actor_id, event.detail) == (
        patient.pk,
        patient.program_id,
        nurse.pk,
        {"count": 0},
    )
