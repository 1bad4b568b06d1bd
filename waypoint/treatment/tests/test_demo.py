"""The demo builds treatment data through the same services: templates, signed plans, a group session with its
attendance and note, this week's schedule."""

from django.core.management import call_command

from waypoint.treatment.models import Attendance, GroupNoteEntry, PlanTemplate, Session, TreatmentPlan


def test_the_demo_has_templates_signed_plans_and_a_group_session_with_attendance(db):
    call_command("demo", verbosity=0)
    assert set(PlanTemplate.objects.filter(program__slug="demo").values_list("name", flat=True)) == {
        "Residential",
        "Intensive outpatient",
    }
    plans = TreatmentPlan.objects.filter(program__slug="demo", status="signed")
    assert plans.count() == 2 and all(p.patient_signed_at and p.template_name == "Residential" for p in plans)
    assert sorted(Attendance.objects.values_list("status", flat=True)) == ["absent_excused", "late", "present"]
    assert GroupNoteEntry.objects.count() == 2
    assert Session.objects.filter(program__slug="demo").count() >= 5
