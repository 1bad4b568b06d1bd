"""The withdrawal-management protocol choices of a program, each with where its default comes from."""

from waypoint.accounts.program_settings import ProgramSetting, whole_number


def level_codes(value):
    from django.core.exceptions import ValidationError

    if not isinstance(value, list) or not all(isinstance(code, str) and code for code in value):
        raise ValidationError("Give a list of level-of-care codes.")


ASSESSMENT_INTERVAL_HOURS = ProgramSetting(
    "withdrawal.assessment_interval_hours",
    label="COWS every (hours)",
    default=4,
    validate=whole_number(1, 24),
    help="Hours between COWS assessments for a patient in withdrawal management; the board shows the next "
    "one due and highlights overdue ones.",
    origin="Program protocol. No published standard interval; 4 h is the example the project's issue gives.",
)
INDUCTION_THRESHOLD_COWS = ProgramSetting(
    "withdrawal.induction_threshold_cows",
    label="COWS induction threshold",
    default=None,
    validate=whole_number(1, 48),
    help="Flag 'meets program induction threshold' for the prescriber when the latest COWS reaches this total. "
    "A flag, not an order. Empty: no flag.",
    origin="Program protocol. Secondary sources cite a first buprenorphine dose at COWS >= 8 (some protocols "
    "8-12); not a published standard, so no default.",
)
RISE_ALERT_POINTS = ProgramSetting(
    "withdrawal.rise_alert_points",
    label="COWS rise alert (points)",
    default=None,
    validate=whole_number(1, 48),
    help="Alert when a COWS total rises by at least this many points over the previous one. Empty: no alert.",
    origin="Program protocol. No published standard; no default.",
)
LATE_ENTRY_DAYS = ProgramSetting(
    "withdrawal.late_entry_days",
    label="late entry after (days)",
    default=7,
    validate=whole_number(0, 30),
    help="An assessment taken longer ago than this many days needs a late-entry reason.",
    origin="Waypoint documentation policy, not a clinical standard.",
)
BOARD_LEVELS = ProgramSetting(
    "withdrawal.board_levels",
    label="levels on the withdrawal board",
    default=None,
    validate=level_codes,
    help="Levels of care whose patients are on the withdrawal board. Empty: the withdrawal-management levels "
    "of the program's ASAM edition (3rd edition: 1-WM, 2-WM, 3.2-WM, 3.7-WM, 4-WM). A 4th-edition "
    "program, where withdrawal management is part of each level, lists its own.",
    origin="Program configuration.",
)
POST_DOSE_INTERVAL_HOURS = ProgramSetting(
    "withdrawal.post_dose_interval_hours",
    label="COWS every (hours) after an induction dose",
    default=None,
    validate=whole_number(1, 12),
    help="During induction: hours from a dose to the next COWS (shorter than the usual interval). Empty: the "
    "usual interval applies after doses too.",
    origin="Program protocol. The PCSS COWS form repeats the scale 1-2 h after the first dose and as further "
    "doses are given; the exact interval is the program's choice, so no default.",
)
POST_DOSE_WINDOW_HOURS = ProgramSetting(
    "withdrawal.post_dose_window_hours",
    label="closer COWS for (hours) after an induction dose",
    default=None,
    validate=whole_number(1, 72),
    help="For how many hours after a dose the post-dose interval applies. Empty: the post-dose interval is off.",
    origin="Program protocol; no published standard, so no default.",
)
