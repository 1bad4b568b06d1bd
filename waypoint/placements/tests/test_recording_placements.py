"""Recording placement assessments through the service, the API and the page."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from waypoint.patients.models import TimelineEntry
from waypoint.placements import services
from waypoint.placements.models import PlacementAssessment
from waypoint.privacy.models import AuditEvent

LOW = {"d1": 0, "d2": 0, "d3": 0, "d4": 1, "d5": 1, "d6": 0}  # default table: level 1
WITHDRAWAL = {"d1": 3, "d2": 1, "d3": 0, "d4": 2, "d5": 2, "d6": 1}  # default table: level 3.7, 3.7-WM


def record(user, patient, **kwargs):
    return services.record_placement(acting_user=user, patient=patient, **{"ratings": LOW} | kwargs)


def test_it_records_the_recommendation_with_the_rules_that_fired(nurse, patient):
    placement = record(nurse, patient, ratings=WITHDRAWAL, notes={"d1": "COWS 14, last use 10 h ago"})
    assert placement.recommended_level == "3.7"
    assert placement.recommended_withdrawal == "3.7-WM"
    assert "D1-3" in placement.rules_fired
    assert placement.decided_level == "3.7" and placement.reason == ""
    assert placement.notes[0] == "COWS 14, last use 10 h ago"
    assert placement.program == patient.program
    assert TimelineEntry.objects.filter(patient=patient, kind="placement.create").count() == 1
    assert AuditEvent.objects.filter(action="placement.create", patient_id=patient.pk).count() == 1


def test_a_decision_that_differs_without_a_reason_is_refused_naming_reason(nurse, patient):
    with pytest.raises(ValidationError) as caught:
        record(nurse, patient, decided_level="3.5")
    assert "reason" in caught.value.message_dict
    assert PlacementAssessment.objects.count() == 0


def test_a_decision_that_differs_with_a_reason_is_recorded(nurse, patient):
    placement = record(nurse, patient, decided_level="2.1", reason="patient_preference")
    assert placement.differs and placement.get_reason_display() == "Patient preference"


def test_other_as_the_reason_needs_words(nurse, patient):
    with pytest.raises(ValidationError) as caught:
        record(nurse, patient, decided_level="2.1", reason="other")
    assert "reason_text" in caught.value.message_dict
    assert record(nurse, patient, decided_level="2.1", reason="other", reason_text="court order").reason_text


@pytest.mark.parametrize("value", [5, -1, "3", 2.5, True, None])
def test_ratings_outside_0_to_4_are_refused_naming_the_dimension(nurse, patient, value):
    with pytest.raises(ValidationError) as caught:
        record(nurse, patient, ratings=LOW | {"d4": value})
    assert list(caught.value.message_dict) == ["ratings.d4"]


def test_an_unknown_level_is_refused(nurse, patient):
    with pytest.raises(ValidationError) as caught:
        record(nurse, patient, decided_level="3.9", reason="clinical_judgement")
    assert "decided_level" in caught.value.message_dict


def test_the_api_answers_201_with_the_recommendation(api, nurse, patient):
    response = api(nurse).post(f"/api/v1/patients/{patient.pk}/placements/", {"ratings": WITHDRAWAL}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["recommendation"]["level"] == "3.7"
    assert body["recommendation"]["withdrawal"] == "3.7-WM"
    assert "D1-3" in body["recommendation"]["rules_fired"]
    assert body["ratings"] == WITHDRAWAL
    listed = api(nurse).get(f"/api/v1/patients/{patient.pk}/placements/").json()["results"]
    assert [p["id"] for p in listed] == [body["id"]]


def test_the_api_answers_400_naming_reason_for_a_differing_decision(api, nurse, patient):
    response = api(nurse).post(
        f"/api/v1/patients/{patient.pk}/placements/", {"ratings": LOW, "decided_level": "3.5"}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()


def test_the_api_answers_400_naming_the_dimension_and_the_level(api, nurse, patient):
    url = f"/api/v1/patients/{patient.pk}/placements/"
    response = api(nurse).post(url, {"ratings": LOW | {"d2": 7}}, format="json")
    assert response.status_code == 400 and "ratings.d2" in response.json()
    response = api(nurse).post(
        url, {"ratings": LOW, "decided_level": "9", "reason": "other", "reason_text": "x"}, format="json"
    )
    assert response.status_code == 400 and "decided_level" in response.json()
    response = api(nurse).post(url, {"ratings": LOW, "colour": "red"}, format="json")
    assert response.status_code == 400 and "colour" in response.json()


def test_a_nurse_of_another_program_gets_404_from_the_api(api, north_nurse, patient):
    response = api(north_nurse).post(f"/api/v1/patients/{patient.pk}/placements/", {"ratings": LOW}, format="json")
    assert response.status_code == 404


def page_data(ratings, **extra):
    data = {f"rating_{k}": v for k, v in ratings.items()} | {"at": "2026-01-05T10:00"}
    return data | extra


def test_the_page_records_a_placement_and_the_chart_shows_it(page, nurse, patient):
    client = page(nurse)
    response = client.post(
        reverse("placements:placement", args=[patient.pk]), page_data(WITHDRAWAL, note_d1="shaking, sweating")
    )
    assert response.status_code == 302
    chart = client.get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert "Level of care placement" in chart
    assert "3.7 Medically Monitored Intensive Inpatient" in chart
    assert "shaking, sweating" in chart


def test_the_page_shows_the_reason_error_beside_the_field(page, nurse, patient):
    response = page(nurse).post(reverse("placements:placement", args=[patient.pk]), page_data(LOW, decided_level="3.5"))
    assert response.status_code == 200
    assert 'id="id_reason_error"' in response.content.decode()


def test_the_page_shows_a_missing_rating_beside_the_dimension(page, nurse, patient):
    ratings = dict(LOW)
    del ratings["d3"]
    response = page(nurse).post(reverse("placements:placement", args=[patient.pk]), page_data(ratings))
    assert 'id="id_rating_d3_error"' in response.content.decode()


def test_the_rule_table_page_shows_the_rules_and_says_it_is_not_the_asam_algorithm(page, nurse):
    body = page(nurse).get(reverse("placements:rule-table")).content.decode()
    assert "NOT the ASAM Criteria decision algorithm" in body
    assert "rule-D1-3" in body and "Readiness to Change" in body
    assert "<title>Placement rule table · Waypoint</title>" in body
    assert body.count("Indicated versus decided, last") == 1


def test_the_rule_table_page_reports_indicated_versus_decided(page, nurse, patient, program):
    from waypoint.placements.views import indicated_versus_decided

    record(nurse, patient)  # follows the recommendation (1)
    record(nurse, patient, decided_level="2.1", reason="patient_preference")
    record(nurse, patient, decided_level="2.1", reason="patient_preference")
    record(nurse, patient, decided_level="3.5", reason="payer_decision")
    report = indicated_versus_decided(program)
    assert (report["total"], report["differing"]) == (4, 3)
    assert report["by_reason"] == [("Patient preference", 2), ("Payer decision", 1)]
    assert report["by_pair"] == [(("1", "2.1"), 2), (("1", "3.5"), 1)]
    body = page(nurse).get(reverse("placements:rule-table")).content.decode()
    assert "3 decided a level other than the recommendation" in body
