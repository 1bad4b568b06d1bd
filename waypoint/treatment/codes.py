"""Diagnoses a plan problem may cite: only the ICD-10-CM codes listed in shared/reference/clinical-scales.md."""

DIAGNOSES: dict[str, str] = {
    "F11.10": "Opioid abuse, uncomplicated",
    "F11.13": "Opioid abuse with withdrawal",
    "F11.20": "Opioid dependence, uncomplicated",
    "F11.21": "Opioid dependence, in remission",
    "F11.22": "Opioid dependence with intoxication",
    "F11.23": "Opioid dependence with withdrawal",
    "F11.93": "Opioid use, unspecified with withdrawal",
}


def diagnosis_label(code: str) -> str:
    return f"{code} {DIAGNOSES[code]}" if code in DIAGNOSES else code
