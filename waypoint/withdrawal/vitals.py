"""Vital signs taken with a withdrawal assessment: which, in what unit, and what is physically possible.

The limits below reject impossible or mistyped values (a pulse of 960, a temperature in Fahrenheit typed
into the Celsius field); they are Waypoint's plausibility limits, not clinical thresholds. Pure Python.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# UCUM codes as people read them (UCUM's own print symbols): shown on forms and in messages; FHIR keeps the codes.
READABLE_UNITS = {"/min": "/min", "mm[Hg]": "mmHg", "Cel": "\u00b0C", "%": "%"}


@dataclass(frozen=True)
class Vital:
    key: str
    label: str
    unit: str  # UCUM
    low: Decimal
    high: Decimal
    whole: bool = True

    @property
    def readable_unit(self) -> str:
        return READABLE_UNITS[self.unit]


VITALS = (
    Vital("pulse_bpm", "Pulse", "/min", Decimal(20), Decimal(250)),
    Vital("systolic_mmhg", "Systolic blood pressure", "mm[Hg]", Decimal(50), Decimal(300)),
    Vital("diastolic_mmhg", "Diastolic blood pressure", "mm[Hg]", Decimal(20), Decimal(200)),
    Vital("respiratory_rate", "Respiratory rate", "/min", Decimal(2), Decimal(80)),
    Vital("temperature_c", "Temperature", "Cel", Decimal("30.0"), Decimal("45.0"), whole=False),
    Vital("spo2_percent", "SpO2", "%", Decimal(50), Decimal(100)),
)
BY_KEY = {vital.key: vital for vital in VITALS}


class VitalsError(ValueError):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def clean_vitals(raw) -> dict[str, int | Decimal]:
    """Check a mapping of vital signs; every offending key is named at once (as `vitals.<key>`)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise VitalsError({"vitals": "Expected an object of vital signs."})
    errors, clean = {}, {}
    for key, value in raw.items():
        vital = BY_KEY.get(key)
        name = f"vitals.{key}"
        if vital is None:
            errors[name] = f"Unknown vital sign; known: {', '.join(BY_KEY)}."
            continue
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            errors[name] = "Expected a number."
            continue
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            errors[name] = "Expected a number."
            continue
        if vital.whole and number != number.to_integral_value():
            errors[name] = "Expected a whole number."
        elif not vital.low <= number <= vital.high:
            unit = vital.readable_unit
            errors[name] = f"{value} {unit} is not possible; expected {vital.low}-{vital.high} {unit}."
        else:
            clean[key] = int(number) if vital.whole else number.quantize(Decimal("0.1"))
    systolic, diastolic = clean.get("systolic_mmhg"), clean.get("diastolic_mmhg")
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        errors["vitals.diastolic_mmhg"] = "The diastolic pressure must be below the systolic."
    if errors:
        raise VitalsError(errors)
    return clean
