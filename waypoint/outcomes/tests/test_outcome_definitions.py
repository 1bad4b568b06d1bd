"""Each outcome figure against a data set small enough to count by hand (the counting is written out below).

B is a Monday 140 local days ago (program time zone America/New_York); every event is at 12:00 local on day
B+k. The period is B .. B+27 inclusive (four whole weeks). Levels: 3.7-WM (withdrawal management), 3.5
(residential), 2.1 and 1 (outpatient).

    P1 admitted B+0 3.7-WM -> 3.5 at B+4 -> 2.1 at B+30; still in care.   Buprenorphine order from B+0.
    P2 admitted B+1 3.7-WM; discharged B+3 left against advice (refused naloxone: a refusal is not a kit).
    P3 admitted B+2 3.7-WM; discharged B+6 completed; naloxone kit in the episode.
    P4 admitted B+9 3.5; discharged B+50 completed; kit (its discharge is after the period).
    P5 admitted B-10 3.5 -> 1 at B+5 (a step-down); still in care.
    P6 admitted B+20 3.5; discharged B+25 administrative; no kit.
    P7 admitted B-40 2.1; discharged B+10 completed; kit at B-39.
    P8 admitted B+3 3.5 -> 3.7-WM at B+8; still in care.
    Screens: S1 P1 B+1 buprenorphine+ (on order: expected); S2 P1 B+2 fentanyl+ (unexpected);
             S3 P5 B+6 methadone+ (no order: unexpected); S4 P4 B+10 all tested negative;
             S5 P4 B+40 fentanyl+ (after the period).
"""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from conftest import continuing_care_plan, patient_fields
from waypoint.accounts import program_settings
from waypoint.drug_screens import services as screens
from waypoint.medication import services as medication
from waypoint.outcomes import figures
from waypoint.patients import services as patients
from waypoint.screening import services as screening


@pytest.fixture
def data(program, team, nurse, prescriber):
    program_settings.change(program, "screening.require_naloxone_at_transition", False, acting_user=nurse)
    today = timezone.localdate(timezone=program.tz)
    b = today - timedelta(days=140)
    b -= timedelta(days=b.weekday())  # a Monday

    def at(k):
        return datetime.combine(b + timedelta(days=k), time(12), tzinfo=program.tz)

    made = {}

    def person(name, admitted, level, moves=(), discharge=None, kit=None):
        patient = patients.register_patient(
            acting_user=nurse, program=program, care_team=team, **patient_fields(mrn=name)
        )
        episode = patients.admit(acting_user=nurse, patient=patient, admitted_at=at(admitted), level_code=level)
        if kit is not None:
            screening.dispense_naloxone(
                acting_user=nurse,
                patient=patient,
                dispensed_at=at(kit),
                formulation="nasal_4mg",
                strength="4 mg",
                quantity=1,
            )
        for day, code in moves:
            patients.transfer(acting_user=nurse, episode=episode, at=at(day), level_code=code, reason="planned")
        if discharge is not None:
            patients.discharge(
                acting_user=nurse,
                episode=episode,
                discharged_at=at(discharge[0]),
                reason=discharge[1],
                plan=continuing_care_plan(offered="Outpatient follow-up"),
            )
        made[name] = patient
        return patient

    p1 = person("P1", 0, "3.7-WM", [(4, "3.5"), (30, "2.1")])
    p2 = person("P2", 1, "3.7-WM", discharge=(3, "left_against_advice"))
    screening.record_refusal(acting_user=nurse, patient=p2, what="kit", refused_at=at(2))
    person("P3", 2, "3.7-WM", discharge=(6, "completed"), kit=3)
    p4 = person("P4", 9, "3.5", discharge=(50, "completed"), kit=10)
    p5 = person("P5", -10, "3.5", [(5, "1")])
    person("P6", 20, "3.5", discharge=(25, "administrative"))
    person("P7", -40, "2.1", discharge=(10, "completed"), kit=-39)
    person("P8", 3, "3.5", [(8, "3.7-WM")])
    medication.order_medication(
        acting_user=prescriber,
        patient=p1,
        medication="buprenorphine",
        dose=Decimal("8"),
        route="sublingual",
        times_per_day=1,
        start_at=at(0),
    )
    for patient, day, results in (
        (p1, 1, {"buprenorphine": "positive"}),
        (p1, 2, {"fentanyl": "positive"}),
        (p5, 6, {"methadone": "positive"}),
        (p4, 10, {"cocaine": "negative", "fentanyl": "negative"}),
        (p4, 40, {"fentanyl": "positive"}),
    ):
        screens.record_screen(acting_user=nurse, patient=patient, collected_at=at(day), observed=True, results=results)
    return figures.Period(program, b, b + timedelta(days=27), timezone.now()), b


