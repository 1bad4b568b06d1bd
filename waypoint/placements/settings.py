"""The placement choices of a program, each with where its default comes from."""

from django.core.exceptions import ValidationError

from waypoint.accounts.program_settings import ProgramSetting, whole_number


def table_for(program) -> dict:
    """The rule table in force: the program's newest saved version (placements.rule_tables), else Waypoint's
    own default for the program's edition."""
    from .rule_tables import table_in_force

    return table_in_force(program)[0]


def priority_flags(value):
    if (
        not isinstance(value, list)
        or not value
        or not all(
            isinstance(f, dict)
            and set(f) == {"code", "label"}
            and isinstance(f["code"], str)
            and f["code"]
            and isinstance(f["label"], str)
            and f["label"]
            for f in value
        )
    ):
        raise ValidationError('Give a list of {"code": ..., "label": ...} flags.')
    codes = [f["code"] for f in value]
    if len(set(codes)) != len(codes):
        raise ValidationError("Each flag code once.")


PRIORITY_FLAGS = ProgramSetting(
    "placement.priority_flags",
    label="waitlist priority flags",
    validate=priority_flags,
    default=[
        {"code": "pregnant", "label": "Pregnant"},
        {"code": "injects", "label": "Injects drugs"},
        {"code": "recent_overdose", "label": "Recent overdose survivor"},
    ],
    help="Flags that put a referral forward for priority admission; the waitlist lists flagged referrals first.",
    origin="Waypoint's starting list (pregnant patients, people who inject, recent overdose survivors); the "
    "program edits the list.",
)


REASSESSMENT_INTERVAL_DAYS = ProgramSetting(
    "placement.reassessment_interval_days",
    label="placement reassessment every (days)",
    default=None,
    validate=whole_number(1, 365),
    help="Days after a placement assessment when the next one is due (it is also due at every admission and "
    "change of level of care). Empty: only at admissions and transitions.",
    origin="Program protocol; no published standard interval, so no default.",
)
OVERDUE_AFTER_DAYS = ProgramSetting(
    "placement.overdue_after_days",
    label="placement overdue after (days)",
    default=None,
    validate=whole_number(0, 90),
    help="A due placement assessment counts as overdue this many days after it fell due. Empty: shown as due, "
    "never as overdue.",
    origin="Program protocol; no published standard, so no default.",
)
