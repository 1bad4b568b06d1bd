"""The program's placement rule table, in versions: each save is a new version (author, time, note), the newest is
in force, older ones stay viewable and can be restored (as a new version). No version yet: Waypoint's own default
table for the program's edition (default_rules.json), which is NOT the ASAM Criteria algorithm.

A table that is malformed, written for the other edition, or breaks a guarantee (exactly one recommendation for
every combination of ratings; raising a rating never lowers the recommendation) is refused under the key `table`
with the first counterexample (waypoint.placement.rules.validate).
"""

import copy
import json

from django.core.exceptions import ValidationError
from django.db import transaction

from waypoint.accounts.models import Program, User
from waypoint.accounts.roles import SETTINGS_MANAGE
from waypoint.audit import trail as audit
from waypoint.patients.access import require
from waypoint.placement import rules
from waypoint.placement.levels import EDITIONS

from .models import RuleTableVersion

DIMENSION_KEYS = tuple(f"d{n}" for n in range(1, rules.DIMENSION_COUNT + 1))


def active_version(program) -> RuleTableVersion | None:
    return RuleTableVersion.objects.filter(program=program).select_related("author").first()


def table_in_force(program) -> tuple[dict, RuleTableVersion | None]:
    """The table recommendations use now, and its version (None: Waypoint's default table)."""
    version = active_version(program)
    if version is not None:
        return version.table, version
    return rules.default_table(program.asam_edition), None


def counterexample_text(ratings) -> str:
    return ", ".join(f"{key} = {value}" for key, value in zip(DIMENSION_KEYS, ratings, strict=True))


def problem_of(program, table) -> str | None:
    """Why this table may not be saved for the program, in words (with the first counterexample), or None."""
    if isinstance(table, dict) and table.get("edition") != program.asam_edition:
        return (
            f"This table is written for edition {table.get('edition')!r}; the program uses the "
            f"{EDITIONS[program.asam_edition]} (edition {program.asam_edition})."
        )
    problem = rules.validate(table)
    if problem is None:
        return None
    if problem.counterexample is not None:
        result = rules.recommend(table, problem.counterexample)
        fired = ", ".join(result.fired) or "none"
        return f"{problem}. First counterexample: {counterexample_text(problem.counterexample)} (rules fired: {fired})."
    return f"{problem}."


def pretty(table: dict) -> str:
    """The table as JSON for the editor: one key per line, and one line per rule."""
    lines = []
    for key, value in table.items():
        if key == "rules" and isinstance(value, list):
            rules_text = ",\n".join(f"    {json.dumps(rule, ensure_ascii=False)}" for rule in value)
            lines.append(f'  "rules": [\n{rules_text}\n  ]')
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}"


def parse(text: str) -> dict:
    try:
        table = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError(
            {"table": f"Not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."}
        ) from error
    except RecursionError as error:  # the decoder recurses once per level: "[[[[..." thousands deep was a 500
        raise ValidationError(
            {"table": "This JSON nests deeper than can be read; a rule table needs a few levels at most."}
        ) from error
    if not isinstance(table, dict):
        raise ValidationError({"table": "A rule table is a JSON object."})
    return table


@transaction.atomic
def save_version(
    *, acting_user: User, program: Program, table, note: str, restored_from: RuleTableVersion | None = None
) -> RuleTableVersion:
    """Save a new version of the program's rule table (it is in force from now on), audited."""
    require(acting_user, program.pk, SETTINGS_MANAGE)
    if isinstance(table, str):
        table = parse(table)
    note = (note or "").strip()
    errors = {}
    if not note:
        errors["note"] = "Say what changed and why (the note stays with the version)."
    problem = problem_of(program, table)
    if problem is not None:
        errors["table"] = problem
    if errors:
        raise ValidationError(errors)
    Program.objects.select_for_update().get(pk=program.pk)  # one new version number at a time
    current, _ = table_in_force(program)
    latest = active_version(program)
    number = latest.number + 1 if latest else 1
    table = copy.deepcopy(table)
    table["version"] = number
    if _same_rules(table, current):
        raise ValidationError({"table": "This table is the same as the one in force; nothing to save."})
    version = RuleTableVersion.objects.create(
        program=program, number=number, table=table, note=note, author=acting_user, restored_from=restored_from
    )
    audit.record(
        acting_user,
        "placement.rule_table.save",
        program=program,
        obj=version,
        detail={"version": number, "restored_from": restored_from.number if restored_from else None},
    )
    return version


def _same_rules(table: dict, other: dict) -> bool:
    def strip(t):
        return {k: v for k, v in t.items() if k != "version"}

    return strip(table) == strip(other)


def restore(*, acting_user: User, program: Program, version: RuleTableVersion, note: str = "") -> RuleTableVersion:
    """Put an older version back in force, as a new version that records where it came from."""
    note = (note or "").strip() or f"Restored version {version.number}."
    return save_version(acting_user=acting_user, program=program, table=version.table, note=note, restored_from=version)
