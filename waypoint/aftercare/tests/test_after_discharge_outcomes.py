"""MOUD retention, return to use, overdoses, readmission and the survival curves after discharge, against a
hand-computed data set with censored follow-up. Follow-up days: 7, 30, 90, 180. Base day B = 200 days ago
(program time zone, noon); "day n" is n local days after the discharge day. MOUD: the plan names who continues it.

    P1 3.5, discharged B+0, MOUD. Day 7 reached: no use, on MOUD. Day 30 reached: on MOUD, no use, not readmitted.
       Day 90 reached: off MOUD, used on day 60, not readmitted. Day 180: not reached 3 times -> lost.
    P2 3.5, discharged B+1, MOUD. Day 7 not reached 3 times -> lost. Day 30 reached: on MOUD, used (no day given),
       non-fatal overdose, admitted elsewhere.
    P3 3.5, discharged B+2. Day 7 reached: no use, not readmitted. Readmitted here to 3.7-WM on day 20.
    P4 3.5, discharged B+3, MOUD. Day 7 reached (the family): died of an overdose -> sentinel event.
    P5 3.5, discharged 20 days ago, MOUD. Day 7 reached: on MOUD, no use. (30 days not over: only in the overdose
       figures and the curves.)
    P6 3.5, discharged B+4. Day 7 not reached 3 times -> lost; nothing known.

MOUD at 30:  P1 yes, P2 yes, P4 no (died)           -> 2 of 3; cohort 3, lost 0
MOUD at 90:  P1 no, P2 not known (lost), P4 no      -> 0 of 2; cohort 3, lost 1
MOUD at 180: P1 no (a 'no' before, nothing after), P2 not known (lost), P4 no -> 0 of 2; cohort 3, lost 1
Use by 30:   P1 no (used day 60, known to day 90), P2 yes, P3 not known (known to day 7), P4 yes (overdose),
             P6 not known (lost)                    -> 2 of 3; cohort 5, lost 1
Use by 90:   P1 yes, P2 yes, P3 ?, P4 yes, P6 ?     -> 3 of 3; cohort 5, lost 1
Readmitted within 30 and 90: P1 no, P2 yes (day 30), P3 yes (day 20, here), P4 no (died day 7), P6 ? (lost)
                                                    -> 2 of 4; cohort 5, lost 1
Non-fatal overdose: of P1-P5 (reached), P2          -> 1 of 5; cohort 6, lost 1 (P6). Fatal: P4 -> 1 of 5.
Time to use:  P1 event 60, P2 event 30, P3 censored 7, P4 event 7, P5 censored 7, P6 censored 0.
    day 0: 6 followed, 1 censored, 100%; day 7: 5 followed, 1 event, 2 censored, 4/5; day 30: 2 followed, 1 event,
    2/5; day 60: 1 followed, 1 event, 0.
Time to readmission: P1 censored 90, P2 event 30, P3 event 20, P4 censored 7 (death), P5 censored 0 (no answer),
    P6 censored 0.  day 0: 6, 2 censored, 1; day 7: 4, 1 censored, 1; day 20: 3, 1 event, 2/3; day 30: 2,
    1 event, 1/3; day 90: 1, 1 censored, 1/3. At day 90: 1/3.
"""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from conftest import continuing_care_plan, naloxone_and_education, patient_fields
from waypoint.accounts import program_settings
from waypoint.aftercare import services
from waypoint.aftercare.models import ContinuingCarePlan, FollowUp, SentinelEvent
from waypoint.outcomes import figures
from waypoint.patients import services as patients


@pytest.fixture
def period(program, team, nurse):
    program_settings.change(program, "aftercare.follow_up_days", [7, 30, 90, 180], acting_user=nurse)
    today = timezone.localdate(timezone=program.tz)
    b = today - timedelta(days=200)

    def at(k):
        return datetime.combine(b + timedelta(days=k), time(12), tzinfo=program.tz)

    def person(name, discharged_at, moud=False):
        patient = patients.register_patient(
            acting_user=nurse, program=program, care_team=team, **patient_fields(mrn=name, given_name=name)
        )
        episode = patients.admit(
            acting_user=nurse, patient=patient, admitted_at=discharged_at - timedelta(days=5), level_code="3.5"
        )
        naloxone_and_education(patient, nurse, discharged_at - timedelta(days=4))
        extra = {}
        if moud:
            extra = {
                "moud_continued_by": "Harbor clinic",
                "moud_next_due": timezone.localtime(discharged_at, program.tz).date().isoformat(),
                "no_moud_reason": "",
            }
        patients.discharge(
            acting_user=nurse,
            episode=episode,
            discharged_at=discharged_at,
            reason="completed",
            plan=continuing_care_plan(**extra),
        )
        return patient, ContinuingCarePlan.objects.select_related("episode").get(episode_id=episode.pk)

    def contact(plan, days_after, **found):
        follow_up = plan.follow_ups.get(days_after=days_after)
        when = timezone.localtime(plan.episode.discharged_at, program.tz) + timedelta(days=days_after)
        services.record_contact(nurse, follow_up, at=when, method="phone", **found)

    def unreached(plan, days_after):
        follow_up = plan.follow_ups.get(days_after=days_after)
        when = timezone.localtime(plan.episode.discharged_at, program.tz) + timedelta(days=days_after)
        for hour in (1, 2, 3):
            services.record_contact(nurse, follow_up, at=when + timedelta(hours=hour), method="phone", reached=False)

    _, p1 = person("P1", at(0), moud=True)
    contact(p1, 7, reached=True, used_since="no", moud_continued="yes")
    contact(p1, 30, reached=True, used_since="no", moud_continued="yes", readmitted="no")
    contact(
        p1, 90, reached=True, used_since="yes", used_on=(b + timedelta(days=60)), moud_continued="no", readmitted="no"
    )
    unreached(p1, 180)
    _, p2 = person("P2", at(1), moud=True)
    unreached(p2, 7)
    contact(p2, 30, reached=True, used_since="yes", moud_continued="yes", overdose="non_fatal", readmitted="yes")
    p3, p3_plan = person("P3", at(2))
    contact(p3_plan, 7, reached=True, used_since="no", readmitted="no")
    patients.admit(acting_user=nurse, patient=p3, admitted_at=at(22), level_code="3.7-WM")
    _, p4 = person("P4", at(3), moud=True)
    contact(p4, 7, reached=True, overdose="fatal", note="Her sister called.")
    _, p5 = person("P5", timezone.now() - timedelta(days=20), moud=True)
    contact(p5, 7, reached=True, used_since="no", moud_continued="yes")
    _, p6 = person("P6", at(4))
    unreached(p6, 7)
    return figures.Period(program, b, today, timezone.now())


