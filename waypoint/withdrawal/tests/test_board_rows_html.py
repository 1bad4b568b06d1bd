"""The board's rows are written in Python for speed (board_html.py): same links, same text, every value escaped."""

from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from waypoint.patients import services as patients
from waypoint.patients.access import visible_patients
from waypoint.withdrawal import board, board_html

from .conftest import COWS_SEVERE


def admitted(program, team, nurse, given, family):
    patient = patients.register_patient(
        acting_user=nurse,
        program=program,
        care_team=team,
        mrn=f"<b>{given}</b>",
        given_name=given,
        family_name=family,
        birth_date=date(1990, 1, 1),
        sex_at_birth="female",
    )
    patients.admit(
        acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(days=1), level_code="3.7-WM"
    )
    return patient


def test_rows_link_to_the_flowsheet_and_the_cows_form_and_escape_every_name(program, team, nurse, record):
    patient = admitted(program, team, nurse, "<script>alert(1)</script>", "O'Hara & Sons")
    record(patient, hours_ago=6)
    record(patient, COWS_SEVERE, hours_ago=5)
    [row] = board.build(program, visible_patients(nurse, program))
    html = str(board_html.rows_html([row]))
    assert f'href="{reverse("withdrawal:flowsheet", args=[patient.pk])}"' in html
    assert f'href="{reverse("withdrawal:record", args=[patient.pk, "cows"])}"' in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; O&#x27;Hara &amp; Sons" in html
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert f">{row.latest.total}</span> {row.latest.severity_label}<" in html
    assert (
        'class="overdue late-2"' in html and "overdue since" in html
    )  # 5 hours since the last COWS, interval 4: one hour late
    assert f"▲ +{row.change}" in html


def test_the_board_page_shows_the_rows_and_says_when_nobody_is_there(program, team, nurse, record, page):
    client = page(nurse)
    assert "Nobody in withdrawal management." in client.get("/withdrawal/board/").content.decode()
    patient = admitted(program, team, nurse, "Avery", "Ashdown")
    record(patient, hours_ago=1)
    text = client.get("/withdrawal/board/").content.decode()
    assert "Avery Ashdown" in text and ">Score COWS<" in text and "Nobody in" not in text
    local = board.build(program, visible_patients(nurse, program))[0].next_due.astimezone(program.tz)
    assert f"{local:%b} {local.day} {local:%H:%M}" in text


def test_a_remembered_row_is_written_again_the_moment_anything_it_shows_changes(
    program, team, other_team, nurse, record, page
):
    """Rows are remembered by every value they show (board_html._row_html): a new COWS, an amendment, a new name, a
    stay ended or a patient moved to another team shows on the very next request."""
    from waypoint.patients.models import LevelOfCareStay, Patient
    from waypoint.withdrawal import services

    client = page(nurse)
    patient = admitted(program, team, nurse, "Avery", "Ashdown")
    first = record(patient, hours_ago=2)
    board_page = lambda: client.get("/withdrawal/board/").content.decode()  # noqa: E731
    assert f'<span class="score sev-{first.severity}">{first.total}</span>' in board_page()
    assert board_page().count(">Score COWS<") == 1  # the same row again, from memory
    newer = record(patient, COWS_SEVERE, hours_ago=1)
    text = board_page()
    assert f'<span class="score sev-severe">{newer.total}</span>' in text and f"▲ +{newer.total - first.total}" in text
    amended = services.amend_assessment(acting_user=nurse, assessment=newer, responses=COWS_SEVERE, reason="typo")
    text = board_page()
    assert f">{amended.total}</span>" in text
    patients.update_patient(acting_user=nurse, patient=Patient.objects.get(pk=patient.pk), preferred_name="Ave")
    text = board_page()
    assert "Ave Ashdown" in text and "Avery Ashdown" not in text
    Patient.objects.filter(pk=patient.pk).update(care_team=other_team)  # another team's patient: never shown
    assert "Ashdown" not in board_page()
    Patient.objects.filter(pk=patient.pk).update(care_team=team)
    assert "Ave Ashdown" in board_page()
    LevelOfCareStay.objects.filter(patient=patient).update(ended_at=timezone.now())  # the stay ended
    assert "Ashdown" not in board_page()


def test_rows_remembered_in_one_time_zone_are_written_again_in_another(program, team, nurse, record):
    patient = admitted(program, team, nurse, "Avery", "Ashdown")
    record(patient, hours_ago=1)
    rows = board.build(program, visible_patients(nurse, program))
    due = rows[0].next_due
    with timezone.override("UTC"):
        utc = str(board_html.rows_html(rows))
    with timezone.override("Pacific/Honolulu"):
        honolulu = str(board_html.rows_html(rows))
    assert f"{due.astimezone(timezone.get_fixed_timezone(0)):%H:%M}" in utc
    assert utc != honolulu