def result(data, key):
    period, _ = data
    figure = next(f for f in figures.FIGURES if f.key == key)
    return figure.compute(period)


def test_admissions_count_episodes_admitted_in_the_period_by_week(data):
    # In the period: P1 (B), P2 (B+1), P3 (B+2), P8 (B+3) | P4 (B+9) | P6 (B+20) | none. P5, P7 before B.
    _, b = data
    found = result(data, "admissions")
    assert found.value == 6
    assert found.series == [
        (b, 4),
        (b + timedelta(days=7), 1),
        (b + timedelta(days=14), 1),
        (b + timedelta(days=21), 0),
    ]


def test_census_counts_episodes_open_at_the_end_of_each_day(data):
    # End of B: P1, P5, P7 = 3. End of B+1: + P2 = 4. End of B+2: + P3 = 5. End of B+3: - P2 (noon), + P8 = 5.
    # End of B+27: P1, P4, P5, P8 = 4 (P3 left B+6, P7 B+10, P6 B+25).
    _, b = data
    found = result(data, "census")
    by_day = dict(found.series)
    assert [by_day[b + timedelta(days=k)] for k in range(4)] == [3, 4, 5, 5]
    assert len(found.series) == 28 and found.value == 4 == by_day[b + timedelta(days=27)]


def test_retention_at_30_and_90_days(data):
    # Cohort: admitted in the period = P1, P2, P3, P4, P6, P8 (6); all have reached day 90 (B+27+90 < today).
    # Day 30: P1 open, P4 left at day 41, P8 open -> 3 of 6. P2 (day 2), P3 (day 4), P6 (day 5) left earlier.
    # Day 90: P1 and P8 open -> 2 of 6; P4 left at day 41.
    r30, r90 = result(data, "retention_30"), result(data, "retention_90")
    assert (r30.numerator, r30.denominator, r30.value) == (3, 6, 0.5)
    assert (r90.numerator, r90.denominator) == (2, 6)


def test_retention_leaves_out_episodes_whose_day_has_not_come(data, nurse, program, team):
    period, _ = data
    late = patients.register_patient(acting_user=nurse, program=program, care_team=team, **patient_fields(mrn="LATE"))
    patients.admit(acting_user=nurse, patient=late, admitted_at=timezone.now() - timedelta(days=10), level_code="1")
    recent = figures.Period(program, period.start, timezone.localdate(timezone=program.tz), timezone.now())
    assert figures.retention(30)(recent).denominator == 6  # the episode admitted 10 days ago is not counted


def test_withdrawal_management_completion(data):
    # WM stays that ended in the period: P1 (B+4, moved to 3.5: completed), P2 (B+3, left against advice: not),
    # P3 (B+6, discharged completed: completed). P8's WM stay is still open. -> 2 of 3.
    found = result(data, "wm_completion")
    assert (found.numerator, found.denominator) == (2, 3)


def test_share_of_discharges_with_naloxone(data):
    # Discharged in the period: P2 (refusal only: no), P3 (kit: yes), P6 (no), P7 (kit: yes). P4 after -> 2 of 4.
    found = result(data, "naloxone_at_discharge")
    assert (found.numerator, found.denominator, found.value) == (2, 4, 0.5)


