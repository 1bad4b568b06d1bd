"""Golden files: every resource of one patient, per kind of record, and the Questionnaire of every instrument,
exactly as served (tests/golden/*.json beside this file). Database keys vary between runs, so the digits of ids
and references are replaced by stable placeholders (first key met of each table is #1, and so on).

Regenerate after an intended change of a mapping, then review the diff:
    WAYPOINT_REGENERATE_GOLDEN=1 python -m pytest waypoint/fhir/tests/test_golden.py
"""

import json
import os
import re
from pathlib import Path

import pytest

from waypoint.fhir.access import StaffReader
from waypoint.fhir.questionnaires import all_questionnaires
from waypoint.fhir.registry import KINDS

from .validation import assert_valid

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("WAYPOINT_REGENERATE_GOLDEN") == "1"
KEY = re.compile(r"([a-z-]*?)([0-9]+)(.*)")


class Keys:
    def __init__(self):
        self.seen: dict[tuple[str, str], int] = {}

    def id(self, resource_type: str, resource_id: str) -> str:
        match = KEY.fullmatch(resource_id)
        if not match:
            return resource_id
        prefix, digits, rest = match.groups()
        table = prefix or resource_type
        number = self.seen.setdefault((table, digits), sum(1 for t, _ in self.seen if t == table) + 1)
        return f"{prefix}#{number}{rest}"

    def walk(self, value, resource_type=None):
        if isinstance(value, list):
            return [self.walk(v, resource_type) for v in value]
        if not isinstance(value, dict):
            return value
        out = {}
        for key, inner in value.items():
            if key == "id" and resource_type and isinstance(inner, str):
                out[key] = self.id(resource_type, inner)
            elif key == "reference" and isinstance(inner, str) and "/" in inner:
                kind, _, ident = inner.partition("/")
                out[key] = f"{kind}/{self.id(kind, ident)}"
            else:
                out[key] = self.walk(inner, value.get("resourceType") if key == "resource" else None)
        return out


def compare(name: str, resources: list[dict]) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(resources, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no golden file {path.name}: regenerate (see this module's docstring)"
    assert json.loads(path.read_text()) == json.loads(text), f"{path.name} differs from what is served"


def test_one_patient_of_each_kind_matches_its_golden_file(record, nurse, program):
    reader = StaffReader(nurse, program)
    keys = Keys()
    keys.id("Patient", str(record["patient"].pk))
    for name, kind in KINDS.items():
        rows = reader.rows(kind)  # a program-level kind (the stock ledger): all of the program's rows
        if not kind.program_level:
            rows = rows.filter(**{kind.patient_field or "pk": record["patient"].pk})
        rows = rows.order_by("pk")
        resources = [r for row in rows for r in kind.to_resources(row)]
        for resource in resources:
            assert_valid(resource)
        compare(name, [keys.walk(r, r["resourceType"]) for r in resources])


@pytest.mark.parametrize("questionnaire", all_questionnaires(), ids=lambda q: q["id"])
def test_every_questionnaire_matches_its_golden_file(questionnaire):
    compare(f"questionnaire-{questionnaire['id']}", [questionnaire])
