"""The MOUD medications Waypoint records, with the routes and dose units each may be ordered in.

Pure data, no Django. No RxNorm or other drug codes: shared/reference/ publishes none for these, so none is
stored (a code would be added here, with its source, once the reference carries it).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Medication:
    code: str
    name: str
    routes: tuple[str, ...]
    units: tuple[str, ...]
    induction: bool  # whether an order may be written for the induction phase (COWS around each dose)
    note: str = ""


ROUTES = {"sublingual": "SL", "oral": "PO", "intramuscular": "IM"}
ROUTE_NAMES = {"sublingual": "Sublingual", "oral": "Oral", "intramuscular": "Intramuscular"}

MEDICATIONS: dict[str, Medication] = {
    m.code: m
    for m in (
        Medication("buprenorphine", "Buprenorphine", ("sublingual",), ("mg",), induction=True),
        Medication(
            "buprenorphine_naloxone",
            "Buprenorphine-naloxone",
            ("sublingual",),
            ("mg",),
            induction=True,
            note="Dose is the buprenorphine component (e.g. 8 mg for an 8 mg/2 mg film).",
        ),
        Medication("methadone", "Methadone", ("oral",), ("mg",), induction=True),
        Medication(
            "naltrexone_er", "Naltrexone, extended-release injectable", ("intramuscular",), ("mg",), induction=False
        ),
    )
}

CHOICES = [(m.code, m.name) for m in MEDICATIONS.values()]
BUPRENORPHINES = frozenset({"buprenorphine", "buprenorphine_naloxone"})
# Opioid agonists (full or partial): two active orders of these need a prescriber's explicit override.
AGONISTS = frozenset({"methadone"}) | BUPRENORPHINES

TIMES_IN_WORDS = {1: "once daily", 2: "twice daily", 3: "three times daily", 4: "four times daily"}


def interval_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


def schedule_text(times_per_day: int | None, min_interval_minutes: int | None, note: str = "") -> str:
    """e.g. "once daily"; "up to 12 times daily, at least 2 h apart; as needed"."""
    if times_per_day is None:
        return f"{note or 'no frequency'} (free text only: re-order with doses per day to have it checked)"
    text = TIMES_IN_WORDS.get(times_per_day, f"up to {times_per_day} times daily")
    if min_interval_minutes:
        text += f", at least {interval_text(min_interval_minutes)} apart"
    return f"{text}; {note}" if note else text


def label(medication: str, dose, unit: str, route: str) -> str:
    """e.g. "buprenorphine 4 mg SL"."""
    name = MEDICATIONS[medication].name.lower() if medication in MEDICATIONS else medication
    return f"{name} {dose_text(dose)} {unit} {ROUTES.get(route, route)}".replace("  ", " ").strip()


def dose_text(dose) -> str:
    if dose is None:
        return ""
    text = f"{dose:f}" if not isinstance(dose, str) else dose
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
