"""Every form lists its problems at the top, each in words with a link to its field."""

from django.template.loader import render_to_string
from django.urls import reverse


def summary_of(response) -> str:
    html = response.content.decode()
    assert "data-error-summary" in html, "no error summary"
    return html.split("data-error-summary", 1)[1].split("</div>", 1)[0]


def test_a_registration_with_missing_fields_lists_each_with_a_link_to_it(page, nurse):
    response = page(nurse).post(reverse("patients:register"), {"given_name": "Maria"})
    summary = summary_of(response)
    assert '<a href="#id_family_name">' in summary and '<a href="#id_sex_at_birth">' in summary
    assert "need your attention" in summary


def test_a_cows_without_scores_names_each_item_by_its_title_in_clinical_words(page, nurse, admitted):
    url = reverse("withdrawal:record", args=[admitted.patient_id, "cows"])
    response = page(nurse).post(url, {"taken_at": "2026-01-05T09:30"})
    summary = summary_of(response)
    runny_nose = '<a href="#id_runny_nose_tearing_0">Runny nose or tearing</a>: No score chosen: choose 0, 1, 2 or 4'
    assert runny_nose in summary
    assert "Resting pulse rate</a>: No score chosen: choose 0, 1, 2 or 4, or enter the measured pulse" in summary
    assert "runny_nose_tearing;" not in summary and "allowed:" not in summary


def test_the_heading_reads_as_a_sentence_for_one_problem_and_for_several():
    one = render_to_string("web/_error_summary.html", {"problems": [{"label": "Dose", "message": "Too high."}]})
    assert '<h2 id="error-summary-title">One entry needs your attention</h2>' in one
    two = render_to_string("web/_error_summary.html", {"problems": [{"message": "A."}, {"message": "B."}]})
    assert '<h2 id="error-summary-title">2 entries need your attention</h2>' in two
