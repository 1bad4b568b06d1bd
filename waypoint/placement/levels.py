"""ASAM Criteria levels of care, as listed in shared/reference/clinical-scales.md.

A program works in one edition (3rd, 2013, or 4th, 2023) and offers a subset of its levels. A level is
identified by its code within its edition: "3.7" means "Medically Monitored Intensive Inpatient" in the
3rd edition and "Medically Managed Residential" in the 4th, so every stored level carries its edition.
"""

from dataclasses import dataclass
from enum import StrEnum


class Setting(StrEnum):
    OUTPATIENT = "outpatient"
    RESIDENTIAL = "residential"  # 24-hour care: beds
    INPATIENT = "inpatient"  # 24-hour medically managed care: beds
    WITHDRAWAL = "withdrawal"  # withdrawal management (3rd edition's WM levels)


@dataclass(frozen=True)
class Level:
    edition: int
    code: str
    name: str
    setting: Setting
    position: int  # display order within the edition (the reference's order), not an intensity rank

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def has_beds(self) -> bool:
        return self.setting in {Setting.RESIDENTIAL, Setting.INPATIENT} or self.code in {
            "3.2-WM",
            "3.7-WM",
            "4-WM",
        }

    @property
    def is_withdrawal_management(self) -> bool:
        return self.setting == Setting.WITHDRAWAL


_THIRD = (
    ("0.5", "Early Intervention", Setting.OUTPATIENT),
    ("1", "Outpatient Services", Setting.OUTPATIENT),
    ("2.1", "Intensive Outpatient", Setting.OUTPATIENT),
    ("2.5", "Partial Hospitalization", Setting.OUTPATIENT),
    ("3.1", "Clinically Managed Low-Intensity Residential", Setting.RESIDENTIAL),
    ("3.3", "Clinically Managed Population-Specific High-Intensity Residential", Setting.RESIDENTIAL),
    ("3.5", "Clinically Managed High-Intensity Residential", Setting.RESIDENTIAL),
    ("3.7", "Medically Monitored Intensive Inpatient", Setting.INPATIENT),
    ("4", "Medically Managed Intensive Inpatient", Setting.INPATIENT),
    ("OTP", "Opioid Treatment Program", Setting.OUTPATIENT),
    ("1-WM", "Ambulatory Withdrawal Management without Extended On-Site Monitoring", Setting.WITHDRAWAL),
    ("2-WM", "Ambulatory Withdrawal Management with Extended On-Site Monitoring", Setting.WITHDRAWAL),
    ("3.2-WM", "Clinically Managed Residential Withdrawal Management", Setting.WITHDRAWAL),
    ("3.7-WM", "Medically Monitored Inpatient Withdrawal Management", Setting.WITHDRAWAL),
    ("4-WM", "Medically Managed Intensive Inpatient Withdrawal Management", Setting.WITHDRAWAL),
)
_FOURTH = (
    ("1.0", "Long-Term Remission Monitoring", Setting.OUTPATIENT),
    ("1.5", "Outpatient Therapy", Setting.OUTPATIENT),
    ("1.7", "Medically Managed Outpatient", Setting.OUTPATIENT),
    ("2.1", "Intensive Outpatient", Setting.OUTPATIENT),
    ("2.5", "High-Intensity Outpatient", Setting.OUTPATIENT),
    ("2.7", "Medically Managed Intensive Outpatient", Setting.OUTPATIENT),
    ("3.1", "Clinically Managed Low-Intensity Residential", Setting.RESIDENTIAL),
    ("3.5", "Clinically Managed High-Intensity Residential", Setting.RESIDENTIAL),
    ("3.7", "Medically Managed Residential", Setting.RESIDENTIAL),
    ("4", "Medically Managed Inpatient", Setting.INPATIENT),
)

LEVELS: dict[tuple[int, str], Level] = {}
for _edition, _rows in ((3, _THIRD), (4, _FOURTH)):
    for _position, (_code, _name, _setting) in enumerate(_rows):
        LEVELS[(_edition, _code)] = Level(_edition, _code, _name, _setting, _position)

EDITIONS = {3: "ASAM Criteria, 3rd edition (2013)", 4: "ASAM Criteria, 4th edition (2023)"}


class UnknownLevel(KeyError):
    """A level code that the edition does not define."""


def level(edition: int, code: str) -> Level:
    try:
        return LEVELS[(edition, code)]
    except KeyError:
        raise UnknownLevel(f"{code!r} is not a level of care of the {EDITIONS.get(edition, edition)}") from None


def levels_of(edition: int) -> list[Level]:
    return [lvl for (ed, _), lvl in LEVELS.items() if ed == edition]