def test_step_down_rate(data):
    # 24-hour non-WM stays ended in the period: P5 3.5 (B+5 -> 1: step-down), P6 3.5 (B+25 discharged: not),
    # P8 3.5 (B+8 -> 3.7-WM, a level with beds: left out). P1 and P4's 3.5 stays end after the period. -> 1 of 2.
    found = result(data, "step_down")
    assert (found.numerator, found.denominator) == (1, 2)


def test_unexpected_positive_screen_rate(data):
    # Screens in the period: S1 (expected bup), S2 (fentanyl: unexpected), S3 (methadone, no order: unexpected),
    # S4 (negatives). S5 is after the period. -> 2 of 4.
    found = result(data, "unexpected_positives")
    assert (found.numerator, found.denominator, found.value) == (2, 4, 0.5)


def test_a_rate_with_nothing_to_count_is_none_not_zero(program, nurse):
    today = timezone.localdate(timezone=program.tz)
    period = figures.Period(program, today, today, timezone.now())
    assert figures.wm_completion(period).value is None
    assert figures.admissions(period).value == 0


def test_a_registered_figure_joins_the_dashboard_csv_and_api(data, page, api, director):
    period, _ = data
    extra = figures.Figure(
        "attendance_by_modality",
        "Attendance by modality",
        "rate",
        "Test figure.",
        lambda p: figures.Result(None, breakdown=[("Group therapy", 3, 4)]),
    )
    figures.FIGURES.append(extra)
    try:
        query = f"?start={period.start}&end={period.end}"
        html = page(director).get("/outcomes/" + query).content.decode()
        assert "Attendance by modality" in html and "Group therapy: 75% (3 of 4)" in html
        csv_text = page(director).get("/outcomes/export.csv" + query).content.decode()
        assert "attendance_by_modality,Attendance by modality,Group therapy,0.75,3,4," in csv_text
        body = api(director).get("/api/v1/outcomes/" + query).json()
        assert body["figures"][-1]["breakdown"] == [{"label": "Group therapy", "numerator": 3, "denominator": 4}]
    finally:
        figures.FIGURES.remove(extra)


def test_the_dashboard_and_csv_show_each_definition_and_value(data, page, director):
    period, _ = data
    query = f"?start={period.start}&end={period.end}"
    html = page(director).get("/outcomes/" + query).content.decode()
    for figure in figures.FIGURES:
        assert figure.definition.replace("'", "&#x27;") in html
    assert "50% (3 of 6)" in html and "<svg" in html and "<script>" not in html
    response = page(director).get("/outcomes/export.csv" + query)
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "figure,title,part,value,numerator,denominator,definition"
    assert any(line.startswith("wm_completion,Withdrawal management completion,total,0.6667,2,3,") for line in lines)


def test_the_period_filter_refuses_an_end_before_the_start(page, api, director):
    assert (
        "The end must not be before the start."
        in page(director).get("/outcomes/?start=2026-03-02&end=2026-03-01").content.decode()
    )
    response = api(director).get("/api/v1/outcomes/?start=2026-03-02&end=2026-03-01")
    assert response.status_code == 400 and set(response.json()) == {"end"}


def test_only_the_director_reads_outcomes(page, api, nurse, intake, director):
    assert page(nurse).get("/outcomes/").status_code == 403
    assert page(intake).get("/outcomes/export.csv").status_code == 403
    assert api(nurse).get("/api/v1/outcomes/").status_code == 403
    assert page(director).get("/outcomes/").status_code == 200


def test_the_default_period_ends_on_the_programs_day_also_over_the_api(api, director, program):
    """At 9 pm in New York the server's date is already tomorrow: the last 90 days end on the program's day."""
    with time_machine.travel(datetime(2026, 12, 8, 2, 0, tzinfo=UTC), tick=False):
        body = api(director).get("/api/v1/outcomes/").json()
    assert (body["start"], body["end"]) == ("2026-09-09", "2026-12-07")
