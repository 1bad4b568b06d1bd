"""Treatment plans: drafts from templates, validation against the reference codes and the program's lists,
signatures, versioning (a signed plan is never edited; stale versions refused), reviews and when they fall due."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from conftest import naloxone_and_education
from waypoint.accounts import program_settings
from waypoint.patients import services as patients
from waypoint.patients.access import visible_patients
from waypoint.patients.models import TimelineEntry
from waypoint.privacy.models import AuditEvent
from waypoint.screening import services as screening
from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS
from waypoint.treatment import services
from waypoint.treatment.due import due_for
from waypoint.treatment.models import TreatmentPlan

from .conftest import body


def test_a_plan_starts_from_the_template_with_target_dates_and_the_chosen_staff(admitted, patient, counselor, template):
    plan = services.start_plan(acting_user=counselor, patient=patient, template=template, responsible=counselor.pk)
    [problem] = plan.body["problems"]
    assert plan.template_name == "Residential" and plan.status == "draft" and plan.version == 1
    assert problem["diagnosis"] == "F11.20"
    objective = problem["goals"][0]["objectives"][0]
    assert objective["target_date"] == (patient.program.today() + timedelta(days=14)).isoformat()
    assert [(i["modality_label"], i["responsible_name"]) for i in problem["interventions"]] == [
        ("Group therapy", "Team-Counselor"),
        ("Cognitive behavioral therapy", "Team-Counselor"),
    ]
    assert plan.body is not template.body and problem["id"] != template.body["problems"][0]["id"]


def test_a_diagnosis_outside_the_reference_list_is_refused(admitted, patient, counselor):
    plan = services.start_plan(acting_user=counselor, patient=patient)
    wrong = body(counselor)
    wrong["problems"][0]["diagnosis"] = "F11.24"  # a real code, but not in shared/reference: never invented here
    with pytest.raises(ValidationError) as caught:
        services.save_draft(acting_user=counselor, plan=plan, body=wrong, revision=plan.revision)
    assert "problems.0.diagnosis" in caught.value.message_dict


def test_a_modality_must_be_on_the_programs_list_and_staff_in_the_program(admitted, patient, counselor, north_nurse):
    plan = services.start_plan(acting_user=counselor, patient=patient)
    wrong = body(counselor)
    wrong["problems"][0]["interventions"][0]["modality"] = "hypnosis"
    wrong["problems"][0]["interventions"][1]["responsible"] = north_nurse.pk
    with pytest.raises(ValidationError) as caught:
        services.save_draft(acting_user=counselor, plan=plan, body=wrong, revision=plan.revision)
    assert set(caught.value.message_dict) == {
        "problems.0.interventions.0.modality",
        "problems.0.interventions.1.responsible",
    }


def test_screen_findings_link_only_to_findings_present_on_the_latest_screen(admitted, patient, nurse, counselor):
    answers = dict.fromkeys(HEROIN_COMPLICATIONS.keys, "absent")
    present = HEROIN_COMPLICATIONS.keys[0]
    answers[present] = "present"
    screening.record_screen(
        acting_user=nurse, patient=patient, taken_at=timezone.now() - timedelta(hours=1), answers=answers
    )
    plan = services.start_plan(acting_user=counselor, patient=patient)
    linked = body(counselor)
    linked["problems"][0]["screen_findings"] = [present]
    plan = services.save_draft(acting_user=counselor, plan=plan, body=linked, revision=plan.revision)
    assert plan.body["problems"][0]["screen_findings"] == [present]
    linked["problems"][0]["screen_findings"] = [HEROIN_COMPLICATIONS.keys[1]]  # absent on the screen
    with pytest.raises(ValidationError) as caught:
        services.save_draft(acting_user=counselor, plan=plan, body=linked, revision=plan.revision)
    assert "problems.0.screen_findings" in caught.value.message_dict


def test_signing_needs_a_complete_plan_and_names_each_gap(admitted, patient, counselor):
    plan = services.start_plan(acting_user=counselor, patient=patient)
    gaps = body(counselor, target="")
    gaps["problems"][0]["interventions"][1]["responsible"] = None
    plan = services.save_draft(acting_user=counselor, plan=plan, body=gaps, revision=plan.revision)  # drafts may
    with pytest.raises(ValidationError) as caught:
        services.sign_plan(acting_user=counselor, plan=plan, revision=plan.revision)
    assert set(caught.value.message_dict) == {
        "problems.0.goals.0.objectives.0.target_date",
        "problems.0.goals.0.objectives.1.target_date",
        "problems.0.interventions.1.responsible",
    }
    assert "Problem 1, intervention 2: name the responsible staff member." in caught.value.messages
    plan.refresh_from_db()
    assert plan.status == "draft" and plan.clinician_signed_at is None


def test_the_clinician_signs_then_the_patient_acknowledges_with_their_name_and_time(signed_plan, counselor):
    assert signed_plan.status == "signed" and signed_plan.clinician_signed_by == counselor
    assert abs(signed_plan.clinician_signed_at - timezone.now()) < timedelta(seconds=5)
    with pytest.raises(ValidationError) as caught:
        services.acknowledge_plan(acting_user=counselor, plan=signed_plan, patient_name="Someone Else", attested=False)
    assert set(caught.value.message_dict) == {"patient_name", "attested"}
    plan = services.acknowledge_plan(
        acting_user=counselor, plan=signed_plan, patient_name="  maria  RIVERA ", attested=True
    )
    assert plan.patient_signed_name == "maria RIVERA" and plan.patient_witnessed_by == counselor
    assert plan.patient_signed_at >= plan.clinician_signed_at
    summaries = list(TimelineEntry.objects.filter(patient=plan.patient).values_list("summary", flat=True))
    assert "Treatment plan v1 acknowledged by the patient" in summaries
    assert AuditEvent.objects.filter(action="plan.acknowledge", patient_id=plan.patient_id).exists()


def test_a_signed_plan_is_never_edited(signed_plan, counselor):
    with pytest.raises(services.StaleVersion) as caught:
        services.save_draft(acting_user=counselor, plan=signed_plan, body=body(counselor), revision=None)
    assert "never edited" in str(caught.value)
    with pytest.raises(services.StaleVersion):
        services.sign_plan(acting_user=counselor, plan=signed_plan, revision=None)


def test_an_amendment_is_a_new_version_and_signing_it_supersedes_the_old(signed_plan, counselor):
    draft = services.amend_plan(acting_user=counselor, plan=signed_plan, version=1, reason="Step-down to IOP")
    assert (draft.version, draft.status, draft.replaces_id) == (2, "draft", signed_plan.pk)
    signed_plan.refresh_from_db()
    assert signed_plan.status == "signed"  # still in force while v2 is a draft
    changed = dict(draft.body)
    changed["problems"][0]["interventions"][0]["frequency"] = "3 times a week"
    draft = services.save_draft(acting_user=counselor, plan=draft, body=changed, revision=draft.revision)
    draft = services.sign_plan(acting_user=counselor, plan=draft, revision=draft.revision)
    signed_plan.refresh_from_db()
    assert (signed_plan.status, draft.status) == ("superseded", "signed")
    assert signed_plan.body["problems"][0]["interventions"][0]["frequency"] == "5 times a week, 60 minutes"
    assert [o["id"] for o in draft.objectives()] == ["o1", "o2"]  # objective ids survive versions


def test_a_stale_version_or_revision_is_refused(signed_plan, counselor):
    draft = services.amend_plan(acting_user=counselor, plan=signed_plan, version=1, reason="new goal")
    with pytest.raises(services.StaleVersion):  # someone else already started v2
        services.amend_plan(acting_user=counselor, plan=signed_plan, version=1, reason="again")
    services.save_draft(acting_user=counselor, plan=draft, body=draft.body, revision=draft.revision)
    with pytest.raises(services.StaleVersion) as caught:
        services.save_draft(acting_user=counselor, plan=draft, body=draft.body, revision=1)
    assert "revision 2" in str(caught.value)
    with pytest.raises(services.StaleVersion):
        services.sign_plan(acting_user=counselor, plan=draft, revision=1)
    assert TreatmentPlan.objects.filter(episode=draft.episode).count() == 2


def test_only_clinical_roles_write_plans(admitted, patient, intake):
    with pytest.raises(PermissionDenied):
        services.start_plan(acting_user=intake, patient=patient)


def test_a_review_is_due_at_a_change_of_level_of_care_and_at_the_program_interval(
    signed_plan, counselor, nurse, program, admitted, patient
):
    def rows(now=None):
        return due_for(program, visible_patients(nurse, program), now)

    assert rows() == []  # signed just now; no interval set
    naloxone_and_education(patient, nurse, timezone.now() - timedelta(minutes=30))
    patients.transfer(acting_user=nurse, episode=admitted, at=timezone.now(), level_code="3.5", reason="stable")
    [row] = rows(timezone.now() + timedelta(minutes=1))
    assert row.why == "level of care changed to 3.5" and not row.overdue
    program_settings.change(program, "treatment.review_overdue_after_days", 0, acting_user=nurse)
    assert rows(timezone.now() + timedelta(minutes=1))[0].overdue
    services.review_plan(
        acting_user=counselor,
        plan=signed_plan,
        note="Goals still fit after the step-down",
        reviewed_at=timezone.now() + timedelta(seconds=1),
    )
    assert rows(timezone.now() + timedelta(minutes=1)) == []
    program_settings.change(program, "treatment.review_interval_days", 30, acting_user=nurse)
    assert rows(timezone.now() + timedelta(days=29)) == []
    [row] = rows(timezone.now() + timedelta(days=30, minutes=1))
    assert row.why == "30 days since the last signature or review" and row.overdue


def test_an_episode_without_a_signed_plan_is_listed_from_admission(admitted, nurse, program, counselor, patient):
    [row] = due_for(program, visible_patients(nurse, program))
    assert row.due_at == admitted.admitted_at and row.why == "no signed treatment plan" and row.plan is None


# --- named plan edits: each change to a draft is audited as what it did -------------------------------------------


def actions_since(mark: int) -> list[tuple[str, list]]:
    return [(e.action, e.detail.get("items")) for e in AuditEvent.objects.filter(pk__gt=mark).order_by("pk")]


def last_event() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_each_edit_of_a_draft_is_its_own_audited_action_naming_the_item(admitted, patient, counselor):
    from datetime import date

    plan = services.start_plan(acting_user=counselor, patient=patient)
    mark = last_event()
    edit = {"acting_user": counselor}
    plan = services.add_problem(**edit, plan=plan, revision=plan.revision, description="Injects daily", goal="Live")
    problem = plan.body["problems"][0]
    goal = problem["goals"][0]["id"]
    plan = services.update_problem(
        **edit, plan=plan, revision=plan.revision, item=problem["id"], description="Injects heroin daily"
    )
    plan = services.add_goal(**edit, plan=plan, revision=plan.revision, problem=problem["id"], text="Keep my job")
    second_goal = plan.body["problems"][0]["goals"][1]["id"]
    plan = services.update_goal(**edit, plan=plan, revision=plan.revision, item=goal, text="Stay alive")
    plan = services.add_objective(
        **edit, plan=plan, revision=plan.revision, goal=goal, text="Carry naloxone", target_date=date(2027, 1, 31)
    )
    objective = plan.body["problems"][0]["goals"][0]["objectives"][0]["id"]
    plan = services.update_objective(
        **edit, plan=plan, revision=plan.revision, item=objective, text="Carry naloxone daily", target_date=None
    )
    plan = services.add_intervention(
        **edit,
        plan=plan,
        revision=plan.revision,
        problem=problem["id"],
        modality="relapse_prevention",
        frequency="weekly",
        responsible=counselor.pk,
    )
    intervention = plan.body["problems"][0]["interventions"][0]["id"]
    plan = services.update_intervention(
        **edit, plan=plan, revision=plan.revision, item=intervention, frequency="twice a week", responsible=None
    )
    for remove, item in (
        (services.remove_objective, objective),
        (services.remove_intervention, intervention),
        (services.remove_goal, second_goal),
        (services.remove_problem, problem["id"]),
    ):
        plan = remove(**edit, plan=plan, revision=plan.revision, item=item)
    assert actions_since(mark) == [
        ("plan.problem.add", sorted([problem["id"], goal])),
        ("plan.problem.update", [problem["id"]]),
        ("plan.goal.add", [second_goal]),
        ("plan.goal.update", [goal]),
        ("plan.objective.add", [objective]),
        ("plan.objective.update", [objective]),
        ("plan.intervention.add", [intervention]),
        ("plan.intervention.update", [intervention]),
        ("plan.objective.remove", [objective]),
        ("plan.intervention.remove", [intervention]),
        ("plan.goal.remove", [second_goal]),
        ("plan.problem.remove", [problem["id"]]),
    ]
    assert plan.body == {"problems": []} and plan.revision == 13


def test_a_named_removal_refuses_an_item_of_another_kind_and_changes_nothing(admitted, patient, counselor):
    plan = services.start_plan(acting_user=counselor, patient=patient)
    plan = services.save_draft(acting_user=counselor, plan=plan, body=body(counselor), revision=plan.revision)
    with pytest.raises(ValidationError) as caught:
        services.remove_goal(acting_user=counselor, plan=plan, revision=plan.revision, item="p1")
    assert caught.value.message_dict == {"item": ["Not a goal."]}
    plan.refresh_from_db()
    assert plan.body["problems"][0]["id"] == "p1" and plan.revision == 2


def test_the_page_and_the_api_add_through_the_named_edits(admitted, patient, counselor, page, api):
    from django.urls import reverse

    plan = services.start_plan(acting_user=counselor, patient=patient)
    plan = services.save_draft(acting_user=counselor, plan=plan, body=body(counselor), revision=plan.revision)
    mark = last_event()
    page(counselor).post(
        reverse("treatment:plan-version", args=[patient.pk, plan.pk]),
        {"action": "add_goal", "revision": 2, "goal-problem": "p1", "goal-text": "Keep my flat"},
    )
    answer = api(counselor).post(
        f"/api/v1/patients/{patient.pk}/plans/{plan.pk}/interventions/",
        {
            "problem": "p1",
            "modality": "relapse_prevention",
            "frequency": "daily",
            "responsible": counselor.pk,
            "revision": 3,
        },
        format="json",
    )
    assert answer.status_code == 201
    page(counselor).post(
        reverse("treatment:plan-version", args=[patient.pk, plan.pk]), {"action": "remove", "item": "o2", "revision": 4}
    )
    assert [action for action, _ in actions_since(mark)] == [
        "plan.goal.add",
        "plan.intervention.add",
        "plan.objective.remove",
    ]
