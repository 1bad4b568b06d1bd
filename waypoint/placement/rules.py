"""Placement rule tables, pure Python (no Django).

A rule table is DATA (a dict, e.g. read from JSON) that maps the six dimension ratings (risk 0-4 each) to a
recommended level of care and a withdrawal-management need, and says which rules fired. Waypoint ships its
own default tables (default_rules.json). They are Waypoint's own simple, readable defaults for a program to
review and change: they are NOT the ASAM Criteria decision algorithm (whose tables are proprietary) and must
never be presented as such.

Table shape::

    {
      "name": "...", "version": 1, "edition": 3, "notice": "...",
      "intensity": [["0.5"], ["1"], ["2.1"], ...],        # ranks, least to most intensive; a rank may hold
                                                           # several codes (equally intensive alternatives)
      "default_level": "0.5",                             # recommended when no level rule fires (may be null)
      "withdrawal": ["none", "1-WM", "2-WM", ...],        # withdrawal needs, least to most intensive
      "default_withdrawal": "none",
      "rules": [
        {"id": "D1-3", "when": [{"dimension": 1, "at_least": 3}], "level": "3.7", "withdrawal": "3.7-WM",
         "why": "..."},
        ...
      ]
    }

A condition is one of  {"dimension": d, "at_least": k},  {"dimension": d, "at_most": k},
{"dimensions_at_least": k, "count": m}  (m or more dimensions rated k or higher). A rule fires when all its
conditions hold. The recommendation is the most intensive level named by a fired rule (or the default when
none fires); the withdrawal need likewise. Every combination must get exactly one recommendation (no
combination without a level, no two different levels of the same rank), and raising any rating must never
recommend a less intensive level or withdrawal need: validate() checks all 5**6 combinations and returns the
first counterexample.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from waypoint.placement.levels import EDITIONS, LEVELS

DIMENSIONS = {
    3: (
        "Acute Intoxication and/or Withdrawal Potential",
        "Biomedical Conditions and Complications",
        "Emotional, Behavioral, or Cognitive Conditions and Complications",
        "Readiness to Change",
        "Relapse, Continued Use, or Continued Problem Potential",
        "Recovery/Living Environment",
    ),
    4: (
        "Intoxication, Withdrawal, and Addiction Medications",
        "Biomedical Conditions",
        "Psychiatric and Cognitive Conditions",
        "Substance Use-Related Risks",
        "Recovery Environment Interactions",
        "Person-Centered Considerations",
    ),
}
RATINGS = range(0, 5)
DIMENSION_COUNT = 6

DEFAULT_RULES_FILE = Path(__file__).with_name("default_rules.json")

Table = dict[str, Any]  # the JSON shape described above, checked by check_shape()


class TableError(ValueError):
    """A rule table that is malformed or breaks a guarantee; `counterexample` holds the ratings if any."""

    def __init__(self, message: str, counterexample: tuple[int, ...] | None = None):
        super().__init__(message)
        self.counterexample = counterexample


@dataclass(frozen=True)
class Recommendation:
    level: str | None
    withdrawal: str | None
    fired: tuple[str, ...] = field(default_factory=tuple)  # ids of the rules that fired, in table order
    ambiguous: tuple[str, ...] = field(default_factory=tuple)  # codes tied at the top rank, if more than one


def default_table(edition: int) -> Table:
    tables: dict[str, Table] = json.loads(DEFAULT_RULES_FILE.read_text(encoding="utf-8"))
    return tables[str(edition)]


def check_ratings(ratings: Iterable[object]) -> tuple[int, ...]:
    """Ratings as a 6-tuple of ints 0-4; raises ValueError naming the first bad dimension (1-based)."""
    given = tuple(ratings)
    if len(given) != DIMENSION_COUNT:
        raise ValueError(f"expected {DIMENSION_COUNT} ratings, got {len(given)}")
    checked: list[int] = []
    for number, rating in enumerate(given, start=1):
        if isinstance(rating, bool) or not isinstance(rating, int) or rating not in RATINGS:
            raise ValueError(f"dimension {number}: rating must be a whole number 0-4, got {rating!r}")
        checked.append(rating)
    return tuple(checked)


def _holds(condition: dict[str, int], ratings: tuple[int, ...]) -> bool:
    if "dimensions_at_least" in condition:
        return sum(1 for r in ratings if r >= condition["dimensions_at_least"]) >= condition["count"]
    rating = ratings[condition["dimension"] - 1]
    if "at_least" in condition:
        return rating >= condition["at_least"]
    return rating <= condition["at_most"]


def _rank(table: Table) -> dict[str, int]:
    return {code: rank for rank, codes in enumerate(table["intensity"]) for code in codes}


def recommend(table: Table, ratings: Iterable[object]) -> Recommendation:
    """The table's recommendation for these ratings (the table is assumed to have passed check_shape)."""
    ratings = check_ratings(ratings)
    rank = _rank(table)
    wm_rank = {need: i for i, need in enumerate(table["withdrawal"])}
    fired = [rule for rule in table["rules"] if all(_holds(c, ratings) for c in rule["when"])]
    levels = [rule["level"] for rule in fired if rule.get("level")]
    if not levels and table.get("default_level"):
        levels = [table["default_level"]]
    level: str | None = None
    ambiguous: tuple[str, ...] = ()
    if levels:
        top = max(rank[code] for code in levels)
        tied = tuple(dict.fromkeys(code for code in levels if rank[code] == top))
        if len(tied) == 1:
            level = tied[0]
        else:
            ambiguous = tied
    needs = [rule["withdrawal"] for rule in fired if rule.get("withdrawal")]
    if not needs and table.get("default_withdrawal"):
        needs = [table["default_withdrawal"]]
    withdrawal = max(needs, key=wm_rank.__getitem__) if needs else None
    return Recommendation(level, withdrawal, tuple(rule["id"] for rule in fired), ambiguous)


