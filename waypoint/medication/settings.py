"""Dose ceilings: a program's own choice per medication. No default: shared/reference/ publishes no maximum
dose for any MOUD medication, so there is no ceiling until the program sets one."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from waypoint.accounts.program_settings import ProgramSetting, whole_number

from .catalog import MEDICATIONS


def milligrams(value):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = None
    if isinstance(value, bool) or number is None or not number.is_finite() or not 0 < number <= 5000:
        raise ValidationError("Give a dose in mg, more than 0 and at most 5000.")


ORIGIN = (
    "Program protocol; no published standard maximum dose for this medication, so no default: "
    "no ceiling applies until the program sets one."
)

MAX_DOSE: dict[str, ProgramSetting] = {}
MAX_DAILY: dict[str, ProgramSetting] = {}
for _code, _medication in MEDICATIONS.items():
    MAX_DOSE[_code] = ProgramSetting(
        f"medication.max_dose_mg.{_code}",
        label=f"{_medication.name} single-dose ceiling (mg)",
        default=None,
        validate=milligrams,
        origin=ORIGIN,
        help=f"{_medication.name}: the largest single dose (mg) that may be ordered or recorded as given. "
        "Empty: no single-dose ceiling.",
    )
    MAX_DAILY[_code] = ProgramSetting(
        f"medication.max_daily_mg.{_code}",
        label=f"{_medication.name} 24-hour ceiling (mg)",
        default=None,
        validate=milligrams,
        origin=ORIGIN,
        help=f"{_medication.name}: the most (mg) that may be recorded as given in any 24 hours, this dose "
        "included. Empty: no daily ceiling.",
    )


def ceiling(table: dict[str, ProgramSetting], program, medication: str) -> Decimal | None:
    setting = table.get(medication)
    value = setting.get(program) if setting else None
    return Decimal(str(value)) if value is not None else None


def describe_ceiling(table: dict[str, ProgramSetting], program, medication: str) -> str:
    """A ceiling in the clinic's words, e.g. "8 mg" or "none set by the program"."""
    limit = ceiling(table, program, medication)
    return f"{limit.normalize():f} mg" if limit is not None else "none set by the program"


CEILINGS_SOURCE = ProgramSetting(
    "medication.ceilings_source",
    default="",
    help="Where the program's dose ceilings come from (e.g. the protocol's name and date), shown beside them on "
    "the prescriber's pages.",
    origin="Program configuration.",
)
INDUCTION_COWS_WINDOW_MINUTES = ProgramSetting(
    "medication.induction_cows_window_minutes",
    default=None,
    validate=whole_number(5, 24 * 60),
    help="A buprenorphine induction dose needs a COWS taken at most this many minutes before it (else a reason "
    "to give it anyway). Empty: the program's COWS interval (the setting “COWS every (hours)”).",
    origin="Program protocol. The PCSS COWS form scores at time zero and around each dose; how recent the "
    "score before a dose must be is the program's choice, so no default of its own.",
)
