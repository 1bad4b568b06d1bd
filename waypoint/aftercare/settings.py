"""The after-discharge choices of a program, each with where its default comes from."""

from django.core.exceptions import ValidationError

from waypoint.accounts.program_settings import ProgramSetting, whole_number


def text(value):
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("Give the text.")


def days_list(value):
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 365 for d in value)
        or len(set(value)) != len(value)
    ):
        raise ValidationError("Give a list of different whole numbers of days from 1 to 365, e.g. [7, 30].")


CRISIS_CONTACTS = ProgramSetting(
    "aftercare.crisis_contacts",
    label="crisis contacts given at discharge",
    validate=text,
    default="Emergency (overdose, danger to life): call 911.",
    help="The numbers a patient is given at discharge, one per line (the program's own line, its after-hours "
    "number, the local crisis line). Copied into each continuing-care plan and printed on the discharge packet.",
    origin="Waypoint's starting value names only the emergency number; the program adds its own numbers.",
)
FOLLOW_UP_DAYS = ProgramSetting(
    "aftercare.follow_up_days",
    label="follow-up contacts, days after discharge",
    default=[7, 30],
    validate=days_list,
    help="The days after discharge on which staff contact the patient (each is one follow-up on the work list).",
    origin="Follow-up after high-intensity care within 7 and within 30 days is the quality measure the "
    "program is judged on; the program may add days (e.g. 2 and 90).",
)
ATTEMPTS_BEFORE_LOST = ProgramSetting(
    "aftercare.attempts_before_lost",
    label="unanswered attempts before lost to follow-up",
    default=3,
    validate=whole_number(1, 20),
    help="A follow-up whose patient was not reached after this many attempts is marked lost to follow-up "
    "(it stays on the record and in the figures, never silently dropped).",
    origin="Program protocol. No source here publishes a number of attempts; 3 is this implementation's "
    "starting value for the program to review.",
)
