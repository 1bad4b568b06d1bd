"""The dispensing-pump interface: a small device-neutral protocol between the dosing code and a liquid-dose pump
(MethaSpense/IVEK, SciLog, ...: ../shared/reference/opioid-treatment-programs.md). The window asks the pump to
dispense a volume for a dose id and then reads back the volume the pump reports; that reported volume, not the
volume asked for, is what the dose record and the ledger get. A real adapter implements `Pump` and registers
itself in `ADAPTERS`; the dosing code never changes. `SimulatedPump` is the adapter the tests use."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

ML = Decimal("0.01")


class PumpError(Exception):
    """The pump could not dispense (not primed, empty, jammed, offline): nothing was poured."""


class Pump(Protocol):
    def dispense(self, dose_id: str, volume_ml: Decimal) -> None:
        """Pour `volume_ml` for the dose `dose_id` (raises PumpError when nothing was poured)."""

    def dispensed(self, dose_id: str) -> Decimal:
        """The volume the pump reports it poured for `dose_id`."""


ADAPTERS: dict[str, Callable[[], Pump]] = {}


def concentration(strength: str) -> Decimal | None:
    """mg per mL of a liquid lot from its printed strength ("10 mg/mL", "10mg/1 mL"); None for a solid."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*mg\s*/\s*(\d+(?:\.\d+)?)?\s*ml\s*", strength or "", re.IGNORECASE)
    if not found:
        return None
    per = Decimal(found.group(2) or "1")
    return Decimal(found.group(1)) / per if per > 0 else None


def volume_for(mg: Decimal, mg_per_ml: Decimal) -> Decimal:
    return (mg / mg_per_ml).quantize(ML)


@dataclass
class SimulatedPump:
    """A pump in memory: pours what it is asked (or `short_by_ml` less, as when it runs dry), or fails."""

    short_by_ml: Decimal = Decimal("0")
    over_by_ml: Decimal = Decimal("0")
    fail: str = ""
    poured: dict[str, Decimal] = field(default_factory=dict)

    def dispense(self, dose_id: str, volume_ml: Decimal) -> None:
        if self.fail:
            raise PumpError(self.fail)
        if dose_id in self.poured:
            raise PumpError(f"dose {dose_id} was already poured")
        self.poured[dose_id] = max(Decimal("0"), volume_ml - self.short_by_ml + self.over_by_ml)

    def dispensed(self, dose_id: str) -> Decimal:
        return self.poured.get(dose_id, Decimal("0"))
