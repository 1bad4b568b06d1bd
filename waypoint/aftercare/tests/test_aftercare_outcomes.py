"""The after-discharge outcome figures, against a hand-computed data set with censored follow-up.

Base day B = 60 days ago (program time zone, noon). Period: B to today.
    A  3.7-WM, discharged B+0 completed; next provider this program; admitted there (2.1) at B+5.
    Bo 3.5,    discharged B+1; outside, appointment B+10; day-30 contact at B+12: attended -> 30 only.
    C  3.5,    discharged B+2; outside, no appointment; contact at B+6: attended -> 7 and 30.
    D  2.1 (outpatient), discharged B+3: not high-intensity, never counted.
    E  3.7-WM, discharged 10 days ago: counted at 7 days (not reached), censored at 30 days.
    F  3.5,    discharged B+4; outside; day-7 follow-up not reached 3 times -> lost.
Follow-up within 7 days: A, C of A, Bo, C, E, F -> 2 of 5.
Follow-up within 30 days: A, Bo, C of A, Bo, C, F (E's 30 days are not over) -> 3 of 4.
Lost to follow-up: F of A, Bo, C, E, F -> 1 of 5.
"""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from conftest import continuing_care_plan, naloxone_and_education, patient_fields
from waypoint.aftercare import outcomes, services
from waypoint.outcomes import figures
from waypoint.patients import services as patients


@pytest.fixture
def period(program, team, nurse):
    today = timezone.localdate(timezone=program.tz)
    b = today - timedelta(days=60)

    def at(k):
        return datetime.combine(b + timedelta(days=k), time(12), tzinfo=program.tz)

    def person(name, level, discharged_at, **plan):
        patient = patients.register_patient(
            acting_user=nurse, program=program, care_team=team, **patient_fields(mrn=name, given_name=name)
        )
        episode = patients.admit(
            acting_user=nurse, patient=patient, admitted_at=discharged_at - timedelta(days=5), level_code=level
        )
        naloxone_and_education(patient, nurse, discharged_at - timedelta(days=4))
        patients.discharge(
            acting_user=nurse,
            episode=episode,
            discharged_at=discharged_at,
            reason="completed",
            plan=continuing_care_plan(**plan),
        )
        return patient, episode.continuing_care_plan

    def contact(plan, days_after, when, **found):
        follow_up = plan.follow_ups.get(days_after=days_after)
        services.record_contact(nurse, follow_up, at=when, method="phone", **found)

    a, _ = person("A", "3.7-WM", at(0), provider_in_program=True)
    patients.admit(acting_user=nurse, patient=a, admitted_at=at(5), level_code="2.1")  # the next level, here
    _, bo = person("Bo", "3.5", at(1), no_appointment_reason="", appointment_at=at(10), appointment_place="Clinic")
    contact(bo, 30, at(12), reached=True, attended_next="yes", used_since="no")
    _, c = person("C", "3.5", at(2))
    contact(c, 7, at(6), reached=True, attended_next="yes", used_since="no")
    person("D", "2.1", at(3))
    person("E", "3.7-WM", timezone.now() - timedelta(days=10))
    _, f = person("F", "3.5", at(4))
    for hour in (1, 2, 3):
        contact(f, 7, at(11) + timedelta(hours=hour), reached=False)
    return figures.Period(program, b, today, timezone.now())


def result(key, period):
    figure = next(f for f in figures.FIGURES if f.key == key)
    found = figure.compute(period)
    return found.numerator, found.denominator


def test_follow_up_within_7_days_of_high_intensity_care(period):
    assert result("follow_up_7", period) == (2, 5)


def test_follow_up_within_30_days_leaves_out_discharges_whose_30_days_are_not_over(period):
    assert result("follow_up_30", period) == (3, 4)


def test_lost_to_follow_up_share(period):
    assert result("lost_to_follow_up", period) == (1, 5)


def test_the_cohort_is_withdrawal_management_and_24_hour_care_only(period):
    assert sorted(e.patient.mrn for e in outcomes.high_intensity_discharges(period)) == ["A", "Bo", "C", "E", "F"]


def test_the_dashboard_shows_the_follow_up_figures_with_their_definitions(page, director, period):
    body = page(director).get(f"/outcomes/?start={period.start}&end={period.end}").content.decode()
    assert "Follow-up within 7 days" in body and "was withdrawal management or 24-hour" in body
    assert "Lost to follow-up" in body
    assert "are left out, not counted as missed" in body
