"""TEDS records of a month against a hand-built period (program time zone America/New_York).

M is the month two months before the program's current month; times are local wall-clock times.

    A  admitted the day before M at 21:00 (02:00 UTC on M's first day: outside), discharged M+9 completed -> one
       discharge record; from a hospital referral; history: fentanyl smoked and snorted, daily, first at 22.
    B  an earlier episode 200 days before M (discharged), then admitted M's first day at 00:00 (inside) from a
       court referral at 3.7-WM -> one admission record, prior episodes 1; history: benzodiazepines not used now
       (age 15), heroin injected and smoked several times a day (age 19), alcohol weekly (age 16): heroin primary.
    C  admitted M's last day at 22:30 (03:30 UTC the next month: inside); no referral, no history -> an admission
       record on the work list (substance, route, frequency, age of first use, referral source missing).
    D  self-referred, admitted M+4 at 3.5 -> transferred to 1 on M+6 -> discharged at 00:00 on the next month's
       first day: an admission record only.
    E  admitted at 00:00 on the next month's first day: nothing.
    North: a patient of another program admitted in M: never in the report.
"""

import csv
import io
import json
import re
from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from conftest import continuing_care_plan, make_user, patient_fields
from waypoint.accounts.program_settings import change
from waypoint.accounts.roles import Role
from waypoint.patients import services as patients
from waypoint.patients.models import Patient
from waypoint.placements import referrals
from waypoint.privacy.models import AuditEvent
from waypoint.regulatory import teds
from waypoint.screening import services as screening


def month_of(program) -> date:
    today = program.today()
    first = today.replace(day=1)
    return (first - timedelta(days=40)).replace(day=1)


def local(program, day: date, hour=12, minute=0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=program.tz)


@pytest.fixture
def period(program, team, nurse, director, north, north_nurse):
    change(program, "screening.require_naloxone_at_transition", False, acting_user=nurse)
    m = month_of(program)
    following = (m + timedelta(days=32)).replace(day=1)
    last = following - timedelta(days=1)
    made = {}

    def person(mrn, **fields):
        made[mrn] = patients.register_patient(
            acting_user=nurse,
            program=program,
            care_team=team,
            **patient_fields(mrn=mrn, given_name=f"Client{mrn}", state="ma", postal_code="02110") | fields,
        )
        return made[mrn]

    def referred(patient, source, at, level):
        referral = referrals.create_referral(
            acting_user=nurse,
            program=program,
            name=f"{patient.given_name} {patient.family_name}",
            contact="555-0100",
            source=source,
            received_at=at - timedelta(days=2),
            requested_level=level,
        )
        return referrals.admit_referral(acting_user=nurse, referral=referral, admitted_at=at, patient=patient).episode

    def discharge(episode, at, reason):
        patients.discharge(
            acting_user=nurse,
            episode=episode,
            discharged_at=at,
            reason=reason,
            plan=continuing_care_plan(offered="Outpatient follow-up"),
        )

    a = person("A", sex_at_birth="male")
    episode = referred(a, "hospital", local(program, m - timedelta(days=1), 21), "3.7-WM")
    discharge(episode, local(program, m + timedelta(days=9), 10), "completed")
    screening.record_history(
        acting_user=nurse,
        patient=a,
        uses=[{"substance": "fentanyl", "routes": ["snorting", "smoking"], "frequency": "daily", "age_first_use": 22}],
    )

    b = person("B")
    earlier = patients.admit(
        acting_user=nurse, patient=b, admitted_at=local(program, m - timedelta(days=200)), level_code="3.5"
    )
    discharge(earlier, local(program, m - timedelta(days=170)), "left_against_advice")
    referred(b, "court", local(program, m, 0, 0), "3.7-WM")
    screening.record_history(
        acting_user=nurse,
        patient=b,
        uses=[
            {"substance": "benzodiazepines", "routes": ["oral"], "frequency": "past_use", "age_first_use": 15},
            {
                "substance": "heroin",
                "routes": ["smoking", "injection"],
                "frequency": "daily_multiple",
                "age_first_use": 19,
            },
            {"substance": "alcohol", "routes": ["oral"], "frequency": "weekly", "age_first_use": 16},
        ],
    )

    c = person("C", state="", postal_code="")
    patients.admit(acting_user=nurse, patient=c, admitted_at=local(program, last, 22, 30), level_code="3.7-WM")

    d = person("D")
    episode = referred(d, "self", local(program, m + timedelta(days=4)), "3.5")
    patients.transfer(
        acting_user=nurse, episode=episode, at=local(program, m + timedelta(days=6)), level_code="1", reason="step down"
    )
    discharge(episode, local(program, following, 0, 0), "transferred")
    screening.record_history(
        acting_user=nurse,
        patient=d,
        uses=[{"substance": "heroin", "routes": ["injection"], "frequency": "daily", "age_first_use": 30}],
    )

    e = person("E")
    patients.admit(acting_user=nurse, patient=e, admitted_at=local(program, following, 0, 0), level_code="3.5")

    north_patient = patients.register_patient(
        acting_user=north_nurse, program=north, **patient_fields(mrn="N-1", state="MA", postal_code="02110")
    )
    patients.admit(
        acting_user=north_nurse, patient=north_patient, admitted_at=local(north, m + timedelta(days=3)), level_code="1"
    )
    return {"month": teds.Period(m.year, m.month), "m": m, **made}