def check_shape(table: Table) -> None:
    """Refuse a malformed table (unknown codes, bad conditions, duplicate ids) with a TableError."""
    if not isinstance(table, dict):
        raise TableError("a rule table is an object")
    edition = table.get("edition")
    if edition not in EDITIONS:
        raise TableError(f"edition must be one of {sorted(EDITIONS)}")
    intensity = table.get("intensity")
    if not isinstance(intensity, list) or not intensity or not all(isinstance(r, list) and r for r in intensity):
        raise TableError("intensity must be a non-empty list of ranks, each a non-empty list of level codes")
    seen: set[str] = set()
    for codes in intensity:
        for code in codes:
            if (edition, code) not in LEVELS:
                raise TableError(f"intensity: {code!r} is not a level of the {EDITIONS[edition]}")
            if code in seen:
                raise TableError(f"intensity: {code!r} appears twice")
            seen.add(code)
    withdrawal = table.get("withdrawal")
    if not isinstance(withdrawal, list) or not withdrawal or len(set(withdrawal)) != len(withdrawal):
        raise TableError("withdrawal must be a non-empty list of distinct needs, least to most intensive")
    if table.get("default_level") is not None and table["default_level"] not in seen:
        raise TableError(f"default_level: {table['default_level']!r} is not in the intensity list")
    if table.get("default_withdrawal") is not None and table["default_withdrawal"] not in withdrawal:
        raise TableError(f"default_withdrawal: {table['default_withdrawal']!r} is not in the withdrawal list")
    rules = table.get("rules")
    if not isinstance(rules, list):
        raise TableError("rules must be a list")
    ids: set[str] = set()
    for rule in rules:
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        if not isinstance(rule_id, str) or not rule_id or rule_id in ids:
            raise TableError(f"every rule needs a unique id (problem at {rule_id!r})")
        ids.add(rule_id)
        if rule.get("level") is None and rule.get("withdrawal") is None:
            raise TableError(f"rule {rule_id}: names neither a level nor a withdrawal need")
        if rule.get("level") is not None and rule["level"] not in seen:
            raise TableError(f"rule {rule_id}: level {rule['level']!r} is not in the intensity list")
        if rule.get("withdrawal") is not None and rule["withdrawal"] not in withdrawal:
            raise TableError(f"rule {rule_id}: withdrawal {rule['withdrawal']!r} is not in the withdrawal list")
        when = rule.get("when")
        if not isinstance(when, list) or not when:
            raise TableError(f"rule {rule_id}: 'when' must be a non-empty list of conditions")
        for condition in when:
            _check_condition(rule_id, condition)


