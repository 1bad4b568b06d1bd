"""Forms that fit the work: naloxone times default to now, the strength follows the kit chosen, and the complication
screen shows what was saved."""

import re
from datetime import UTC, datetime, timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from waypoint.screening.models import NaloxoneKit
from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS

AT = datetime(2026, 3, 2, 14, 7, 33, tzinfo=UTC)  # 09:07 in New York


def value_of(html: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', html).group(1)


def local(dt, program):
    return timezone.localtime(dt, timezone=program.tz).strftime("%Y-%m-%dT%H:%M")


def test_naloxone_times_default_to_now_in_the_programs_time_zone(patient, nurse, page):
    with time_machine.travel(AT, tick=False):
        html = page(nurse).get(reverse("screening:naloxone", args=[patient.pk])).content.decode()
    for name in ("kit-dispensed_at", "education-given_at", "refusal-refused_at"):
        assert value_of(html, name) == "2026-03-02T09:07", name
    assert "Program time (EST, America/New_York)" in html


def test_a_kits_strength_is_taken_from_the_formulation_chosen(patient, nurse, page):
    client = page(nurse)
    kit = {
        "action": "kit",
        "kit-dispensed_at": local(timezone.now(), patient.program),
        "kit-formulation": "nasal_4mg",
        "kit-strength": "",
        "kit-quantity": "1",
        "kit-recipient": "patient",
    }
    assert client.post(reverse("screening:naloxone", args=[patient.pk]), kit).status_code == 302
    assert NaloxoneKit.objects.get().strength == "4 mg"


def test_a_formulation_that_states_no_strength_needs_one_typed(patient, nurse, page):
    kit = {
        "action": "kit",
        "kit-dispensed_at": local(timezone.now(), patient.program),
        "kit-formulation": "autoinjector",
        "kit-strength": "",
        "kit-quantity": "1",
        "kit-recipient": "patient",
    }
    response = page(nurse).post(reverse("screening:naloxone", args=[patient.pk]), kit)
    assert "Give the strength" in response.content.decode()
    assert not NaloxoneKit.objects.exists()


def test_the_complication_screen_shows_what_was_saved(patient, nurse, page):
    client = page(nurse)
    data = {"taken_at": local(timezone.now() - timedelta(minutes=5), patient.program)}
    data.update({key: "absent" for key in HEROIN_COMPLICATIONS.keys})
    data["lung_problems"] = "present"
    data["lung_problems__note"] = "wheeze on exertion"
    response = client.post(reverse("screening:screen", args=[patient.pk]), data, follow=True)
    html = response.content.decode()
    assert "Complication screen recorded: 1 item present" in html
    recent = html.split('id="recent-screens"', 1)[1]
    assert "<strong>Lung problems</strong>: present" in recent and "wheeze on exertion" in recent
    assert "Absent: " in recent


def test_a_group_session_is_offered_as_the_hour_that_just_ended(nurse, page):
    with time_machine.travel(AT, tick=False):
        html = page(nurse).get(reverse("treatment:session-new")).content.decode()
    assert value_of(html, "starts_at") == "2026-03-02T08:07"
    assert value_of(html, "ends_at") == "2026-03-02T09:07"