def report(program, period):
    return teds.build(program, period["month"], teds.load("sample"), Patient.objects.all())


def by_mrn(records, kind):
    return {r.patient.mrn: r for r in records if r.kind == kind}


def test_the_months_records_are_those_inside_its_midnights_in_the_program_time_zone(program, period):
    result = report(program, period)
    assert sorted(by_mrn(result.records, "admission")) == ["B", "C", "D"]
    assert sorted(by_mrn(result.records, "discharge")) == ["A"]
    assert result.counts() == {"admission": {"total": 3, "complete": 2}, "discharge": {"total": 1, "complete": 1}}


def test_field_values_follow_the_crosswalk(program, period):
    result = report(program, period)
    m = period["m"]
    b = by_mrn(result.records, "admission")["B"].values
    assert b["RECORD_TYPE"] == "A"
    assert b["PROVIDER"] == "harbor" and b["CLIENT_ID"] == "B"
    assert b["ADMISSION_DATE"] == m.isoformat()
    assert b["BIRTH_DATE"] == "1988-04-12" and b["SEX_AT_BIRTH"] == "F"
    assert b["STATE_OF_RESIDENCE"] == "MA" and b["POSTAL_CODE"] == "02110"
    # heroin (several times a day) before alcohol (weekly) before benzodiazepines (not used now)
    assert [b[f"SUBSTANCE_{n}"] for n in (1, 2, 3)] == ["HEROIN", "ALCOHOL", "BENZODIAZEPINES"]
    assert [b[f"ROUTE_{n}"] for n in (1, 2, 3)] == ["INJECTION", "ORAL", "ORAL"]  # injection before smoking
    assert [b[f"FREQUENCY_{n}"] for n in (1, 2, 3)] == ["DAILY", "WEEKLY", "NO-USE-NOW"]
    assert [b[f"AGE_FIRST_USE_{n}"] for n in (1, 2, 3)] == ["19", "16", "15"]
    assert b["REFERRAL_SOURCE"] == "COURT"
    assert b["PRIOR_EPISODES"] == "1"
    assert b["SERVICE_SETTING"] == "WITHDRAWAL-MANAGEMENT"

    d = by_mrn(result.records, "admission")["D"].values
    assert d["PRIOR_EPISODES"] == "0" and d["SERVICE_SETTING"] == "RESIDENTIAL"
    assert (d["SUBSTANCE_2"], d["ROUTE_2"], d["AGE_FIRST_USE_2"]) == ("NONE", "NONE", "")

    a = by_mrn(result.records, "discharge")["A"].values
    assert a["RECORD_TYPE"] == "D" and a["SEX_AT_BIRTH"] == "M"
    assert a["ADMISSION_DATE"] == (m - timedelta(days=1)).isoformat()
    assert a["DISCHARGE_DATE"] == (m + timedelta(days=9)).isoformat()
    assert a["DISCHARGE_REASON"] == "COMPLETED" and a["REFERRAL_SOURCE"] == "HOSPITAL"
    assert (a["SUBSTANCE_1"], a["ROUTE_1"], a["FREQUENCY_1"]) == ("FENTANYL", "SMOKING", "DAILY")
    assert a["SERVICE_SETTING"] == a["SERVICE_SETTING_AT_DISCHARGE"] == "WITHDRAWAL-MANAGEMENT"


