"""Urine drug screens: every analyte positive / negative / not tested; a positive is expected only by the rule
table (buprenorphine or methadone while an order for it is active at collection); the rest are unexpected."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from waypoint.drug_screens import rules, services
from waypoint.drug_screens.models import DrugScreen
from waypoint.medication import services as medication

NOW = timezone.now


def kinds(findings):
    return {f.analyte: f.kind for f in findings if f.kind != "not_tested"}


def test_the_rule_table_is_exactly_buprenorphine_and_methadone():
    assert {(r.analyte, tuple(sorted(r.medications))) for r in rules.EXPECTED} == {
        ("buprenorphine", ("buprenorphine", "buprenorphine_naloxone")),
        ("methadone", ("methadone",)),
    }
    assert list(rules.ANALYTES) == [
        "opiates",
        "fentanyl",
        "buprenorphine",
        "methadone",
        "oxycodone",
        "benzodiazepines",
        "cocaine",
        "amphetamines",
        "cannabinoids",
        "xylazine",
        "alcohol_metabolite",
    ]


def test_classify_tells_expected_from_unexpected():
    results = {"buprenorphine": "positive", "fentanyl": "positive", "methadone": "negative", "cocaine": "negative"}
    assert kinds(rules.classify(results, {"buprenorphine_naloxone"})) == {
        "buprenorphine": "expected_positive",
        "fentanyl": "unexpected_positive",
        "methadone": "negative",
        "cocaine": "negative",
    }
    # the same buprenorphine without an order is unexpected; a methadone negative on methadone is flagged
    assert kinds(rules.classify(results, {"methadone"})) == {
        "buprenorphine": "unexpected_positive",
        "fentanyl": "unexpected_positive",
        "methadone": "expected_absent",
        "cocaine": "negative",
    }
    # naltrexone explains nothing
    assert kinds(rules.classify({"opiates": "positive"}, {"naltrexone_er"})) == {"opiates": "unexpected_positive"}


def record(user, patient, at=None, **results):
    return services.record_screen(
        acting_user=user, patient=patient, collected_at=at or NOW() - timedelta(hours=1), observed=True, results=results
    )


def test_a_screen_is_expected_only_while_the_order_is_active_at_collection(prescriber, nurse, admitted):
    patient = admitted.patient
    before = record(nurse, patient, at=NOW() - timedelta(hours=8), buprenorphine="positive")
    medication.order_medication(
        acting_user=prescriber,
        patient=patient,
        medication="buprenorphine",
        dose=Decimal("8"),
        route="sublingual",
        times_per_day=1,
        start_at=NOW() - timedelta(hours=6),
    )
    during = record(nurse, patient, buprenorphine="positive", fentanyl="positive", xylazine="negative")
    read = {r.screen: r for r in services.with_findings([before, during])}
    assert [f.analyte for f in read[before].unexpected] == ["buprenorphine"]
    assert [f.analyte for f in read[during].unexpected] == ["fentanyl"]
    assert kinds(read[during].findings)["buprenorphine"] == "expected_positive"
    assert during.results["cocaine"] == "not_tested" and len(during.results) == 11
    assert patient.timeline.filter(kind="drug_screen").first().summary == (
        "Urine drug screen (observed): positive for Fentanyl, Buprenorphine; unexpected: Fentanyl"
    )


def test_bad_results_are_refused_naming_each_analyte(nurse, admitted):
    with pytest.raises(ValidationError) as excinfo:
        record(nurse, admitted.patient, heroin="positive", fentanyl="maybe")
    assert set(excinfo.value.message_dict) == {"results.heroin", "results.fentanyl"}
    with pytest.raises(ValidationError) as excinfo:
        record(nurse, admitted.patient, fentanyl="not_tested")
    assert set(excinfo.value.message_dict) == {"results"}
    with pytest.raises(ValidationError) as excinfo:
        record(nurse, admitted.patient, at=NOW() + timedelta(hours=1), fentanyl="negative")
    assert set(excinfo.value.message_dict) == {"collected_at"}
    assert not DrugScreen.objects.exists()


def test_an_intake_coordinator_may_not_record_a_screen(intake, admitted):
    with pytest.raises(PermissionDenied):
        record(intake, admitted.patient, fentanyl="negative")


def test_the_api_records_and_lists_with_the_same_rules(api, nurse, prescriber, admitted):
    patient = admitted.patient
    url = f"/api/v1/patients/{patient.pk}/drug-screens/"
    bad = api(nurse).post(
        url,
        {"collected_at": NOW().isoformat(), "observed": True, "results": {"fentanyl": "maybe"}, "colour": "amber"},
        format="json",
    )
    assert bad.status_code == 400 and set(bad.json()) == {"colour"}
    bad = api(nurse).post(
        url, {"collected_at": NOW().isoformat(), "observed": True, "results": {"fentanyl": "maybe"}}, format="json"
    )
    assert bad.status_code == 400 and set(bad.json()) == {"results.fentanyl"}
    made = api(nurse).post(
        url,
        {
            "collected_at": NOW().isoformat(),
            "observed": False,
            "results": {"methadone": "positive", "cannabinoids": "negative"},
        },
        format="json",
    )
    assert made.status_code == 201 and made.json()["unexpected"] == ["methadone"]
    listed = api(prescriber).get(url).json()
    assert listed[0]["findings"] == [
        {
            "analyte": "methadone",
            "result": "positive",
            "kind": "unexpected_positive",
            "why": "no active order that explains it",
        },
        {"analyte": "cannabinoids", "result": "negative", "kind": "negative", "why": ""},
    ]


def test_the_page_records_a_screen_and_shows_an_error_next_to_the_analyte(page, nurse, admitted):
    patient = admitted.patient
    url = f"/patients/{patient.pk}/drug-screens/"
    collected = timezone.localtime(NOW() - timedelta(minutes=5), timezone=patient.program.tz)
    data = {
        "collected_at": collected.strftime("%Y-%m-%dT%H:%M"),
        "observed": "yes",
        **{f"result_{a}": "not_tested" for a in rules.ANALYTES},
    }
    refused = page(nurse).post(url, data)
    assert refused.status_code == 200 and "Give the result of at least one analyte" in refused.content.decode()
    done = page(nurse).post(url, data | {"result_fentanyl": "positive"})
    assert done.status_code == 302
    html = page(nurse).get(url).content.decode()
    assert '<strong class="unexpected">Fentanyl</strong>' in html


def test_a_screen_entered_in_error_stays_listed_but_leaves_the_figures(nurse, admitted, page):
    from waypoint.outcomes import figures

    patient = admitted.patient
    screen = record(nurse, patient, fentanyl="positive")
    services.mark_screen_in_error(acting_user=nurse, screen=screen, reason="another patient's specimen")
    today = timezone.localdate(timezone=patient.program.tz)
    period = figures.Period(patient.program, today - timedelta(days=1), today, NOW())
    assert figures.unexpected_positives(period).denominator == 0
    html = page(nurse).get(f"/patients/{patient.pk}/drug-screens/").content.decode()
    assert 'class="in-error"' in html and "another patient&#x27;s specimen" in html
    assert patient.timeline.filter(kind="drug_screen.error").exists()
