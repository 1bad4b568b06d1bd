"""CIWA-Ar severity bands are the program's own (the reference publishes no single standard): entered with their
source, stored on each assessment when it is recorded, never relabelled by a later change; without bands the total
stands alone with "no bands set by the program". CIWA-Ar on the board: a column while a nurse or prescriber has
turned it on for a patient (audited), with the latest total, its band and the next one due."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from waypoint.accounts import program_settings
from waypoint.patients.access import visible_patients
from waypoint.privacy.models import AuditEvent
from waypoint.withdrawal import board, services
from waypoint.withdrawal.models import Assessment, CiwaArMonitoring

from .test_ciwa_ar import CIWA_12

BANDS = {
    "source": "Riverside alcohol withdrawal protocol, 2026 (test values)",
    "bands": [{"from": 0, "label": "minimal"}, {"from": 10, "label": "moderate"}, {"from": 20, "label": "severe"}],
}
KEY = "withdrawal.ciwa_ar_bands"


def ciwa(total_from=CIWA_12, **changes):
    return total_from | changes


def test_without_bands_the_total_is_stored_alone_and_said_to_have_no_bands(record, patient):
    assessment = record(patient, responses=CIWA_12, instrument="ciwa-ar")
    assert (assessment.total, assessment.severity, assessment.band_label) == (12, "", "")
    assert assessment.band_words == "no bands set by the program"


@pytest.mark.parametrize(("total_change", "label"), [({}, "moderate"), ({"tremor": 0}, "minimal")])
def test_the_programs_band_and_its_source_are_stored_at_record_time(
    record, nurse, program, patient, total_change, label
):
    program_settings.change(program, KEY, BANDS, acting_user=nurse)
    assessment = record(patient, responses=ciwa(**total_change), instrument="ciwa-ar")
    assert assessment.band_label == label and assessment.band_source == BANDS["source"]
    assert assessment.severity_label == label
    assert assessment.band_words == f"{label} (program bands: {BANDS['source']})"


def test_a_band_starts_exactly_at_its_lower_bound(record, nurse, program, patient):
    program_settings.change(program, KEY, BANDS, acting_user=nurse)
    nine = record(patient, responses=ciwa(tremor=0), instrument="ciwa-ar")  # 12 - 3 = 9
    ten = record(patient, responses=ciwa(tremor=1), instrument="ciwa-ar")  # 10
    assert (nine.total, nine.band_label, ten.total, ten.band_label) == (9, "minimal", 10, "moderate")


def test_a_later_change_of_the_bands_never_relabels_earlier_assessments(record, nurse, program, patient, page):
    program_settings.change(program, KEY, BANDS, acting_user=nurse)
    earlier = record(patient, responses=CIWA_12, instrument="ciwa-ar", hours_ago=2)
    changed = {
        "source": "Revised protocol (test values)",
        "bands": [{"from": 0, "label": "low"}, {"from": 8, "label": "high"}],
    }
    program_settings.change(program, KEY, changed, acting_user=nurse)
    later = record(patient, responses=CIWA_12, instrument="ciwa-ar")
    earlier.refresh_from_db()
    assert (earlier.band_label, earlier.band_source) == ("moderate", BANDS["source"])
    assert (later.band_label, later.band_source) == ("high", "Revised protocol (test values)")
    program_settings.change(program, KEY, None, acting_user=nurse)
    earlier.refresh_from_db()
    assert earlier.band_label == "moderate"
    html = page(nurse).get(f"/patients/{patient.pk}/withdrawal/").content.decode()
    assert "program bands: Riverside alcohol withdrawal protocol, 2026 (test values)" in html
    assert "program bands: Revised protocol (test values)" in html


def test_the_api_gives_the_stored_band_and_its_source(api, nurse, program, admitted, patient):
    program_settings.change(program, KEY, BANDS, acting_user=nurse)
    url = f"/api/v1/patients/{patient.pk}/assessments/"
    at = (timezone.now() - timedelta(minutes=5)).isoformat()
    created = api(nurse).post(url, {"instrument": "ciwa-ar", "taken_at": at, "responses": CIWA_12}, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["severity_label"], created.json()["band_source"]) == ("moderate", BANDS["source"])
    (listed,) = api(nurse).get(url).json()["results"]
    assert (listed["severity_label"], listed["band_source"]) == ("moderate", BANDS["source"])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"bands": BANDS["bands"]}, "Give the source and the bands"),
        ({"source": " ", "bands": BANDS["bands"]}, "Name the source"),
        ({"source": "x", "bands": [{"from": 5, "label": "mild"}]}, "The first band starts at 0"),
        ({"source": "x", "bands": [{"from": 0, "label": "a"}, {"from": 0, "label": "b"}]}, "above the one before"),
        ({"source": "x", "bands": [{"from": 0, "label": "a"}, {"from": 68, "label": "b"}]}, "from 0 to 67"),
        ({"source": "x", "bands": [{"from": 0, "label": ""}]}, "has a label"),
        ({"source": "x", "bands": [{"from": 0.5, "label": "a"}]}, "whole-number"),
        ([0, 10, 20], "Give the source and the bands"),
    ],
)
def test_bands_without_a_source_or_out_of_order_are_refused(nurse, program, value, message):
    with pytest.raises(ValidationError) as error:
        program_settings.change(program, KEY, value, acting_user=nurse)
    assert message in str(error.value)


def test_the_setting_reads_in_words():
    setting = program_settings.REGISTRY[KEY]
    assert setting.words == "CIWA-Ar severity bands" and setting.default is None


# The board's CIWA-Ar column


def test_a_nurse_turns_ciwa_ar_on_with_a_reason_audited_and_off_again(nurse, admitted, patient):
    with pytest.raises(ValidationError) as error:
        services.start_ciwa_ar(acting_user=nurse, patient=patient, reason=" ")
    assert "reason" in error.value.message_dict and not CiwaArMonitoring.objects.exists()
    monitoring = services.start_ciwa_ar(acting_user=nurse, patient=patient, reason="alcohol co-use: assess CIWA-Ar")
    assert AuditEvent.objects.filter(action="ciwa_ar.monitoring.start", object_id=str(monitoring.pk)).exists()
    with pytest.raises(ValidationError):
        services.start_ciwa_ar(acting_user=nurse, patient=patient, reason="again")
    services.stop_ciwa_ar(acting_user=nurse, patient=patient, reason="no alcohol use on reassessment")
    assert AuditEvent.objects.filter(action="ciwa_ar.monitoring.stop").exists()
    assert services.ciwa_ar_monitoring(patient) is None


def test_a_counselor_may_not_turn_ciwa_ar_on(program, team, patient, admitted):
    from django.core.exceptions import PermissionDenied

    from conftest import make_user
    from waypoint.accounts.roles import Role

    counselor = make_user("team-counselor", program, Role.COUNSELOR, team)
    with pytest.raises(PermissionDenied):
        services.start_ciwa_ar(acting_user=counselor, patient=patient, reason="alcohol co-use")
    assert not CiwaArMonitoring.objects.exists()


def test_the_board_shows_the_column_only_while_ciwa_ar_is_turned_on(page, nurse, program, admitted, patient, record):
    client = page(nurse)
    assert "CIWA-Ar" not in client.get("/withdrawal/board/").content.decode()
    response = client.post(f"/patients/{patient.pk}/withdrawal/ciwa-ar/", {"reason": "alcohol co-use: assess CIWA-Ar"})
    assert response.status_code == 302
    [row] = board.build(program, visible_patients(nurse, program))
    assert row.ciwa is not None and row.ciwa.total is None and row.ciwa.overdue  # the baseline is due at once
    html = client.get("/withdrawal/board/").content.decode()
    assert "<th>CIWA-Ar</th>" in html and "Score CIWA-Ar" in html and "alcohol co-use: assess CIWA-Ar" in html


def test_the_column_gives_latest_total_band_and_next_due(nurse, program, admitted, patient, record, page):
    services.start_ciwa_ar(acting_user=nurse, patient=patient, reason="alcohol co-use")
    CiwaArMonitoring.objects.update(started_at=timezone.now() - timedelta(hours=3))
    latest = record(patient, responses=CIWA_12, instrument="ciwa-ar", hours_ago=1)
    [row] = board.build(program, visible_patients(nurse, program))
    assert (row.ciwa.total, row.ciwa.band_text) == (12, "no bands set by the program")
    assert row.ciwa.next_due == latest.taken_at + timedelta(hours=4) and not row.ciwa.overdue  # the COWS interval
    program_settings.change(program, "withdrawal.ciwa_ar_interval_hours", 1, acting_user=nurse)
    [row] = board.build(program, visible_patients(nurse, program))
    assert row.ciwa.next_due == latest.taken_at + timedelta(hours=1) and row.ciwa.overdue
    html = page(nurse).get("/withdrawal/board/").content.decode()
    assert "no bands set by the program" in html and "CIWA-Ar overdue since" in html
    api_row = page(nurse).get("/api/v1/withdrawal/board/").json()["patients"][0]["ciwa_ar"]
    assert (api_row["latest_total"], api_row["band"], api_row["overdue"]) == (12, None, True)


def test_the_band_on_the_board_is_the_one_stored(nurse, program, admitted, patient, record):
    program_settings.change(program, KEY, BANDS, acting_user=nurse)
    services.start_ciwa_ar(acting_user=nurse, patient=patient, reason="alcohol co-use")
    record(patient, responses=CIWA_12, instrument="ciwa-ar", hours_ago=0.1)
    program_settings.change(program, KEY, None, acting_user=nurse)
    [row] = board.build(program, visible_patients(nurse, program))
    assert row.ciwa.band_text == f"moderate (program bands: {BANDS['source']})"
    assert Assessment.objects.get().band_label == "moderate"


def test_the_fhir_observation_carries_the_stored_band_as_text_and_validates(record, nurse, program, patient):
    from waypoint.fhir.access import StaffReader
    from waypoint.fhir.registry import KINDS
    from waypoint.fhir.tests.validation import assert_valid

    program_settings.change(program, KEY, BANDS, acting_user=nurse)
    record(patient, responses=CIWA_12, instrument="ciwa-ar")
    kind = KINDS["assessment-total"]
    (observation,) = [r for row in StaffReader(nurse, program).rows(kind) for r in kind.to_resources(row)]
    assert_valid(observation)
    assert observation["interpretation"] == [{"text": "moderate"}]  # the program's words, no invented code
    assert observation["note"][-1]["text"].endswith(BANDS["source"])


def test_the_instruction_is_disclosed_with_every_column(nurse, admitted, patient):
    from waypoint.records import discovery

    kind = discovery.load()["ciwa_ar_monitoring"]
    services.start_ciwa_ar(acting_user=nurse, patient=patient, reason="alcohol co-use")
    services.stop_ciwa_ar(acting_user=nurse, patient=patient, reason="no alcohol use")
    (row,) = kind.rows(patient, nurse)
    rendered = kind.render(row)
    assert list(rendered) == [key for key, _ in kind.columns]
    assert (rendered["reason"], rendered["stop_reason"]) == ("alcohol co-use", "no alcohol use")


def test_a_ciwa_ar_taken_in_the_minute_before_it_was_turned_on_counts(nurse, program, admitted, patient, record):
    latest = record(patient, responses=CIWA_12, instrument="ciwa-ar", hours_ago=0.01)  # 36 s before
    services.start_ciwa_ar(acting_user=nurse, patient=patient, reason="alcohol co-use")
    [row] = board.build(program, visible_patients(nurse, program))
    assert row.ciwa.next_due == latest.taken_at + timedelta(hours=4) and not row.ciwa.overdue


def test_the_chart_header_gives_the_stored_band_and_the_next_ciwa_ar_due(
    page, nurse, program, admitted, patient, record
):
    program_settings.change(program, KEY, BANDS, acting_user=nurse)
    services.start_ciwa_ar(acting_user=nurse, patient=patient, reason="alcohol co-use")
    record(patient, responses=CIWA_12, instrument="ciwa-ar", hours_ago=0.1)
    chart = page(nurse).get(f"/patients/{patient.pk}/").content.decode()
    assert f"moderate (program bands: {BANDS['source']})" in chart and "CIWA-Ar next due" in chart
