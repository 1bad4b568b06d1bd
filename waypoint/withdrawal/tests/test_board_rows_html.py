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
