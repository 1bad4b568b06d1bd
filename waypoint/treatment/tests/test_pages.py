"""Treatment pages: stale edits refused without change, the program's modality list, templates, the work list."""

from django.urls import reverse

from waypoint.accounts import program_settings
from waypoint.privacy.models import AuditEvent
from waypoint.treatment import services
from waypoint.treatment.models import TreatmentPlan

from .conftest import body


def test_an_edit_from_a_stale_page_changes_nothing_and_says_why(page, counselor, patient, admitted):
    plan = services.start_plan(acting_user=counselor, patient=patient)
    services.save_draft(acting_user=counselor, plan=plan, body=body(counselor), revision=1)  # another tab saved
    client = page(counselor)
    url = reverse("treatment:plan-version", args=[patient.pk, plan.pk])
    response = client.post(url, {"action": "remove", "item": "p1", "revision": 1}, follow=True)
    assert "was changed since you read it" in response.content.decode()
    assert TreatmentPlan.objects.get().body["problems"][0]["id"] == "p1"


def test_a_form_error_shows_next_to_its_field(page, counselor, patient, admitted):
    plan = services.start_plan(acting_user=counselor, patient=patient)
    response = page(counselor).post(
        reverse("treatment:plan-version", args=[patient.pk, plan.pk]),
        {"action": "add_problem", "revision": 1, "problem-description": "", "problem-diagnosis": "F11.20"},
    )
    assert response.status_code == 400
    assert 'id="id_problem-description_error"' in response.content.decode()


def test_signing_an_incomplete_plan_lists_each_gap(page, counselor, patient, admitted):
    plan = services.start_plan(acting_user=counselor, patient=patient)
    response = page(counselor).post(reverse("treatment:plan-sign", args=[patient.pk, plan.pk]), {"revision": 1})
    assert response.status_code == 400
    assert "A plan to sign needs at least one problem." in response.content.decode()


def test_the_director_edits_the_modality_list_and_plans_keep_retired_labels(
    page, director, counselor, patient, signed_plan, program
):
    client = page(director)
    url = reverse("treatment:modalities")
    assert client.post(url, {"code": "yoga", "label": "Yoga", "category": "experiential"}).status_code == 302
    assert client.post(url, {"remove": "relapse_prevention"}).status_code == 302
    fresh = type(program).objects.get(pk=program.pk)  # the fixture's object caches its settings
    codes = [m["code"] for m in program_settings.REGISTRY["treatment.modalities"].get(fresh)]
    assert "yoga" in codes and "relapse_prevention" not in codes
    assert AuditEvent.objects.filter(action="program.setting.change").count() == 2
    draft = services.amend_plan(acting_user=counselor, plan=signed_plan, version=1, reason="review")
    draft = services.save_draft(acting_user=counselor, plan=draft, body=draft.body, revision=1)  # still valid
    assert draft.body["problems"][0]["interventions"][0]["modality_label"] == "Relapse prevention"
    assert page(counselor).post(url, {"code": "x", "label": "X", "category": "other"}).status_code == 403


def test_the_work_list_names_patients_due_for_a_plan(page, nurse, patient, admitted, counselor_off_team):
    assert "Maria Rivera" in page(nurse).get(reverse("treatment:due")).content.decode()
    assert "Maria Rivera" not in page(counselor_off_team).get(reverse("treatment:due")).content.decode()


def test_a_template_saved_from_a_plan_keeps_days_not_dates_and_no_staff(page, director, signed_plan, patient):
    response = page(director).post(
        reverse("treatment:plan-save-template", args=[patient.pk, signed_plan.pk]),
        {"name": "Residential", "level_codes": ["3.5"]},
    )
    assert response.status_code == 302
    [problem] = services.PlanTemplate.objects.get(name="Residential").body["problems"]
    assert problem["interventions"][0]["responsible"] is None
    assert set(problem["goals"][0]["objectives"][0]) == {"id", "text", "target_days"}
    assert "Residential" in page(director).get(reverse("treatment:templates")).content.decode()


def rows_of(plan, **changes):
    """The editor's one form as the browser posts it: every goal and intervention row, with `changes` typed in."""
    data = {"action": "save_rows", "revision": plan.revision}
    for problem in plan.body["problems"]:
        for goal in problem["goals"]:
            data |= {f"u-{goal['id']}-item": goal["id"], f"u-{goal['id']}-text": goal["text"]}
        for i in problem["interventions"]:
            data |= {
                f"u-{i['id']}-item": i["id"],
                f"u-{i['id']}-frequency": i["frequency"],
                f"u-{i['id']}-responsible": i["responsible"],
            }
    return data | changes


def test_one_save_keeps_every_row_edited_each_audited_as_what_changed(page, counselor, patient, admitted):
    plan = services.start_plan(acting_user=counselor, patient=patient)
    plan = services.save_draft(acting_user=counselor, plan=plan, body=body(counselor), revision=1)
    response = page(counselor).post(
        reverse("treatment:plan-version", args=[patient.pk, plan.pk]),
        rows_of(plan, **{"u-g1-text": "I want to live", "u-i2-frequency": "twice a week"}),
        follow=True,
    )
    assert "2 changes saved." in response.content.decode()
    plan.refresh_from_db()
    assert plan.body["problems"][0]["goals"][0]["text"] == "I want to live"
    assert plan.body["problems"][0]["interventions"][1]["frequency"] == "twice a week"
    assert list(AuditEvent.objects.filter(action__endswith=".update").values_list("action", flat=True)) == [
        "plan.draft.update",  # the fixture's whole body
        "plan.goal.update",
        "plan.intervention.update",
    ]


def test_a_wrong_row_saves_nothing_and_keeps_what_was_typed_in_every_row(page, counselor, patient, admitted):
    plan = services.start_plan(acting_user=counselor, patient=patient)
    plan = services.save_draft(acting_user=counselor, plan=plan, body=body(counselor), revision=1)
    response = page(counselor).post(
        reverse("treatment:plan-version", args=[patient.pk, plan.pk]),
        rows_of(plan, **{"u-g1-text": "I want to live", "u-i2-frequency": ""}),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved" in html and 'value="I want to live"' in html
    plan.refresh_from_db()
    assert plan.revision == 2 and plan.body["problems"][0]["goals"][0]["text"].startswith("I want to stay alive")
