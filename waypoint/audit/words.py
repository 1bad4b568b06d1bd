"""An audit event's action in the words a privacy officer reads ("Comfort medication: dose refused"), not its
code ("comfort.dose.refused"). The code stays what is stored, filtered on and exported; these words are what the
audit trail page shows beside it.

An action is `area.what[.what…]`: the area's name, then each further part in words. A part with no words here
is shown with its underscores as spaces, so a new action is never shown as a bare code; the test in
audit/tests/test_words.py keeps every action the code records in this vocabulary.
"""

from __future__ import annotations

from django.apps import apps

AREAS = {
    "access": "Access",
    "account": "User account",
    "aftercare": "Continuing care",
    "apitoken": "API token",
    "assessment": "Withdrawal assessment",
    "audit": "Audit trail",
    "auth": "Sign-in",
    "breach": "Breach",
    "chart": "Chart",
    "comfort": "Comfort medication",
    "consent": "Consent",
    "consent_text": "Consent form text",
    "disclosure": "Disclosure",
    "dispensing": "OTP dispensing",
    "drug_screen": "Drug screen",
    "dual_enrollment": "Dual-enrollment check",
    "episode": "Episode of care",
    "fhir": "FHIR",
    "form": "Typed entries",
    "kiosk": "Patient kiosk",
    "medication": "MOUD",
    "note": "Note",
    "patient": "Patient",
    "pdmp": "Prescription monitoring (PDMP)",
    "placement": "Level-of-care placement",
    "plan": "Treatment plan",
    "plan_template": "Treatment plan template",
    "privacy": "Privacy",
    "program": "Program",
    "referral": "Referral",
    "registry": "Central registry",
    "screening": "Health screening",
    "seed": "Demonstration data",
    "session": "Group session",
    "teds": "TEDS state report",
    "telemedicine": "Telemedicine",
    "user": "User",
}

PARTS = {
    "accounting": "accounting of disclosures",
    "acknowledge": "acknowledged",
    "add": "added",
    "adjustment": "adjustment",
    "administration": "dose",
    "admit": "admitted",
    "admitted": "admitted",
    "allergy": "allergy",
    "amend": "amended",
    "attendance": "attendance",
    "bottle": "take-home bottle",
    "bottles": "take-home bottles",
    "break_glass": "emergency access (break the glass)",
    "break_glass_report": "emergency access report",
    "bulk": "bulk export",
    "calendar": "program calendar",
    "call_back": "call-back",
    "cancel": "cancelled",
    "change": "changed",
    "check": "checked",
    "client": "external system",
    "close": "closed",
    "closed": "closed",
    "closed_day": "closed day",
    "contact": "contact",
    "copy": "patient's copy",
    "counseling": "counseling",
    "count": "count",
    "create": "recorded",
    "deactivate": "deactivated",
    "demo": "demonstration",
    "denied": "refused",
    "discharge": "discharged",
    "dispense": "dispensed",
    "dose": "dose",
    "download": "downloaded",
    "education": "education",
    "encounter": "encounter",
    "end": "ended",
    "enrol": "enrolled",
    "entered_in_error": "marked entered in error",
    "entries": "entries",
    "event": "event",
    "export": "exported",
    "follow_up": "follow-up",
    "given": "given",
    "group_note": "group note",
    "guest": "guest dose",
    "hand_off": "handed off",
    "held": "held",
    "history": "history",
    "hold": "hold",
    "issue": "issued",
    "keep": "kept",
    "kickoff": "started",
    "ledger": "controlled-substance ledger",
    "lift": "lifted",
    "list": "list",
    "lockout": "locked out",
    "missed": "missed",
    "naloxone": "naloxone",
    "notice": "notice",
    "observed": "observed dose",
    "open": "opened",
    "order": "order",
    "overdose": "overdose",
    "passkey": "passkey",
    "patient": "patient",
    "photo": "photo",
    "plan": "plan",
    "progress": "progress",
    "protocol": "protocol",
    "read": "viewed",
    "reauthenticate": "re-authenticated",
    "receipt": "receipt",
    "record": "recorded",
    "recovery_codes": "recovery codes",
    "referred_elsewhere": "referred elsewhere",
    "refusal": "refusal",
    "refused": "refused",
    "register": "registered",
    "remove": "removed",
    "replacement": "replacement dose",
    "report": "report",
    "restore": "restored",
    "return": "returned",
    "return_to_use": "return to use",
    "review": "review",
    "revoke": "revoked",
    "risk_assessment": "risk assessment",
    "roster": "roster",
    "rule_table": "rule table",
    "run": "run",
    "safe_storage": "safe-storage education",
    "save": "saved",
    "schedule": "scheduled",
    "screen": "screen",
    "screening": "screening",
    "sentinel": "sentinel event",
    "session": "session",
    "sessions": "sessions",
    "set": "set",
    "setting": "setting",
    "sign": "signed",
    "sign_in": "signed in",
    "sign_off": "signed off",
    "spill": "spill (witnessed)",
    "start": "started",
    "stop": "stopped",
    "take_home": "take-home bottle",
    "take_home_decision": "take-home decision",
    "task": "task",
    "timeout": "timed out",
    "trail": "trail",
    "transfer": "transfer out",
    "two_factor": "two-step sign-in",
    "update": "updated",
    "waitlist": "waiting list",
    "waste": "waste (witnessed)",
    "work_list": "work list",
}


def part_words(part: str) -> str:
    return PARTS.get(part, part.replace("_", " "))


def action_words(action: str) -> str:
    """ "comfort.dose.refused" → "Comfort medication: dose refused"; an unknown area is shown in words too."""
    area, _, rest = action.partition(".")
    area_words = AREAS.get(area, area.replace("_", " ").capitalize())
    if not rest:
        return area_words
    return f"{area_words}: {' '.join(part_words(part) for part in rest.split('.'))}"


def object_words(object_type: str) -> str:
    """A record's kind as its model names it ("patients.allergy" → "allergy"); the label itself if unknown."""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type