def test_a_record_missing_a_field_is_on_the_work_list_and_not_in_the_export(program, period):
    result = report(program, period)
    [c] = result.work_list
    assert c.patient.mrn == "C" and c.kind == "admission"
    missing = {m.field: m for m in c.missing}
    assert set(missing) == {
        "STATE_OF_RESIDENCE",
        "SUBSTANCE_1",
        "ROUTE_1",
        "FREQUENCY_1",
        "AGE_FIRST_USE_1",
        "REFERRAL_SOURCE",
    }
    assert missing["SUBSTANCE_1"].url == f"/patients/{c.patient.pk}/history/"
    assert missing["STATE_OF_RESIDENCE"].url == f"/patients/{c.patient.pk}/edit/"
    assert missing["REFERRAL_SOURCE"].url == "/referrals/new/"
    exported = result.as_json()
    assert [r["CLIENT_ID"] for r in exported["admissions"]] == ["B", "D"]
    assert [r["CLIENT_ID"] for r in exported["discharges"]] == ["A"]
    assert exported["left_out_incomplete"] == 1 and exported["sample"] is True
    rows = list(result.csv_rows())
    assert rows[0][:3] == ["RECORD_TYPE", "PROVIDER", "CLIENT_ID"] and rows[0][-1] == "DISCHARGE_REASON"
    assert sorted(row[2] for row in rows[1:]) == ["A", "B", "D"]


def test_a_route_missing_for_the_primary_substance_is_named(program, period, nurse):
    screening.record_history(
        acting_user=nurse,
        patient=period["D"],
        uses=[{"substance": "heroin", "routes": [], "frequency": "daily", "age_first_use": 30}],
    )
    d = by_mrn(report(program, period).records, "admission")["D"]
    assert [m.field for m in d.missing] == ["ROUTE_1"]


def test_another_programs_patients_never_appear(program, north, period):
    assert all(r.patient.program_id == program.pk for r in report(program, period).records)
    north_report = teds.build(north, period["month"], teds.load("sample"), Patient.objects.filter(program=program))
    assert north_report.records == []


def test_the_sample_crosswalk_says_it_is_a_sample():
    crosswalk = teds.load("sample")
    assert crosswalk.sample and "SAMPLE" in crosswalk.notice
    assert teds.available()[0] == "sample"


def sample_data():
    return json.loads((teds.CROSSWALK_DIR / "sample.json").read_text())


def test_a_crosswalk_without_a_code_for_a_value_is_refused_naming_the_field():
    data = sample_data()
    del data["codes"]["sex"]["unknown"]
    with pytest.raises(ValidationError) as refused:
        teds.validate(data, "sample")
    assert refused.value.message_dict["records.admission.SEX_AT_BIRTH.codes"] == ["No code for unknown."]


