"""The placement choices of a program, each with where its default comes from."""

from django.core.exceptions import ValidationError

from waypoint.accounts.program_settings import ProgramSetting, whole_number
from waypoint.placement import rules


def rule_table(value):
    """Refuse a table that is malformed or breaks a guarantee, showing the first counterexample."""
    problem = rules.validate(value)
    if problem is not None:
        raise ValidationError(str(problem))


RULE_TABLE = ProgramSetting(
    "placement.rule_table", default=None, validate=rule_table,
    help="The placement rule table (JSON: intensity ranks, default level, withdrawal needs, rules). Empty: "
    "Waypoint's own default table for the program's edition. A table where some combination of ratings gets no "
    "recommendation or two, or where raising a rating lowers the recommendation, is refused with the first "
    "counterexample.",
    origin="Waypoint's own default (waypoint/placement/default_rules.json); not the ASAM Criteria algorithm, "
    "whose tables are proprietary.",
)


def table_for(program) -> dict:
    return RULE_TABLE.get(program) or rules.default_table(program.asam_edition)


def priority_flags(value):
    if not isinstance(value, list) or not value or not all(
            isinstance(f, dict) and set(f) == {"code", "label"} and isinstance(f["code"], str) and f["code"]
            and isinstance(f["label"], str) and f["label"] for f in value):
        raise ValidationError('Give a list of {"code": ..., "label": ...} flags.')
    codes = [f["code"] for f in value]
    if len(set(codes)) != len(codes):
        raise ValidationError("Each flag code once.")


PRIORITY_FLAGS = ProgramSetting(
    "placement.priority_flags", validate=priority_flags,
    default=[{"code": "pregnant", "label": "Pregnant"}, {"code": "injects", "label": "Injects drugs"},
             {"code": "recent_overdose", "label": "Recent overdose survivor"}],
    help="Flags that put a referral forward for priority admission; the waitlist lists flagged referrals first.",
    origin="The project's issue 5 (pregnant patients, people who inject, recent overdose survivors); the "
    "program edits the list.",
)


REASSESSMENT_INTERVAL_DAYS = ProgramSetting(
    "placement.reassessment_interval_days", default=None, validate=whole_number(1, 365),
    help="Days after a placement assessment when the next one is due (it is also due at every admission and "
    "change of level of care). Empty: only at admissions and transitions.",
    origin="Program protocol; no published standard interval, so no default.",
)
OVERDUE_AFTER_DAYS = ProgramSetting(
    "placement.overdue_after_days", default=None, validate=whole_number(0, 90),
    help="A due placement assessment counts as overdue this many days after it fell due. Empty: shown as due, "
    "never as overdue.",
    origin="Program protocol; no published standard, so no default.",
)