def result(key, period):
    figure = next(f for f in figures.FIGURES if f.key == key)
    return figure.compute(period)


@pytest.mark.parametrize(
    "key, expected",
    [
        ("moud_retention_30", (2, 3, 3, 0)),
        ("moud_retention_90", (0, 2, 3, 1)),
        ("moud_retention_180", (0, 2, 3, 1)),
        ("return_to_use_30", (2, 3, 5, 1)),
        ("return_to_use_90", (3, 3, 5, 1)),
        ("readmission_30", (2, 4, 5, 1)),
        ("readmission_90", (2, 4, 5, 1)),
        ("overdose_non_fatal", (1, 5, 6, 1)),
        ("overdose_fatal", (1, 5, 6, 1)),
    ],
)
def test_each_rate_matches_the_hand_computed_set(period, key, expected):
    found = result(key, period)
    assert (found.numerator, found.denominator, found.cohort, found.lost) == expected


def test_deaths_after_discharge_are_counted(period):
    assert result("deaths_after_discharge", period).value == 1


def test_time_to_return_to_use_curve(period):
    found = result("time_to_use", period)
    assert [s[:4] for s in found.steps] == [(0, 6, 0, 1), (7, 5, 1, 2), (30, 2, 1, 0), (60, 1, 1, 0)]
    assert [s[4] for s in found.steps] == pytest.approx([1, 4 / 5, 2 / 5, 0])
    assert (found.numerator, found.denominator, found.value) == (3, 6, 0)


def test_time_to_readmission_curve(period):
    found = result("time_to_readmission", period)
    assert [s[:4] for s in found.steps] == [(0, 6, 0, 2), (7, 4, 0, 1), (20, 3, 1, 0), (30, 2, 1, 0), (90, 1, 0, 1)]
    assert [s[4] for s in found.steps] == pytest.approx([1, 1, 2 / 3, 1 / 3, 1 / 3])
    assert found.value == pytest.approx(1 / 3)


def test_a_reported_death_closes_the_follow_up_and_flags_a_sentinel_event(period):
    event = SentinelEvent.objects.get()
    assert event.patient.mrn == "P4" and event.what == "Death from an overdose"
    assert set(event.plan.follow_ups.values_list("days_after", "status")) == {
        (7, FollowUp.Status.DONE),
        (30, FollowUp.Status.CLOSED),
        (90, FollowUp.Status.CLOSED),
        (180, FollowUp.Status.CLOSED),
    }


def test_the_dashboard_shows_each_rate_with_the_lost_share_and_the_curves(page, director, period):
    body = page(director).get(f"/outcomes/?start={period.start}&end={period.end}").content.decode()
    assert "Still on MOUD at day 90" in body
    row = body[body.index('id="figure-moud_retention_90"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="value">0% (0 of 2)</td>' in row
    assert '<td class="lost">1 of 3 (33%)<br><span class="muted">outcome not known: 1 of 3</span></td>' in row
    assert "Return to use by day 30" in body
    assert "Time to readmission (Kaplan-Meier)" in body
    assert "33% at day 90 (2 of 6)" in body
    assert 'class="outcome-chart survival"' in body
    assert "<caption>Time to return to use (Kaplan-Meier): each day on which a case ended</caption>" in body
    assert "Deaths after discharge" in body


def test_the_api_and_the_csv_carry_the_lost_share_and_the_curve(api, page, director, period):
    query = f"?start={period.start}&end={period.end}"
    body = api(director).get("/api/v1/outcomes/" + query).json()
    by_key = {f["key"]: f for f in body["figures"]}
    moud = by_key["moud_retention_90"]
    assert (moud["numerator"], moud["denominator"], moud["cohort"], moud["lost_to_follow_up"]) == (0, 2, 3, 1)
    curve = by_key["time_to_readmission"]["survival"]
    assert [(s["day"], s["followed"], s["events"], s["censored"]) for s in curve][2] == (20, 3, 1, 0)
    csv = page(director).get("/outcomes/export.csv" + query).content.decode()
    assert "moud_retention_90,Still on MOUD at day 90,lost to follow-up,,1,3," in csv
