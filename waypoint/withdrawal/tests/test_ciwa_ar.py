"""CIWA-Ar recorded like COWS: on the page, through the API, on the flowsheet and the chart header, in FHIR."""

from datetime import timedelta

from django.utils import timezone

from waypoint.fhir.access import StaffReader
from waypoint.fhir.questionnaires import all_questionnaires
from waypoint.fhir.registry import KINDS
from waypoint.fhir.tests.validation import assert_valid
from waypoint.privacy.models import AuditEvent
from waypoint.withdrawal.models import Assessment

CIWA_12 = {
    "nausea_vomiting": 2,
    "tremor": 3,
    "paroxysmal_sweats": 1,
    "anxiety": 2,
    "agitation": 1,
    "tactile": 0,
    "auditory": 0,
    "visual": 1,
    "headache": 2,
    "orientation": 0,
}


def test_the_page_offers_every_integer_0_to_7_and_0_to_4_for_orientation(page, nurse, patient):
    html = page(nurse).get(f"/patients/{patient.pk}/assessments/new/ciwa-ar/").content.decode()
    for value in range(8):
        assert f'name="tremor" value="{value}"' in html
    assert 'name="tremor" value="8"' not in html
    assert 'name="orientation" value="4"' in html
    assert 'name="orientation" value="5"' not in html
    assert "not visible, but can be felt fingertip to fingertip" in html


def test_a_nurse_records_a_ciwa_ar_on_the_page_and_it_shows_on_flowsheet_and_chart(page, nurse, admitted, patient):
    taken = timezone.localtime(timezone=patient.program.tz).strftime("%Y-%m-%dT%H:%M")
    client = page(nurse)
    response = client.post(
        f"/patients/{patient.pk}/assessments/new/ciwa-ar/",
        {"taken_at": taken, **CIWA_12, "pulse_bpm": "88", "note": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert b"CIWA-Ar 12 recorded (no bands set by the program)." in response.content
    assessment = Assessment.objects.get()
    assert (assessment.instrument, assessment.total, assessment.severity) == ("ciwa-ar", 12, "")
    assert assessment.responses == CIWA_12
    chart = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "latest CIWA-Ar" in chart and '<span class="score">12</span>' in chart


def test_the_chart_header_has_no_ciwa_line_without_one(page, nurse, admitted, patient):
    assert "CIWA-Ar" not in page(nurse).get(f"/patients/{patient.pk}/").content.decode()


def test_the_api_records_ciwa_ar_and_refuses_an_out_of_range_item_by_name(api, nurse, admitted, patient):
    url = f"/api/v1/patients/{patient.pk}/assessments/"
    at = (timezone.now() - timedelta(minutes=5)).isoformat()
    refused = api(nurse).post(
        url,
        {"instrument": "ciwa-ar", "taken_at": at, "responses": CIWA_12 | {"orientation": 5}, "vitals": {}},
        format="json",
    )
    assert refused.status_code == 400
    assert "responses.orientation" in refused.json()
    assert not Assessment.objects.exists()
    response = api(nurse).post(
        url, {"instrument": "ciwa-ar", "taken_at": at, "responses": CIWA_12, "vitals": {}}, format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["instrument"], data["total"], data["severity"], data["reporter"]) == ("ciwa-ar", 12, None, "clinician")
    assert AuditEvent.objects.filter(action="assessment.create", object_id=str(data["id"])).exists()
    definition = api(nurse).get("/api/v1/instruments/ciwa-ar/").json()
    assert [item["key"] for item in definition["items"]][-1] == "orientation"


def test_fhir_questionnaire_and_observation_validate(record, nurse, program, patient):
    record(patient, responses=CIWA_12, instrument="ciwa-ar")
    questionnaire = next(q for q in all_questionnaires() if q["id"] == "ciwa-ar")
    assert_valid(questionnaire)
    assert len(questionnaire["item"]) == 10
    reader = StaffReader(nurse, program)
    kind = KINDS["assessment-total"]
    observations = [r for row in reader.rows(kind) for r in kind.to_resources(row)]
    (observation,) = [o for o in observations if o["code"]["coding"][0]["code"] == "ciwa-ar"]
    assert_valid(observation)
    assert observation["valueInteger"] == 12
