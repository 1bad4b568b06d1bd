"""The program's view, computed by hand: doses given per symptom per program day, held and refused doses by
reason, follow-ups on time / late / not done; a dose entered in error counts nowhere; another program's nowhere."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from waypoint.comfort.models import Dose
from waypoint.comfort.report import comfort_report


def dose(line, patient, nurse, at, status="given", reason="", done_after=None, in_error=False):
    """A dose through the ORM at a chosen time (the report reads doses, not the rules that admit them)."""
    due = at + timedelta(minutes=60) if status == "given" else None
    return Dose.objects.create(
        program=patient.program, patient=patient, line=line, entry=line.entry, drug=line.entry.drug,
        symptom=line.entry.symptom, status=status, dose_mg=Decimal("2") if status == "given" else None, at=at,
        reason=reason, recorded_by=nurse, follow_up_due_at=due,
        follow_up_at=at + timedelta(minutes=done_after) if done_after is not None else None,
        follow_up_outcome="eased" if done_after is not None else "",
        record_status="entered_in_error" if in_error else "final",
    )  # fmt: skip


def test_the_figures_match_a_hand_count(program, patient, nurse, line, page, director):
    tz = program.tz
    day1 = program.today() - timedelta(days=2)
    day2 = day1 + timedelta(days=1)

    def at(day, hour):
        return datetime.combine(day, time(hour), tzinfo=tz)

    loperamide, acetaminophen = line("loperamide"), line("acetaminophen")
    dose(loperamide, patient, nurse, at(day1, 8), done_after=60)  # on time (exactly at the time due)
    dose(loperamide, patient, nurse, at(day1, 23), done_after=61)  # late; still day 1 in program time
    dose(acetaminophen, patient, nurse, at(day2, 0), done_after=30)  # on time, day 2 (just after midnight)
    dose(acetaminophen, patient, nurse, at(day2, 9))  # follow-up not done
    dose(acetaminophen, patient, nurse, at(day2, 12), in_error=True)  # counts nowhere
    dose(loperamide, patient, nurse, at(day2, 10), status="held", reason="No loose stool since the last dose")
    dose(loperamide, patient, nurse, at(day2, 14), status="held", reason="No loose stool since the last dose")
    dose(acetaminophen, patient, nurse, at(day2, 15), status="refused", reason="Wants to rest")

    report = comfort_report(program, day1, day2)
    assert report.given == {
        "Bone, joint and muscle pain": {day1: 0, day2: 2},
        "Diarrhea": {day1: 2, day2: 0},
    }
    assert report.not_given == [
        ("Held", "No loose stool since the last dose", 2),
        ("Refused by the patient", "Wants to rest", 1),
    ]
    assert (report.on_time, report.late, report.not_done) == (2, 1, 1)

    html = page(director).get(f"/comfort/report/?from={day1}&to={day2}").content.decode()
    assert "Done on time: <strong>2</strong> · done late: <strong>1</strong> · not done: <strong>1</strong>" in html
    assert "Maria" not in html and patient.mrn not in html


def test_another_program_sees_none_of_it_and_a_nurse_may_not_look(program, north, patient, nurse, line, page):
    from conftest import make_user

    dose(line("loperamide"), patient, nurse, datetime.combine(program.today(), time(0), tzinfo=program.tz))
    assert comfort_report(north, program.today(), program.today()).given == {}
    assert page(nurse).get("/comfort/report/").status_code == 403
    north_director = make_user("north-director", north, "director")
    assert "No comfort medication was given" in page(north_director).get("/comfort/report/").content.decode()
