"""The privacy officer's audit page: filters, allowlisted sort keys, CSV export, last verification."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from waypoint.audit import trail as audit
from waypoint.privacy.models import AuditEvent, AuditVerification

URL = "/audit/"


@pytest.fixture
def trail(nurse, intake, patient, admitted, north_nurse, north_patient):
    """Events of both programs (registration, admission, chart reads)."""
    audit.record(intake, "patient.chart.read", patient=patient)
    audit.record(nurse, "patient.chart.read", patient=patient)
    return patient


def rows(response):
    return [event.pk for event in response.context["page"].object_list]


def test_the_privacy_officer_sees_only_their_programs_events(page, privacy_officer, trail, north_patient):
    response = page(privacy_officer).get(URL)
    assert response.status_code == 200
    shown = AuditEvent.objects.filter(pk__in=rows(response))
    assert shown.exists() and not shown.exclude(program_id=trail.program_id).exists()
    assert not shown.filter(patient_id=north_patient.pk).exists()


def test_reading_the_trail_is_itself_audited(page, privacy_officer, trail):
    page(privacy_officer).get(URL, {"user": "intake"})
    event = AuditEvent.objects.filter(action="audit.trail.read").last()
    assert event.actor == privacy_officer and event.detail == {"user": "intake"}


def test_filters_by_user_patient_action_and_outcome(page, privacy_officer, trail, intake):
    client = page(privacy_officer)
    by_user = AuditEvent.objects.filter(pk__in=rows(client.get(URL, {"user": "intake"})))
    assert by_user.exists() and set(by_user.values_list("actor_name", flat=True)) == {"intake"}
    by_patient = AuditEvent.objects.filter(pk__in=rows(client.get(URL, {"patient": trail.mrn})))
    assert by_patient.exists() and set(by_patient.values_list("patient_id", flat=True)) == {trail.pk}
    by_action = rows(client.get(URL, {"action": "patient.chart.read", "user": "intake"}))
    assert len(by_action) == 1
    assert rows(client.get(URL, {"outcome": "denied"})) == []


def test_filters_by_date_range_in_the_programs_time_zone(page, privacy_officer, trail):
    client = page(privacy_officer)
    today = timezone.localtime(timezone=trail.program.tz).date()
    assert rows(client.get(URL, {"date_from": today.isoformat(), "date_to": today.isoformat(), "user": "intake"}))
    tomorrow = today + timedelta(days=1)
    assert rows(client.get(URL, {"date_from": tomorrow.isoformat()})) == []
    assert rows(client.get(URL, {"date_to": (today - timedelta(days=1)).isoformat()})) == []


def test_an_end_date_before_the_start_is_a_form_error(page, privacy_officer, trail):
    response = page(privacy_officer).get(URL, {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert response.status_code == 400
    assert "before the start" in response.content.decode()


@pytest.mark.parametrize("key", ["at", "user", "action", "patient", "outcome", "channel", "object"])
def test_every_column_sorts_both_ways(page, privacy_officer, trail, key):
    client = page(privacy_officer)
    ascending = client.get(URL, {"sort": key})
    descending = client.get(URL, {"sort": f"-{key}"})
    assert ascending.status_code == descending.status_code == 200
    column = {
        "at": "at",
        "user": "actor_name",
        "action": "action",
        "patient": "patient_id",
        "outcome": "outcome",
        "channel": "channel",
        "object": "object_type",
    }[key]
    values = [getattr(event, column) for event in ascending.context["page"].object_list]
    values = [value for value in values if value is not None]
    assert len(values) > 1 and values == sorted(values)
    reverse = [getattr(event, column) for event in descending.context["page"].object_list]
    reverse = [value for value in reverse if value is not None]
    assert reverse == sorted(reverse, reverse=True)


def test_an_unknown_sort_key_is_refused(page, privacy_officer, trail):
    response = page(privacy_officer).get(URL, {"sort": "detail"})
    assert response.status_code == 400
    response = page(privacy_officer).get(URL, {"sort": "hash); DROP TABLE x"})
    assert response.status_code == 400


def test_an_unknown_parameter_is_refused(page, privacy_officer, trail):
    response = page(privacy_officer).get(URL, {"actor_id__gt": "0"})
    assert response.status_code == 400
    assert b"actor_id__gt" in response.content


def test_the_csv_export_has_the_filtered_rows_and_is_audited(page, privacy_officer, trail):
    response = page(privacy_officer).get(URL, {"user": "intake", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert table and {row["user"] for row in table} == {"intake"}
    assert any(row["mrn"] == trail.mrn for row in table)
    assert AuditEvent.objects.filter(action="audit.trail.export", actor=privacy_officer).exists()


def test_a_detail_starting_like_a_formula_is_neutralised_in_the_csv(page, privacy_officer, trail, nurse):
    audit.record(nurse, "probe", program=trail.program, detail={"=cmd": "x"})
    response = page(privacy_officer).get(URL, {"action": "probe", "format": "csv"})
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert table[0]["detail"].startswith("'=")


def test_the_page_shows_when_the_chain_was_last_verified(page, privacy_officer, trail):
    assert b"Never verified" in page(privacy_officer).get(URL).content
    call_command("audit", "seal", stdout=io.StringIO())
    call_command("audit", "verify", stdout=io.StringIO())
    verification = AuditVerification.objects.get()
    assert verification.intact and verification.checked > 0
    content = page(privacy_officer).get(URL).content.decode()
    assert "Last verified at" in content and "chain intact" in content


def test_a_nurse_director_or_administrator_is_refused(page, nurse, trail, program):
    from conftest import make_user
    from waypoint.accounts.roles import Role

    for user in (nurse, make_user("director", program, Role.DIRECTOR), make_user("admin", program, Role.ADMIN)):
        assert page(user).get(URL).status_code == 403


def test_the_privacy_officer_lands_on_the_audit_trail_and_a_nurse_on_the_withdrawal_board(page, privacy_officer, nurse):
    assert page(privacy_officer).get("/").url == "/audit/"
    assert page(nurse).get("/").url == "/withdrawal/board/"


def test_the_action_filter_takes_part_of_an_action(page, privacy_officer, trail):
    shown = AuditEvent.objects.filter(pk__in=rows(page(privacy_officer).get(URL, {"action": "chart.read"})))
    assert shown.count() == 2 and set(shown.values_list("action", flat=True)) == {"patient.chart.read"}


def test_the_user_filter_takes_a_full_name_or_part_of_it(page, privacy_officer, trail, intake):
    intake.first_name, intake.last_name = "Ines", "Okafor"
    intake.save()
    client = page(privacy_officer)
    for text in ("Ines Okafor", "okafor", "INTAKE"):
        shown = AuditEvent.objects.filter(pk__in=rows(client.get(URL, {"user": text})))
        assert shown.exists() and set(shown.values_list("actor_name", flat=True)) == {"intake"}, text


def test_a_filter_that_matches_nothing_says_0_events(page, privacy_officer, trail):
    response = page(privacy_officer).get(URL, {"action": "no-such-action"})
    assert response.status_code == 200
    assert "0 events" in response.content.decode() and "No events match." in response.content.decode()


def test_refused_access_has_its_own_filter(page, privacy_officer, counselor_off_team, trail):
    page(counselor_off_team).get(trail.get_absolute_url())
    response = page(privacy_officer).get(URL, {"outcome": "denied"})
    shown = AuditEvent.objects.filter(pk__in=rows(response))
    assert list(shown.values_list("action", "actor_name")) == [("access.denied", "counselor")]
    assert "Refused access" in response.content.decode()
