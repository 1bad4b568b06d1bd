"""Dose ceilings: a program's own choice per medication. No default: shared/reference/ publishes no maximum
dose for any MOUD medication, so there is no ceiling until the program sets one."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from waypoint.accounts.program_settings import ProgramSetting

from .catalog import MEDICATIONS


def milligrams(value):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = None
    if isinstance(value, bool) or number is None or not number.is_finite() or not 0 < number <= 5000:
        raise ValidationError("Give a dose in mg, more than 0 and at most 5000.")


ORIGIN = (
    "Program protocol. shared/reference/ publishes no maximum dose for this medication, so no default: "
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
