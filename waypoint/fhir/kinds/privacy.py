"""42 CFR Part 2 consents (waypoint.privacy) as FHIR Consent resources.

scope patient-privacy; policyRule the ActCode 42CFRPart2 policy; one permit provision naming the recipients
(role: information recipient), purposes (v3 PurposeOfUse codes for treatment, payment, operations), the kinds
of information (Waypoint's own CodeSystem) and the period from signature to expiry or written revocation.
`status` is what disclosure enforces: active on the program's day (not expired, not revoked).

A consent signed on the kiosk (waypoint.regulatory) carries the exact text version signed as `sourceAttachment`:
the text itself, its title and version, the version's date, the SHA-1 FHIR's Attachment.hash is defined as, and
the SHA-256 the signature is bound to (an extension); a staff witness, where the program requires one, in the
core consent-Witness extension.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from django.core.exceptions import ObjectDoesNotExist

from waypoint.privacy.models import Consent, InformationKind, Purpose

from ..codes import (
    ACT_CODE,
    CONSENT_SCOPE,
    PARTICIPATION_TYPE,
    PURPOSE_OF_USE,
    coding,
    concept,
    day,
    instant,
    meta,
    own,
    prune,
    reference,
)
from ..registry import ResourceKind, by_pk, register

PURPOSES: dict[str, dict[str, Any]] = {
    Purpose.TREATMENT: coding(PURPOSE_OF_USE, "TREAT", "treatment"),
    Purpose.PAYMENT: coding(PURPOSE_OF_USE, "HPAYMT", "healthcare payment"),
    Purpose.OPERATIONS: coding(PURPOSE_OF_USE, "HOPERAT", "healthcare operations"),
}
INFORMATION_SYSTEM = own("CodeSystem/consent-information")
EXPIRY_TEXT: dict[str, str] = {
    Consent.Expiry.END_OF_TREATMENT: "Expires at the end of treatment",
    Consent.Expiry.NONE: "No expiration (treatment, payment and health care operations)",
}


def purpose(code: str, description: str) -> dict:
    if code in PURPOSES:
        return PURPOSES[code]
    return coding(own("CodeSystem/consent-purpose"), code, description or Purpose(code).label)


WITNESS = "http://hl7.org/fhir/StructureDefinition/consent-Witness"
TEXT_SHA256 = own("StructureDefinition/consent-text-sha256")


def signed_text(consent: Consent) -> tuple[dict | None, list[dict]]:
    """The signed text version as an Attachment, and the witness extension (none for a consent recorded on paper)."""
    try:
        signature = consent.signature
    except ObjectDoesNotExist:
        return None, []
    text = signature.text
    body = text.full_text.encode("utf-8")
    attachment = {
        "extension": [{"url": TEXT_SHA256, "valueString": signature.text_sha256}],
        "contentType": "text/plain; charset=utf-8",
        "data": base64.b64encode(body).decode("ascii"),
        "size": len(body),
        "hash": base64.b64encode(hashlib.sha1(body, usedforsecurity=False).digest()).decode(
            "ascii"
        ),  # FHIR defines SHA-1
        "title": f"{text.title} (version {text.version})",
        "creation": instant(text.created_at),
    }
    witness = signature.witnessed_by
    extensions = (
        [{"url": WITNESS, "valueReference": {"display": witness.get_full_name() or witness.get_username()}}]
        if witness is not None
        else []
    )
    return attachment, extensions


def consent_resource(consent: Consent) -> list[dict]:
    end = consent.revoked_on or (consent.expires_on if consent.expiry == Consent.Expiry.DATE else None)
    expiry = consent.expiry_event if consent.expiry == Consent.Expiry.EVENT else EXPIRY_TEXT.get(consent.expiry, "")
    signer = consent.signed_by + ("" if consent.signer_is_patient else f" ({consent.representative_authority})")
    revocation = f"Revoked in writing on {consent.revoked_on}: {consent.revocation_note}" if consent.revoked_on else ""
    attachment, witness = signed_text(consent)
    return [
        prune(
            {
                "resourceType": "Consent",
                "id": f"consent-{consent.pk}",
                "meta": meta(consent.recorded_at, part2=True),
                "extension": witness,
                "status": "active" if consent.is_active() else "inactive",
                "scope": concept(CONSENT_SCOPE, "patient-privacy", "Privacy Consent"),
                "category": [
                    concept(
                        own("CodeSystem/consent-category"),
                        "42cfr2-disclosure",
                        "Consent to disclose substance use disorder records (42 CFR 2.31)",
                    )
                ],
                "patient": reference("Patient", consent.patient_id),
                "dateTime": day(consent.signed_on),
                "performer": [{"display": signer}],
                "organization": [{"display": consent.disclosing_party}],
                "sourceAttachment": attachment,
                "policyRule": concept(
                    ACT_CODE,
                    "42CFRPart2",
                    "42 CFR Part2",
                    text=" ".join(filter(None, [expiry, revocation, consent.redisclosure_statement])),
                ),
                "provision": {
                    "type": "permit",
                    "period": {"start": day(consent.signed_on), "end": day(end) if end else None},
                    "actor": [
                        {
                            "role": concept(PARTICIPATION_TYPE, "IRCP", "information recipient"),
                            "reference": {"display": name},
                        }
                        for name in consent.recipients
                    ]
                    + (
                        [
                            {
                                "role": concept(PARTICIPATION_TYPE, "IRCP", "information recipient"),
                                "reference": {"display": "General designation: the patient's treating providers (TPO)"},
                            }
                        ]
                        if consent.general_designation
                        else []
                    ),
                    "purpose": [purpose(p, consent.purpose_description) for p in consent.purposes],
                    "code": [
                        {"coding": [coding(INFORMATION_SYSTEM, kind, InformationKind(kind).label)]}
                        for kind in consent.information
                    ]
                    + [{"text": consent.information_description}],
                },
            }
        )
    ]


register(
    ResourceKind(
        key="consent",
        resource_type="Consent",
        queryset=lambda: Consent.objects.select_related(
            "patient", "program", "signature__text", "signature__witnessed_by"
        ),
        to_resources=consent_resource,
        program_field="program",
        patient_field="patient",
        updated_field="recorded_at",
        parse_id=by_pk("consent-"),
        date_field="signed_on",
    )
)
