"""Privacy services: break-the-glass emergency access (HIPAA 164.312(a)(2)(ii)); 42 CFR Part 2 consents,
disclosures and the accounting of disclosures."""

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from waypoint.accounts.models import Program, User
from waypoint.accounts.roles import BREAK_GLASS, CONSENT_MANAGE, COUNSELING_NOTE_READ, COUNSELING_NOTE_WRITE
from waypoint.audit import trail as audit
from waypoint.patients.access import has_permission, require, visible_patients
from waypoint.patients.models import Patient

from . import settings as policy
from .models import (
    TPO_PURPOSES,
    AuditEvent,
    Consent,
    Disclosure,
    EmergencyAccess,
    InformationKind,
    Purpose,
    covered_information,
)

MIN_REASON_LENGTH = 10
DENIED = AuditEvent.Outcome.DENIED


def break_the_glass(
    *, acting_user: User, program: Program, mrn: str, reason: str
) -> tuple[Patient, EmergencyAccess | None]:
    """Open one chart outside the user's care teams for a limited time, with a reason; audited either way (a
    refused attempt as denied, with why, in its own transaction so that the refusal does not roll it back).

    It finds the patient outside visible_patients (a sanctioned lookup, docs/security.md): by exact MRN within the
    user's own program.
    """
    require(acting_user, program.pk, BREAK_GLASS)
    errors = {}
    if len(reason.strip()) < MIN_REASON_LENGTH:
        errors["reason"] = "Describe the emergency (at least 10 characters): it goes on the privacy officer's report."
    # sanctioned (not visible_patients): break the glass finds a patient off the user's teams
    patient = Patient.objects.filter(program=program, mrn=mrn.strip()).first()
    if patient is None:
        errors["mrn"] = "No patient with this MRN in this program."
    if errors:
        detail = {"mrn": mrn.strip()[:64], "why": " ".join(errors.values())}
        audit.record(acting_user, "chart.break_glass", program=program, outcome=DENIED, detail=detail)
        raise ValidationError(errors)
    assert patient is not None  # refused above otherwise
    if visible_patients(acting_user, program).filter(pk=patient.pk).exists():
        return patient, None  # already on the user's care team: nothing to break
    return patient, _grant_emergency_access(acting_user, program, patient, reason)


@transaction.atomic
def _grant_emergency_access(acting_user: User, program: Program, patient: Patient, reason: str) -> EmergencyAccess:
    now = timezone.now()
    access = EmergencyAccess.objects.create(
        program=program,
        user=acting_user,
        patient=patient,
        reason=reason.strip(),
        started_at=now,
        expires_at=now + timedelta(hours=policy.BREAK_GLASS_HOURS.get(program)),
    )
    audit.record(acting_user, "chart.break_glass", patient=patient, obj=access, detail={"reason": reason.strip()})
    return access


