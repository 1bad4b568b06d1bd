"""Nothing typed is lost to the idle timeout: a form sent after the session timed out is kept for its author and
filled in again once they sign in again; the board's background refresh is sent to the sign-in page as a whole."""

import json
import re
import time
from datetime import timedelta

import time_machine
from django.test import Client
from django.utils import timezone

from conftest import verified_login
from waypoint.accounts import program_settings
from waypoint.accounts.models import TypedEntries
from waypoint.accounts.sessions import SEEN_AT
from waypoint.privacy.models import AuditEvent
from waypoint.withdrawal.models import Assessment

HALF_ENTERED_COWS = {
    "taken_at": "2026-03-02T08:15",
    "sweating": "2",
    "restlessness": "3",
    "pulse_bpm": "104",
    "note": "Called away to another patient mid-score",
}


def cows_form(episode) -> str:
    return f"/patients/{episode.patient_id}/assessments/new/cows/"


def timed_out(client) -> None:
    session = client.session
    session[SEEN_AT] = time.time() - 16 * 60
    session.save()


def restored(response) -> dict | None:
    marker = 'id="restored-entries" type="application/json">'
    text = response.content.decode()
    if marker not in text:
        return None
    return json.loads(text.split(marker, 1)[1].split("</script>", 1)[0])


def send_after_timeout(nurse, admitted) -> Client:
    client = verified_login(Client(), nurse)
    assert client.get(cows_form(admitted)).status_code == 200
    timed_out(client)
    response = client.post(cows_form(admitted), HALF_ENTERED_COWS)
    assert response.status_code == 302 and response.url.startswith("/login/")
    return client


def test_a_cows_sent_after_the_idle_timeout_comes_back_filled_in_after_signing_in_again(nurse, admitted):
    client = send_after_timeout(nurse, admitted)
    assert not Assessment.objects.exists()  # nothing saved to the chart

    verified_login(client, nurse)
    response = client.get(cows_form(admitted))
    entries = restored(response)
    assert entries["sweating"] == ["2"] and entries["pulse_bpm"] == ["104"]
    assert entries["note"] == ["Called away to another patient mid-score"]
    assert "csrfmiddlewaretoken" not in entries
    assert "What you had typed on this form is filled in again" in response.content.decode()
    assert restored(client.get(cows_form(admitted))) is None  # given back once
    assert list(AuditEvent.objects.filter(action__startswith="form.entries.").values_list("action", "actor")) == [
        ("form.entries.keep", nurse.pk),
        ("form.entries.restore", nurse.pk),
    ]


def test_kept_entries_go_back_only_to_their_author(nurse, prescriber, admitted):
    send_after_timeout(nurse, admitted)
    other = verified_login(Client(), prescriber)
    assert restored(other.get(cows_form(admitted))) is None
    assert TypedEntries.objects.filter(user=nurse).exists()


def test_kept_entries_are_deleted_after_the_programs_window(nurse, admitted, program, privacy_officer):
    program_settings.change(program, "security.keep_typed_entries_minutes", 30, acting_user=privacy_officer)
    client = send_after_timeout(nurse, admitted)
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        verified_login(client, nurse)
        assert restored(client.get(cows_form(admitted))) is None
    assert not TypedEntries.objects.exists()


def test_kept_entries_come_back_within_the_programs_window(nurse, admitted):
    client = send_after_timeout(nurse, admitted)
    with time_machine.travel(timezone.now() + timedelta(minutes=59)):
        verified_login(client, nurse)
        assert restored(client.get(cows_form(admitted)))["restlessness"] == ["3"]


def test_a_password_is_never_kept(nurse):
    client = verified_login(Client(), nurse)
    timed_out(client)
    client.post("/account/two-factor/", {"password": "secret-secret-1", "token": "123456", "action": "codes"})
    for kept in TypedEntries.objects.all():
        assert "password" not in kept.entries


def test_the_boards_background_refresh_after_the_timeout_sends_the_whole_page_to_sign_in(nurse, admitted):
    client = verified_login(Client(), nurse)
    timed_out(client)
    response = client.get("/withdrawal/board/", headers={"HX-Request": "true", "X-Waypoint-Poll": "1"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/login/?next=/withdrawal/board/")
    assert b"Sign in" not in response.content


def test_staying_signed_in_starts_the_idle_clock_again(nurse):
    client = verified_login(Client(), nurse)
    session = client.session
    session[SEEN_AT] = time.time() - 14 * 60
    session.save()
    answer = client.post("/session/extend/")
    assert answer.status_code == 200 and answer.json()["seconds_left"] >= 15 * 60 - 5
    session = client.session
    session[SEEN_AT] = session[SEEN_AT] - 2 * 60  # two more minutes: 16 since the last page, 2 since "stay"
    session.save()
    assert client.get("/patients/").status_code == 200


def test_every_signed_in_page_carries_the_countdown_warning(nurse):
    client = verified_login(Client(), nurse)
    text = client.get("/patients/").content.decode()
    assert 'role="alertdialog"' in text
    assert int(re.search(r'data-idle-seconds="(\d+)"', text).group(1)) in (899, 900)
