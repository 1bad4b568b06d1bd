"""The privacy area's kind of clinical record (see waypoint/records/registry.py)."""

from waypoint.records.registry import RecordKind, not_a_record, register

from .models import Consent, Purpose


def consents_of(patient, user):
    return Consent.objects.filter(patient=patient).order_by("signed_on", "pk")


def consent_row(consent: Consent) -> dict:
    return {
        "signed_on": consent.signed_on,
        "signed_by": consent.signed_by,
        "information": consent.information_description,
        "recipients": "; ".join(consent.recipients),
        "purposes": ", ".join(Purpose(purpose).label for purpose in consent.purposes),
        "expiry": consent.expires_on or consent.expiry_event or consent.get_expiry_display(),
        "revoked_on": consent.revoked_on,
    }


register(
    RecordKind(
        key="consents",
        title="Consents to disclose",
        model="privacy.Consent",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="all_sud_records",
        rows=consents_of,
        columns=(
            ("signed_on", "Signed"),
            ("signed_by", "Signed by"),
            ("information", "Information"),
            ("recipients", "Recipients"),
            ("purposes", "Purposes"),
            ("expiry", "Expires"),
            ("revoked_on", "Revoked"),
        ),
        render=consent_row,
        fhir_kinds=("consent",),
        not_on_chart="listed on the patient's privacy page, beside the accounting of disclosures",
        not_seeded="the seed's synthetic histories hold no consents: consents are signed by real patients only",
        position=80,
    )
)
not_a_record("privacy.Disclosure", "the accounting of disclosures (42 CFR 2.25): a record about the record")
not_a_record("privacy.EmergencyAccess", "a break-the-glass grant of access, reported to the privacy officer")
