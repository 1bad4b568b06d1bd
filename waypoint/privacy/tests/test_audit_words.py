"""The audit trail page names each action in words ("Comfort medication: dose refused") beside its code, and
every action the code records has words (so no new action reaches the privacy officer as a bare code)."""

import ast
import pathlib

import pytest

import waypoint
from waypoint.audit import trail as audit
from waypoint.audit.words import AREAS, PARTS, action_words, object_words

SOURCE = pathlib.Path(waypoint.__file__).parent


def recorded_actions() -> set[str]:
    """Every action written as a literal: audit.record(actor, "…") / record_many, and action=/audit_action= "…"."""
    found = set()
    for path in SOURCE.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            candidates = [kw.value for kw in node.keywords if kw.arg in ("action", "audit_action")]
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("record", "record_many")
                and isinstance(func.value, ast.Name)
                and func.value.id in ("audit", "trail")
                and node.args[1:]
            ):
                candidates.append(node.args[1])
            for value in candidates:
                if isinstance(value, ast.Constant) and isinstance(value.value, str) and "." in value.value:
                    found.add(value.value)
    return found


def test_the_scan_finds_the_actions_of_every_area():
    actions = recorded_actions()
    assert {"patient.read", "comfort.dose.refused", "dispensing.dose", "consent.sign", "auth.sign_in"} <= actions
    assert len(actions) > 100


def test_every_recorded_action_is_in_words():
    missing = {
        action: [part for part in action.split(".")[1:] if part not in PARTS]
        for action in recorded_actions()
        if action.split(".")[0] not in AREAS or any(part not in PARTS for part in action.split(".")[1:])
    }
    assert missing == {}, "add these areas/parts to waypoint/audit/words.py"


def filled_in_parts() -> set[str]:
    """The parts the code fills in at run time: f"comfort.dose.{status}", f"medication.administration.{status}",
    f"screening.event.{kind}", f"referral.{status}", f"dispensing.ledger.{kind}"."""
    from waypoint.comfort.models import Dose
    from waypoint.dispensing.models import LedgerEntry
    from waypoint.medication.models import Administration
    from waypoint.placements.models import Referral
    from waypoint.screening.models import UseEvent

    choices = (Dose.Status, Administration.Status, UseEvent.Kind, Referral.Status, LedgerEntry.Kind)
    return {value for kind in choices for value in kind.values}


def test_every_part_filled_in_at_run_time_is_in_words():
    assert filled_in_parts() - PARTS.keys() == set()


@pytest.mark.parametrize(
    ("action", "words"),
    [
        ("comfort.dose.refused", "Comfort medication: dose refused"),
        ("patient.allergy.entered_in_error", "Patient: allergy marked entered in error"),
        ("dispensing.take_home_decision", "OTP dispensing: take-home decision"),
        ("chart.break_glass", "Chart: emergency access (break the glass)"),
        ("auth.sign_in", "Sign-in: signed in"),
        ("access", "Access"),
        ("new_area.first_thing", "New area: first thing"),  # never a bare code, even for an action not listed yet
    ],
)
def test_action_words(action, words):
    assert action_words(action) == words


def test_object_words_name_the_record_kind():
    assert object_words("patients.allergy") == "allergy"
    assert object_words("no such.kind") == "no such.kind"
    assert object_words("") == ""


@pytest.mark.django_db
def test_the_trail_page_shows_words_beside_the_code(page, privacy_officer, patient, nurse):
    audit.record(nurse, "patient.read", patient=patient, obj=patient)
    body = page(privacy_officer).get("/audit/", {"user": nurse.username}).content.decode()
    assert "Patient: viewed" in body and '<code class="muted">patient.read</code>' in body
    assert f"patient #{patient.pk}" in body and "patients.patient #" not in body