def active_access(user: User, patient: Patient) -> EmergencyAccess | None:
    return (
        EmergencyAccess.objects.filter(user=user, patient=patient, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )


# 42 CFR Part 2 consents and disclosures.


def _consent_errors(data: dict[str, Any], today: date) -> dict[str, str]:
    """Every element 42 CFR 2.31 requires, checked at once; `today` is the program's day (its time zone)."""
    errors = {}
    kinds = data.get("information") or []
    if not kinds or not set(kinds) <= set(InformationKind.values):
        errors["information"] = f"Choose the kinds of information from: {', '.join(InformationKind.values)}."
    if not data.get("information_description", "").strip():
        errors["information_description"] = "Describe specifically how much and what kind of information."
    if not data.get("disclosing_party", "").strip():
        errors["disclosing_party"] = "Name who may make the disclosure."
    purposes = data.get("purposes") or []
    if not purposes or not set(purposes) <= set(Purpose.values):
        errors["purposes"] = f"Choose the purpose(s) from: {', '.join(Purpose.values)}."
    elif Purpose.OTHER in purposes and not data.get("purpose_description", "").strip():
        errors["purpose_description"] = "Describe the purpose."
    tpo = bool(purposes) and set(purposes) <= TPO_PURPOSES
    recipients = [r.strip() for r in data.get("recipients") or [] if r.strip()]
    if not recipients:
        errors["recipients"] = "Name the recipient(s)."
    if data.get("general_designation") and not tpo:
        errors["general_designation"] = "A general designation of recipients is allowed only for TPO consents."
    expiry = data.get("expiry")
    if expiry not in Consent.Expiry.values:
        errors["expiry"] = "Give an expiration date or event."
    elif expiry == Consent.Expiry.DATE and not data.get("expires_on"):
        errors["expires_on"] = "Give the expiration date."
    elif expiry == Consent.Expiry.EVENT and not data.get("expiry_event", "").strip():
        errors["expiry_event"] = "Describe the expiring event."
    elif expiry == Consent.Expiry.NONE and not tpo:
        errors["expiry"] = "'None' is allowed only for a consent to treatment, payment and health care operations."
    if not data.get("signed_by", "").strip():
        errors["signed_by"] = "Name who signed."
    if not data.get("signer_is_patient", True) and not data.get("representative_authority", "").strip():
        errors["representative_authority"] = "Say what authorizes the representative to sign."
    signed_on = data.get("signed_on")
    if signed_on is None:
        errors["signed_on"] = "Give the date signed."
    elif signed_on > today:
        errors["signed_on"] = "The signature date cannot be in the future."
    if data.get("expires_on") and signed_on and data["expires_on"] < signed_on:
        errors["expires_on"] = "The consent cannot expire before it was signed."
    if data.get("right_to_revoke_explained") is not True:
        errors["right_to_revoke_explained"] = "The consent must state the patient's right to revoke it in writing."
    return errors


CONSENT_FIELDS = (
    "disclosing_party",
    "information",
    "information_description",
    "recipients",
    "general_designation",
    "purposes",
    "purpose_description",
    "expiry",
    "expires_on",
    "expiry_event",
    "signed_by",
    "signer_is_patient",
    "representative_authority",
    "signed_on",
    "right_to_revoke_explained",
)


@transaction.atomic
def record_consent(*, acting_user: User, patient: Patient, **data: Any) -> Consent:
    require(acting_user, patient.program_id, CONSENT_MANAGE)
    unknown = set(data) - set(CONSENT_FIELDS)
    errors = {name: "Unknown field." for name in unknown} | _consent_errors(data, patient.program.today())
    if errors:
        raise ValidationError(errors)
    data["recipients"] = [r.strip() for r in data["recipients"] if r.strip()]
    consent = Consent(program_id=patient.program_id, patient=patient, recorded_by=acting_user, **data)
    if consent.is_tpo:
        consent.redisclosure_statement = policy.REDISCLOSURE_STATEMENT
    consent.save()
    audit.record(acting_user, "consent.create", patient=patient, obj=consent)
    return consent


@transaction.atomic
def revoke_consent(*, acting_user: User, consent: Consent, revoked_on: date | None, note: str) -> Consent:
    """A written, dated revocation: from that date no disclosure may rely on the consent."""
    require(acting_user, consent.program_id, CONSENT_MANAGE)
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    errors = {}
    if consent.revoked_on is not None:
        errors["revoked_on"] = "This consent is already revoked."
    elif revoked_on is None or revoked_on > consent.program.today():
        errors["revoked_on"] = "Give the date of the written revocation (not in the future)."
    if not note.strip():
        errors["revocation_note"] = "Record how the patient revoked it in writing."
    if errors:
        raise ValidationError(errors)
    consent.revoked_on, consent.revocation_note, consent.revoked_by = revoked_on, note.strip(), acting_user
    consent.save(update_fields=["revoked_on", "revocation_note", "revoked_by"])
    audit.record(acting_user, "consent.revoke", patient=consent.patient, obj=consent)
    return consent


def _covers(consent: Consent, recipient: str, purpose: str, kinds: set[str]) -> list[str]:
    """What this consent lacks for the disclosure (empty: it covers it)."""
    missing = []
    named = {r.casefold() for r in consent.recipients}
    if recipient.casefold() not in named and not (consent.general_designation and purpose in TPO_PURPOSES):
        missing.append(f"recipient {recipient!r}")
    if purpose not in consent.purposes:
        missing.append(f"purpose {purpose!r}")
    lacking = sorted(kinds - covered_information(consent.information))
    if lacking:
        missing.append("information " + ", ".join(lacking))
    return missing


def covering_consent(patient: Patient, recipient: str, purpose: str, kinds: set[str]) -> Consent:
    """The active consent that covers this recipient, purpose and information, or an error naming what is missing."""
    today = patient.program.today()  # the program's day, in its time zone
    active = [c for c in patient.consents.select_related("program") if c.is_active(today)]
    if not active:
        raise ValidationError(
            {"consent": "No active consent: the patient has not consented, or every consent is revoked or expired."}
        )
    shortfalls = []
    for consent in active:
        missing = _covers(consent, recipient, purpose, kinds)
        if not missing:
            return consent
        shortfalls.append(f"consent of {consent.signed_on:%Y-%m-%d} does not cover {'; '.join(missing)}")
    raise ValidationError({"consent": "No active consent covers this disclosure: " + " / ".join(shortfalls) + "."})


def disclose(
    *, acting_user: User, patient: Patient, recipient: str, purpose: str, information: list[str], channel: str = "print"
) -> Disclosure:
    """Disclose outside the program: only under a covering active consent; logged with the Part 2 notice.

    A disclosure refused for want of a covering consent is recorded too (outcome denied, with what was missing)."""
    try:
        return _disclose(acting_user, patient, recipient, purpose, information, channel)
    except ValidationError as error:
        if "consent" in getattr(error, "message_dict", {}):
            detail = {"recipient": recipient.strip()[:200], "purpose": purpose, "why": error.message_dict["consent"][0]}
            audit.record(acting_user, "disclosure.create", patient=patient, outcome=DENIED, detail=detail)
        raise


@transaction.atomic
def _disclose(
    acting_user: User, patient: Patient, recipient: str, purpose: str, information: list[str], channel: str
) -> Disclosure:
    require(acting_user, patient.program_id, CONSENT_MANAGE)
    errors = {}
    if not recipient.strip():
        errors["recipient"] = "Name the recipient."
    if purpose not in Purpose.values:
        errors["purpose"] = f"Choose one of: {', '.join(Purpose.values)}."
    if not information or not set(information) <= set(InformationKind.values):
        errors["information"] = f"Choose from: {', '.join(InformationKind.values)}."
    elif InformationKind.COUNSELING_NOTES in information and not any(
        has_permission(acting_user, patient.program_id, p) for p in (COUNSELING_NOTE_READ, COUNSELING_NOTE_WRITE)
    ):
        errors["information"] = (
            "Your role neither keeps nor reads SUD counseling notes: their author or a care-team "
            "counselor discloses them."
        )
    if errors:
        raise ValidationError(errors)
    consent = covering_consent(patient, recipient.strip(), purpose, set(information))
    disclosure = Disclosure.objects.create(
        program_id=patient.program_id,
        patient=patient,
        consent=consent,
        recipient=recipient.strip(),
        purpose=purpose,
        information=sorted(set(information)),
        notice=policy.PART2_NOTICE.get(patient.program),
        disclosed_by=acting_user,
        channel=channel,
    )
    audit.record(
        acting_user,
        "disclosure.create",
        patient=patient,
        obj=disclosure,
        detail={"recipient": disclosure.recipient, "purpose": purpose, "consent": consent.pk},
    )
    return disclosure


def accounting(patient: Patient, *, years: int = 3) -> QuerySet[Disclosure]:
    """Disclosures made with consent in the prior three years (42 CFR 2.25): date, recipient, what, purpose."""
    since = timezone.now() - timedelta(days=365 * years + years // 4)
    return patient.disclosures.filter(disclosed_at__gte=since).select_related("disclosed_by")