def test_a_crosswalk_naming_an_unknown_source_or_a_discharge_field_on_admission_is_refused():
    data = sample_data()
    data["records"]["admission"][5]["source"] = "race"
    data["records"]["admission"].append({"name": "OUT", "source": "discharge_reason", "codes": "discharge_reason"})
    data["records"]["discharge"][0]["required"] = "yes"
    with pytest.raises(ValidationError) as refused:
        teds.validate(data, "sample")
    errors = refused.value.message_dict
    assert errors["records.admission.BIRTH_DATE.source"][0].startswith("Unknown source")
    assert errors["records.admission.OUT.source"] == ["Discharge reason is not part of the admission record."]
    assert errors["records.discharge.RECORD_TYPE.required"] == ["true or false."]


def test_a_sample_without_its_notice_and_an_unknown_state_are_refused():
    data = sample_data()
    data["notice"] = ""
    with pytest.raises(ValidationError) as refused:
        teds.validate(data, "sample")
    assert "notice" in refused.value.message_dict
    with pytest.raises(ValidationError) as unknown:
        teds.load("ny")
    assert unknown.value.message_dict["state"] == ["No crosswalk for 'ny'; in the repository: sample."]


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-01", "2026/01", "9999-12", ""])
def test_a_period_is_a_month_written_yyyy_mm(text):
    with pytest.raises(ValidationError) as refused:
        teds.Period.parse(text)
    assert "period" in refused.value.message_dict


