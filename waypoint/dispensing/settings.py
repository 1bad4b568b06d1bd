"""The dispensing program settings. Federal take-home limits (42 CFR 8.12(i), 2024 rule; shared/reference/
opioid-treatment-programs.md) are CEILINGS: the program's own (state) tier table defaults to them and may only be
equal or stricter, so each tier's setting is validated against its ceiling, and the service takes the smaller of
the two again when it reads them (a value stored before this check cannot exceed the ceiling either)."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from waypoint.accounts.program_settings import ProgramSetting, whole_number

FEDERAL_SOURCE = "42 CFR 8.12(i) as revised by the 2024 final rule (89 FR 7528)"


@dataclass(frozen=True)
class Tier:
    first_day: int  # first day of treatment the tier applies from (day 1 = the day treatment began)
    federal_days: int  # federal ceiling of take-home days in this tier
    words: str
    setting: ProgramSetting


def _at_most(ceiling: int):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= ceiling:
            raise ValidationError(
                f"Give a whole number of days from 0 to {ceiling}: the federal ceiling for this period of treatment "
                f"is {ceiling} days ({FEDERAL_SOURCE}); a program's table may only be stricter."
            )

    return check


def _tier(key: str, first_day: int, federal_days: int, words: str) -> Tier:
    setting = ProgramSetting(
        f"dispensing.take_home_days.{key}",
        label=f"Most take-home days, {words}",
        default=federal_days,
        validate=_at_most(federal_days),
        origin=f"Federal ceiling, {FEDERAL_SOURCE}: {federal_days} days {words}. A state's table may be stricter.",
        help=f"The most days of take-home doses a practitioner may give a patient {words}. At most {federal_days}.",
    )
    return Tier(first_day, federal_days, words, setting)


TIERS = (
    _tier("first_14_days", 1, 7, "in the first 14 days of treatment"),
    _tier("from_day_15", 15, 14, "from day 15 of treatment"),
    _tier("from_day_31", 31, 28, "from day 31 of treatment"),
)

MISSED_DOSE_HOLD_DAYS = ProgramSetting(
    "dispensing.missed_dose_hold_days",
    label="Consecutive missed days before a reassessment hold",
    default=None,
    validate=whole_number(1, 60),
    origin="Program protocol; no published standard number of missed days, so no default: no missed-dose hold "
    "until the program sets one.",
    help="After this many consecutive days without a dose (observed or take-home), the window refuses the next "
    "dose until a prescriber reassesses the patient and lifts the hold. Empty: no missed-dose hold.",
)


def tier_for(day_of_treatment: int) -> Tier:
    return [tier for tier in TIERS if tier.first_day <= max(day_of_treatment, 1)][-1]


def take_home_limit(program, day_of_treatment: int) -> tuple[int, Tier]:
    """The most take-home days allowed on this day of treatment: the program's tier value, never above the federal
    ceiling."""
    tier = tier_for(day_of_treatment)
    value = tier.setting.get(program)
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = tier.federal_days
    return max(0, min(days, tier.federal_days)), tier


def _yes_no(value):
    if not isinstance(value, bool):
        raise ValidationError("Give true or false.")


REPLACEMENT_SECOND_SIGNATURE = ProgramSetting(
    "dispensing.replacement_second_signature",
    label="A second staff signature for a replacement dose",
    default=False,
    validate=_yes_no,
    origin="Program protocol (diversion control); the federal rules in the reference set no such requirement, so "
    "it is off until the program sets it.",
    help="When on, a dose replacing a spilled dose or a lost take-home bottle is signed by a second staff member "
    "who may dispense (their user name and password), besides the nurse who gives it.",
)


CLOSED_ON_SUNDAYS = ProgramSetting(
    "dispensing.closed_on_sundays",
    label="Dosing window closed on Sundays",
    default=False,
    validate=_yes_no,
    origin="Program calendar. Closed days (Sundays, holidays) are the days a take-home dose covers (the earlier "
    "federal rule of 2001, in the reference); whether this program opens on Sundays is its own choice.",
    help="When on, every Sunday is a closed day of the program calendar: patients dosed the day before take home "
    "the Sunday dose (within their signed take-home decision).",
)


def _adapter(value):
    from .pump import ADAPTERS

    if not isinstance(value, str) or (value and value not in ADAPTERS):
        names = ", ".join(sorted(ADAPTERS)) or "none installed"
        raise ValidationError(f"Give the name of an installed pump adapter ({names}), or leave it empty.")


PUMP = ProgramSetting(
    "dispensing.pump",
    label="Dispensing pump at the window",
    default="",
    validate=_adapter,
    origin="The program's equipment: the pump adapter installed for its dosing window (none by default: doses "
    "are poured and measured by hand).",
    help="The pump that pours liquid doses at the window. The volume the pump reports is what the dose record and "
    "the ledger get.",
)


def pump_for(program):
    """The program's pump adapter, or None (doses poured by hand)."""
    from .pump import ADAPTERS

    name = PUMP.get(program)
    return ADAPTERS[name]() if name in ADAPTERS else None