def _is_rating(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in RATINGS


def _check_condition(rule_id: str, condition: object) -> None:
    if not isinstance(condition, dict):
        raise TableError(f"rule {rule_id}: a condition is an object")
    keys = set(condition)
    if keys == {"dimensions_at_least", "count"}:
        count = condition["count"]
        if not _is_rating(condition["dimensions_at_least"]) or not (
            isinstance(count, int) and not isinstance(count, bool) and 1 <= count <= DIMENSION_COUNT
        ):
            raise TableError(f"rule {rule_id}: dimensions_at_least 0-4 and count 1-6")
        return
    if keys in ({"dimension", "at_least"}, {"dimension", "at_most"}):
        dimension = condition["dimension"]
        bound = condition.get("at_least", condition.get("at_most"))
        if not (isinstance(dimension, int) and 1 <= dimension <= DIMENSION_COUNT) or not _is_rating(bound):
            raise TableError(f"rule {rule_id}: dimension 1-6 with a bound 0-4")
        return
    raise TableError(f"rule {rule_id}: unknown condition {sorted(keys)}")


def all_ratings() -> Iterator[tuple[int, ...]]:
    return itertools.product(RATINGS, repeat=DIMENSION_COUNT)


def validate(table: Table) -> TableError | None:
    """None when the table is sound; otherwise the first problem, with its counterexample ratings.

    Checks every one of the 5**6 combinations: exactly one recommended level, and raising any single
    dimension by one never lowers the level's rank or the withdrawal need (which, by transitivity, covers
    raising by more, and raising several dimensions).
    """
    try:
        check_shape(table)
    except TableError as problem:
        return problem
    rank = _rank(table)
    wm_rank = {need: i for i, need in enumerate(table["withdrawal"])}
    results = {ratings: recommend(table, ratings) for ratings in all_ratings()}
    for ratings, result in results.items():
        if result.level is None:
            if result.ambiguous:
                return TableError(
                    f"ratings {list(ratings)} get {len(result.ambiguous)} recommendations of equal intensity: "
                    f"{', '.join(result.ambiguous)}",
                    ratings,
                )
            return TableError(f"ratings {list(ratings)} get no recommendation", ratings)
    for ratings, result in results.items():
        for index in range(DIMENSION_COUNT):
            if ratings[index] == max(RATINGS):
                continue
            raised = ratings[:index] + (ratings[index] + 1,) + ratings[index + 1 :]
            higher = results[raised]
            assert higher.level is not None and result.level is not None  # every ratings got a level above
            if rank[higher.level] < rank[result.level]:
                return TableError(
                    f"raising dimension {index + 1} from {ratings[index]} to {raised[index]} (ratings "
                    f"{list(ratings)}) lowers the recommendation from {result.level} to {higher.level}",
                    ratings,
                )
            if result.withdrawal is not None and (
                higher.withdrawal is None or wm_rank[higher.withdrawal] < wm_rank[result.withdrawal]
            ):
                return TableError(
                    f"raising dimension {index + 1} from {ratings[index]} to {raised[index]} (ratings "
                    f"{list(ratings)}) lowers the withdrawal need from {result.withdrawal} to {higher.withdrawal}",
                    ratings,
                )
    return None


def describe(condition: dict[str, int], edition: int) -> str:
    """A condition in words, for the rule table page."""
    if "dimensions_at_least" in condition:
        return f"{condition['count']} or more dimensions rated {condition['dimensions_at_least']} or higher"
    name = DIMENSIONS[edition][condition["dimension"] - 1]
    if "at_least" in condition:
        return f"Dimension {condition['dimension']} ({name}) rated {condition['at_least']} or higher"
    return f"Dimension {condition['dimension']} ({name}) rated {condition['at_most']} or lower"
