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

CIWA_AR_MAX_TOTAL = 67  # the form's "maximum possible score 67" (waypoint.scales.ciwa)
BAND_LABEL_LENGTH = 60
BAND_SOURCE_LENGTH = 200


def ciwa_ar_bands(value):
    """The program's CIWA-Ar bands: the source it follows and each band's lowest total with its label."""
    from django.core.exceptions import ValidationError

    shape = (
        'Give the source and the bands, e.g. {"source": "our alcohol withdrawal protocol, 2026", '
        '"bands": [{"from": 0, "label": "..."}, {"from": 10, "label": "..."}]}.'
    )
    if not isinstance(value, dict) or set(value) != {"source", "bands"}:
        raise ValidationError(shape)
    source, bands = value["source"], value["bands"]
    if not isinstance(source, str) or not source.strip() or len(source) > BAND_SOURCE_LENGTH:
        raise ValidationError(
            f"Name the source of the bands (the protocol the program follows), at most {BAND_SOURCE_LENGTH} characters."
        )
    if not isinstance(bands, list) or not bands:
        raise ValidationError(shape)
    previous = -1
    for band in bands:
        if not isinstance(band, dict) or set(band) != {"from", "label"}:
            raise ValidationError(shape)
        low, label = band["from"], band["label"]
        if isinstance(low, bool) or not isinstance(low, int) or not 0 <= low <= CIWA_AR_MAX_TOTAL:
            raise ValidationError(f"Each band starts at a whole-number total from 0 to {CIWA_AR_MAX_TOTAL}.")
        if not isinstance(label, str) or not label.strip() or len(label) > BAND_LABEL_LENGTH:
            raise ValidationError(f"Each band has a label of at most {BAND_LABEL_LENGTH} characters.")
        if previous == -1 and low != 0:
            raise ValidationError("The first band starts at 0, so every total falls in a band.")
        if low <= previous:
            raise ValidationError("Each band starts above the one before it.")
        previous = low


CIWA_AR_BANDS = ProgramSetting(
    "withdrawal.ciwa_ar_bands",
    label="CIWA-Ar severity bands",
    default=None,
    validate=ciwa_ar_bands,
    help="The program's CIWA-Ar severity bands: the source it follows and, for each band, the lowest total it "
    "starts at (the first at 0) and its label. Each assessment keeps the band it was given when recorded; a "
    "later change does not relabel earlier ones. Empty: the total only, shown as no bands set by the program.",
    origin="Program protocol. Protocols differ (some start at 8 or 10, call 15, 16 or 20 severe); no single "
    "standard is published, so no default.",
)
CIWA_AR_INTERVAL_HOURS = ProgramSetting(
    "withdrawal.ciwa_ar_interval_hours",
    label="CIWA-Ar every (hours)",
    default=None,
    validate=whole_number(1, 24),
    help="Hours between CIWA-Ar assessments for a patient the nurses assess with CIWA-Ar (alcohol co-use); the "
    "board shows the next one due. Empty: the COWS interval applies.",
    origin="Program protocol. No published standard interval, so no default of its own.",
)


def ciwa_ar_band(program, total: int) -> tuple[str, str] | None:
    """(label, source) of the program's band for a CIWA-Ar total, or None when the program sets no bands."""
    value = CIWA_AR_BANDS.get(program)
    if not value:
        return None
    label = ""
    for band in value["bands"]:
        if total >= band["from"]:
            label = band["label"]
    return (label, value["source"]) if label else None


NO_BANDS = "no bands set by the program"
