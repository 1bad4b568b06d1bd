"""The figures the outcomes dashboard and the progress page will show, against a data set computed by hand."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from conftest import patient_fields
from waypoint.patients import services as patients
from waypoint.treatment import services
from waypoint.treatment.outcomes import attendance_rate_by_modality, plan_objective_status

from .conftest import body

NY = ZoneInfo("America/New_York")


@pytest.fixture
def three(program, team, nurse, patient):
    people = [patient] + [
        patients.register_patient(
            acting_user=nurse, program=program, care_team=team, **patient_fields(mrn=f"W-20{n}", given_name=f"P{n}")
        )
        for n in range(2)
    ]
    for person in people:
        patients.admit(
            acting_user=nurse, patient=person, admitted_at=datetime(2026, 1, 1, 9, tzinfo=NY), level_code="3.5"
        )
    return people


def run(counselor, program, people, modality, start, marks):
    session = services.schedule_session(
        acting_user=counselor,
        program=program,
        kind="group",
        modality=modality,
        topic="t",
        facilitator=counselor,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    for person, status in zip(people, marks, strict=True):
        services.add_to_roster(acting_user=counselor, session=session, patient=person)
        if status:
            services.mark_attendance(acting_user=counselor, session=session, patient=person, status=status)
    return session


def test_attendance_rate_by_modality_matches_the_hand_count(counselor, program, three):
    week = datetime(2026, 3, 2, 10, tzinfo=NY)
    # Relapse prevention, two sessions: present, late, left early | absent excused, absent unexcused, present
    run(counselor, program, three, "relapse_prevention", week, ["present", "late", "left_early"])
    run(
        counselor,
        program,
        three,
        "relapse_prevention",
        week + timedelta(days=1),
        ["absent_excused", "absent_unexcused", "present"],
    )
    # Art: one session, one unmarked patient (left out of the rate), one absent unexcused, one present
    run(counselor, program, three, "art", week + timedelta(days=2), ["present", "absent_unexcused", None])
    # Outside the window (the end is exclusive): ignored
    run(counselor, program, three, "art", week + timedelta(days=7), ["absent_unexcused"] * 3)
    rows = {r["modality"]: r for r in attendance_rate_by_modality(program, week, week + timedelta(days=7))}
    assert rows["relapse_prevention"] == {
        "modality": "relapse_prevention",
        "label": "Relapse prevention",
        "sessions": 2,
        "marked": 6,
        "attended": 4,
        "absent_excused": 1,
        "absent_unexcused": 1,
        "unmarked": 0,
        "rate": 4 / 6,
    }
    assert rows["art"] == {
        "modality": "art",
        "label": "Art",
        "sessions": 1,
        "marked": 2,
        "attended": 1,
        "absent_excused": 0,
        "absent_unexcused": 1,
        "unmarked": 1,
        "rate": 0.5,
    }
    assert list(rows) == ["art", "relapse_prevention"]  # sorted by label


def test_a_modality_with_sessions_but_no_marks_has_no_rate(counselor, program, three):
    start = timezone.now() + timedelta(days=1)
    run(counselor, program, three[:1], "mindfulness", start, [None])
    [row] = attendance_rate_by_modality(program, start - timedelta(hours=1), start + timedelta(hours=1))
    assert (row["marked"], row["unmarked"], row["rate"]) == (0, 1, None)


def test_objective_status_takes_the_latest_report_and_flags_past_targets(counselor, program, three):
    patient = three[0]
    plan = services.start_plan(acting_user=counselor, patient=patient)
    plan = services.save_draft(
        acting_user=counselor, plan=plan, body=body(counselor, target="2026-03-01"), revision=plan.revision
    )
    services.sign_plan(acting_user=counselor, plan=plan, revision=plan.revision)
    at = datetime(2026, 2, 1, 10, tzinfo=NY)
    services.write_progress_note(
        acting_user=counselor,
        patient=patient,
        body="b",
        occurred_at=at + timedelta(days=2),
        objective_updates=[{"objective": "o1", "status": "met"}],
    )
    services.write_progress_note(
        acting_user=counselor,
        patient=patient,
        body="a",
        occurred_at=at,  # written later,
        objective_updates=[
            {"objective": "o1", "status": "in_progress"},  # happened earlier
            {"objective": "o2", "status": "in_progress"},
        ],
    )
    status = plan_objective_status(patient, today=date(2026, 3, 2))
    assert [(o["id"], o["status"], o["overdue"]) for o in status["objectives"]] == [
        ("o1", "met", False),
        ("o2", "in_progress", True),
    ]
    assert status["counts"] == {"met": 1, "in_progress": 1}
    assert status["objectives"][1]["status_at"] == at


def test_a_draft_plan_has_no_objectives_in_force(counselor, program, three):
    services.start_plan(acting_user=counselor, patient=three[1])
    assert plan_objective_status(three[1]) == {"plan": None, "objectives": [], "counts": {}}


def test_for_one_patient_only_that_patients_marks_count(counselor, program, three):
    week = datetime(2026, 3, 2, 10, tzinfo=NY)
    run(counselor, program, three, "relapse_prevention", week, ["present", "absent_unexcused", "late"])
    run(counselor, program, three[1:], "art", week + timedelta(days=1), ["present", None])
    rows = attendance_rate_by_modality(program, week, week + timedelta(days=7), patient=three[1])
    assert [(r["modality"], r["sessions"], r["marked"], r["attended"], r["unmarked"]) for r in rows] == [
        ("art", 1, 1, 1, 0),
        ("relapse_prevention", 1, 1, 0, 0),
    ]
    assert attendance_rate_by_modality(program, week, week + timedelta(days=7), patient=three[0])[0]["rate"] == 1


def test_the_outcomes_dashboard_figure_is_attendance_by_modality_over_the_period(counselor, program, three):
    from waypoint.outcomes.figures import FIGURES, Period

    [figure] = [f for f in FIGURES if f.key == "attendance_by_modality"]
    week = datetime(2026, 3, 2, 10, tzinfo=NY)
    run(counselor, program, three, "relapse_prevention", week, ["present", "absent_excused", "late"])
    run(counselor, program, three, "art", week + timedelta(days=1), ["absent_unexcused", None, None])
    run(counselor, program, three, "art", week + timedelta(days=20), ["present"] * 3)  # after the period
    result = figure.compute(Period(program, date(2026, 3, 1), date(2026, 3, 8), timezone.now()))
    assert (result.numerator, result.denominator) == (2, 4)
    assert result.breakdown == [("Art", 0, 1), ("Relapse prevention", 2, 3)]


def test_the_progress_page_shows_attendance_and_objective_status(page, counselor, nurse, program, three):
    patient = three[0]
    plan = services.start_plan(acting_user=counselor, patient=patient)
    plan = services.save_draft(acting_user=counselor, plan=plan, body=body(counselor), revision=plan.revision)
    services.sign_plan(acting_user=counselor, plan=plan, revision=plan.revision)
    services.write_progress_note(
        acting_user=counselor,
        patient=patient,
        body="b",
        occurred_at=timezone.now(),
        objective_updates=[{"objective": "o1", "status": "met"}],
    )
    run(counselor, program, three[:1], "relapse_prevention", timezone.now() - timedelta(hours=2), ["present"])
    run(counselor, program, three[:1], "relapse_prevention", timezone.now() - timedelta(hours=1), ["absent_unexcused"])
    html = page(nurse).get(f"/patients/{patient.pk}/progress/").content.decode()
    assert "Session attendance" in html and "Relapse prevention" in html and "50%" in html
    assert "Attend 4 of 5 relapse-prevention groups each week" in html and "Met" in html
