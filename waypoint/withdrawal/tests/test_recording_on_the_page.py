"""Recording a COWS on the page: the form is generated from the declaration; errors sit beside the item."""

from django.utils import timezone

from waypoint.withdrawal.models import Assessment

from .conftest import COWS_MILD


def form_data(patient, **changes):
    taken = timezone.localtime(timezone=patient.program.tz).strftime("%Y-%m-%dT%H:%M")
    return {"taken_at": taken, **COWS_MILD, "pulse_bpm": "92", "note": ""} | changes


def test_the_form_offers_exactly_the_allowed_scores_of_each_item(page, nurse, patient):
    html = page(nurse).get(f"/patients/{patient.pk}/assessments/new/cows/").content.decode()
    for score in (0, 1, 2, 4):
        assert f'name="resting_pulse" value="{score}"' in html
    assert 'name="resting_pulse" value="3"' not in html
    assert "piloerection of skin can be felt or hairs standing up on arms" in html


def test_a_nurse_records_a_cows_on_the_page(page, nurse, admitted, patient):
    response = page(nurse).post(f"/patients/{patient.pk}/assessments/new/cows/", form_data(patient), follow=True)
    assert response.status_code == 200
    assessment = Assessment.objects.get()
    assert (assessment.total, assessment.severity, assessment.pulse_bpm) == (9, "mild", 92)
    assert b"COWS 9 recorded (mild" in response.content


def test_a_forged_score_is_refused_beside_its_item(page, nurse, patient):
    response = page(nurse).post(f"/patients/{patient.pk}/assessments/new/cows/", form_data(patient, resting_pulse="3"))
    assert response.status_code == 200
    assert b'id="id_resting_pulse_error"' in response.content
    assert not Assessment.objects.exists()


def test_a_pulse_that_disagrees_is_refused_beside_the_pulse_item(page, nurse, patient):
    response = page(nurse).post(f"/patients/{patient.pk}/assessments/new/cows/", form_data(patient, pulse_bpm="130"))
    assert b'id="id_resting_pulse_error"' in response.content
    assert not Assessment.objects.exists()