def test_the_command_writes_the_complete_records_and_names_those_held_back(program, period, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command("report", "teds", "--period", str(period["month"]), "--program", "harbor", stdout=out, stderr=err)
    written = json.loads(out.getvalue())
    assert written["crosswalk"] == "sample" and written["sample"] is True and written["period"] == str(period["month"])
    assert [r["CLIENT_ID"] for r in written["admissions"]] == ["B", "D"]
    assert [r["CLIENT_ID"] for r in written["discharges"]] == ["A"]
    assert "2 of 3 admissions and 1 of 1 discharges exported" in err.getvalue()
    assert "held back: C admission" in err.getvalue()
    assert "missing State of residence, Primary substance" in err.getvalue()

    target = tmp_path / "teds.csv"
    call_command(
        "report", "teds", "--period", str(period["month"]), "--state", "SAMPLE", "--format", "csv",
        "--output", str(target), "--program", "harbor", stderr=io.StringIO(),
    )  # fmt: skip
    rows = list(csv.reader(target.read_text().splitlines()))
    assert rows[0][0] == "RECORD_TYPE" and len(rows) == 4

    exports = AuditEvent.objects.filter(action="teds.export").order_by("id")
    assert [e.detail["format"] for e in exports] == ["json", "csv"]
    assert exports[0].channel == "command" and exports[0].actor_name == "system"
    assert exports[0].detail | {"format": "json"} == {
        "period": str(period["month"]),
        "crosswalk": "sample",
        "sample": True,
        "admissions": 2,
        "discharges": 1,
        "held_back": 1,
        "format": "json",
    }
    exported = AuditEvent.objects.filter(action="teds.export.patient", detail__format="json")
    assert sorted(exported.values_list("patient_id", flat=True)) == sorted(period[k].pk for k in "ABD")


def test_the_command_refuses_a_bad_month_or_an_unknown_state_naming_it(program, period):
    with pytest.raises(CommandError, match="period: Give the month as YYYY-MM"):
        call_command("report", "teds", "--period", "2026-13", "--program", "harbor")
    with pytest.raises(CommandError, match="state: No crosswalk for 'zz'"):
        call_command("report", "teds", "--period", "2026-01", "--state", "zz", "--program", "harbor")
    with pytest.raises(CommandError, match="--program"):
        call_command("report", "teds", "--period", "2026-01")  # two programs: harbor and north
    assert not AuditEvent.objects.filter(action__startswith="teds.").exists()


# --- the director's page -------------------------------------------------------------------------------------


def test_the_director_sees_the_counts_and_the_work_list_with_where_to_enter_each_field(page, director, period):
    client = page(director)
    response = client.get(reverse("regulatory:teds"), {"period": str(period["month"]), "state": "sample"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sample crosswalk." in body and "not any state" in body
    rows = re.findall(r'<tr><th scope="row">(\w+)</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td></tr>', body)
    assert rows == [("Admissions", "3", "2", "1"), ("Discharges", "1", "1", "0")]
    c = period["C"]
    assert f'href="/patients/{c.pk}/history/">enter it in the substance use history</a>' in body
    assert f'href="/patients/{c.pk}/edit/">enter it in the patient&#x27;s details</a>' in body
    assert "ClientB" not in body  # complete records are counted, not listed
    read = AuditEvent.objects.get(action="teds.read")
    assert read.actor == director and read.detail["held_back"] == 1 and read.detail["period"] == str(period["month"])
    assert list(AuditEvent.objects.filter(action="teds.work_list.read").values_list("patient_id", flat=True)) == [c.pk]


def test_the_director_downloads_the_complete_records_as_json_and_csv_and_each_export_is_audited(page, director, period):
    client = page(director)
    query = {"period": str(period["month"]), "state": "sample"}
    response = client.get(reverse("regulatory:teds-json"), query)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="teds-sample-harbor-{period["month"]}.json"'
    data = json.loads(response.content)
    assert [r["CLIENT_ID"] for r in data["admissions"] + data["discharges"]] == ["B", "D", "A"]
    response = client.get(reverse("regulatory:teds-csv"), query)
    rows = list(csv.reader(response.content.decode().splitlines()))
    assert [row[2] for row in rows] == ["CLIENT_ID", "B", "D", "A"]
    assert list(AuditEvent.objects.filter(action="teds.export").values_list("detail__format", flat=True)) == [
        "json",
        "csv",
    ]
    per_patient = AuditEvent.objects.filter(action="teds.export.patient", actor=director, channel="page")
    assert per_patient.count() == 6 and {e.patient_id for e in per_patient} == {period[k].pk for k in "ABD"}


def test_a_spreadsheet_formula_in_a_field_is_neutralised_in_the_csv(page, director, period, nurse):
    patient = period["B"]
    patient.postal_code = "=SUM(A1)"
    patient.save()
    response = page(director).get(reverse("regulatory:teds-csv"), {"period": str(period["month"]), "state": "sample"})
    assert "'=SUM(A1)" in response.content.decode()


def test_a_nurse_is_refused_and_the_refusal_is_audited(page, nurse, period):
    response = page(nurse).get(reverse("regulatory:teds"), {"period": str(period["month"]), "state": "sample"})
    assert response.status_code == 403
    denied = AuditEvent.objects.get(action="access.denied")
    assert denied.actor == nurse and denied.outcome == "denied" and "/reports/teds/" in denied.detail["url"]
    assert page(nurse).get(reverse("regulatory:teds-csv")).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="teds.").exists()


def test_a_bad_month_is_named_on_the_page_and_refused_for_the_download(page, director, period):
    client = page(director)
    response = client.get(reverse("regulatory:teds"), {"period": "2026-13", "state": "sample"})
    assert response.status_code == 200 and "Give the month as YYYY-MM" in response.content.decode()
    response = client.get(reverse("regulatory:teds-csv"), {"period": "2026-13", "state": "sample"})
    assert response.status_code == 400 and response.content.decode().startswith("period: Give the month")
    assert not AuditEvent.objects.filter(action__startswith="teds.").exists()


def test_the_director_of_another_program_sees_none_of_its_patients(page, north, period):
    north_director = make_user("north-director", north, Role.DIRECTOR)
    response = page(north_director).get(reverse("regulatory:teds-json"), {"period": str(period["month"])})
    data = json.loads(response.content)
    assert data["program"] == "north" and data["admissions"] == [] and data["discharges"] == []


def test_the_page_opens_on_last_month_with_the_sample_crosswalk(page, director, program):
    response = page(director).get(reverse("regulatory:teds"))
    previous = program.today().replace(day=1) - timedelta(days=1)
    assert response.status_code == 200 and f"Sample TEDS crosswalk (not a state&#x27;s format), {previous:%Y-%m}" in (
        response.content.decode()
    )
