"""Regulatory services: consent texts (versioned, hashed), consents signed on the kiosk, consents near expiry,
and the breach register with its affected-patient list and notification deadlines.

Facts: ../shared/reference/privacy-rules.md (42 CFR 2.31, 2.33, 2.16; 45 CFR 164.400-414)."""

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet, TextChoices
from django.utils import timezone

from waypoint.accounts.models import Program, User
from waypoint.accounts.roles import PRIVACY_REPORTS
from waypoint.audit import trail as audit
from waypoint.audit.models import AuditEvent
from waypoint.patients.access import require
from waypoint.patients.models import Patient
from waypoint.privacy import services as privacy
from waypoint.privacy.models import TPO_PURPOSES, Consent, InformationKind, Purpose
from waypoint.privacy.settings import REDISCLOSURE_STATEMENT

from . import settings as policy
from .models import Breach, BreachNotice, ConsentSignature, ConsentText, text_hash

if TYPE_CHECKING:
    from waypoint.withdrawal.models import KioskSession

DENIED = AuditEvent.Outcome.DENIED

# The terms a consent text fixes for every consent signed on it (the 42 CFR 2.31 elements other than the
# patient's name, signature and date, which the signing adds).
TERM_FIELDS = (
    "disclosing_party",
    "information",
    "information_description",
    "recipients",
    "general_designation",
    "purposes",
    "purpose_description",
    "expiry",
    "valid_days",
    "expiry_event",
)

TPO_BODY = (
    "This form asks your permission to share your substance use disorder treatment records for your treatment, "
    "for payment for your care, and for health care operations. One signature covers all of these future uses "
    "and disclosures until you take it back in writing.\n\n"
    "Federal law (42 CFR part 2) protects these records. Records shared under this consent may not be used "
    "against you in civil, criminal, administrative or legislative proceedings."
)


def tpo_terms(program: Program) -> dict[str, Any]:
    """The 2024 single consent for all future treatment, payment and health care operations (42 CFR 2.33)."""
    return {
        "disclosing_party": program.name,
        "information": [InformationKind.ALL_SUD_RECORDS.value],
        "information_description": "All my substance use disorder treatment records at this program, except "
        "SUD counseling notes.",
        "recipients": ["My treating providers, health plans and their business associates"],
        "general_designation": True,
        "purposes": [Purpose.TREATMENT.value, Purpose.PAYMENT.value, Purpose.OPERATIONS.value],
        "purpose_description": "",
        "expiry": Consent.Expiry.NONE.value,
        "valid_days": None,
        "expiry_event": "",
    }


def _words(choices: type[TextChoices], values: Iterable[str]) -> str:
    labels = dict(choices.choices)
    return "; ".join(str(labels.get(value, value)) for value in values)


def _expiry_words(terms: dict[str, Any]) -> str:
    match terms["expiry"]:
        case Consent.Expiry.DATE:
            return f"{terms['valid_days']} days after the date you sign it."
        case Consent.Expiry.END_OF_TREATMENT:
            return "The end of your treatment at this program."
        case Consent.Expiry.EVENT:
            event: str = terms["expiry_event"]
            return event
    return "None: it lasts until you revoke it in writing."


def render_full_text(title: str, body: str, terms: dict[str, Any]) -> str:
    """The exact text the signer reads, and what its hash covers: the explanation and every 2.31 element."""
    recipients = "\n".join(f"- {r}" for r in terms["recipients"])
    purposes = _words(Purpose, terms["purposes"])
    if terms.get("purpose_description"):
        purposes += f" ({terms['purpose_description']})"
    lines = [
        title,
        "",
        body.strip(),
        "",
        f"Who may share the information: {terms['disclosing_party']}",
        f"What information: {terms['information_description']} ({_words(InformationKind, terms['information'])})",
        "Who may receive it"
        + (
            " (a general designation, allowed for treatment, payment and operations):"
            if terms["general_designation"]
            else ":"
        ),
        recipients,
        f"Why: {purposes}",
        f"This consent ends: {_expiry_words(terms)}",
        f"Your right to revoke: you may revoke this consent at any time by telling {terms['disclosing_party']} in "
        "writing (a signed note given or sent to the program). Revoking stops future sharing; it cannot undo "
        "sharing already done under this consent.",
    ]
    if set(terms["purposes"]) <= set(TPO_PURPOSES):
        lines.append(f"Redisclosure: {REDISCLOSURE_STATEMENT}")
    return "\n".join(lines)


def _terms_errors(terms: dict[str, Any], today: date) -> dict[str, str]:
    """The 2.31 checks of privacy.services, applied to the text's terms (with a placeholder signer and date)."""
    data = {k: v for k, v in terms.items() if k != "valid_days"}
    expiry = terms.get("expiry")
    errors: dict[str, str] = {}
    if expiry == Consent.Expiry.DATE:
        days = terms.get("valid_days")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
            errors["valid_days"] = "Give how many days after signing the consent expires (1 to 3660)."
        data["expires_on"] = today + timedelta(days=days if isinstance(days, int) else 1)
    data |= {"signed_by": "-", "signed_on": today, "right_to_revoke_explained": True}
    return privacy._consent_errors(data, today) | errors


def _check_text(title: str, body: str, terms: dict[str, Any], today: date) -> dict[str, Any]:
    unknown = set(terms) - set(TERM_FIELDS)
    defaults: dict[str, Any] = {
        "disclosing_party": "",
        "information": [],
        "information_description": "",
        "recipients": [],
        "general_designation": False,
        "purposes": [],
        "purpose_description": "",
        "expiry": "",
        "valid_days": None,
        "expiry_event": "",
    }
    terms = defaults | terms
    errors = {name: "Unknown field." for name in unknown} | _terms_errors(terms, today)
    if not title.strip():
        errors["title"] = "Give the consent a title."
    if not body.strip():
        errors["body"] = "Explain the consent in plain language."
    if errors:
        raise ValidationError(errors)
    terms["recipients"] = [r.strip() for r in terms["recipients"] if r.strip()]
    return terms


def _save_text(
    acting_user: User,
    program: Program,
    *,
    series: str,
    version: int,
    kind: str,
    title: str,
    body: str,
    terms: dict[str, Any],
    note: str = "",
) -> ConsentText:
    full_text = render_full_text(title.strip(), body, terms)
    text = ConsentText.objects.create(
        program=program,
        series=series,
        version=version,
        kind=kind,
        title=title.strip(),
        body=body.strip(),
        terms=terms,
        full_text=full_text,
        sha256=text_hash(full_text),
        created_by=acting_user,
        change_note=note.strip(),
    )
    audit.record(acting_user, "consent_text.create", program=program, obj=text, detail={"sha256": text.sha256})
    return text


@transaction.atomic
def create_consent_text(
    *, acting_user: User, program: Program, kind: str, title: str, body: str, terms: dict[str, Any]
) -> ConsentText:
    require(acting_user, program.pk, PRIVACY_REPORTS)
    if kind not in ConsentText.Kind.values:
        raise ValidationError({"kind": "Choose the kind of consent."})
    terms = _check_text(title, body, terms, program.today())
    if kind == ConsentText.Kind.TPO and not set(terms["purposes"]) <= set(TPO_PURPOSES):
        raise ValidationError({"purposes": "The single TPO consent covers treatment, payment and operations only."})
    return _save_text(
        acting_user, program, series=secrets.token_hex(8), version=1, kind=kind, title=title, body=body, terms=terms
    )


def start_tpo_text(*, acting_user: User, program: Program) -> ConsentText:
    """The program's single TPO consent from the 2024 default wording (the privacy officer may revise it)."""
    return create_consent_text(
        acting_user=acting_user,
        program=program,
        kind=ConsentText.Kind.TPO,
        title="Consent to share my records for treatment, payment and health care operations",
        body=TPO_BODY,
        terms=tpo_terms(program),
    )


@transaction.atomic
def revise_consent_text(
    *, acting_user: User, text: ConsentText, title: str, body: str, terms: dict[str, Any], note: str
) -> ConsentText:
    """An edited text is a new version with a new hash: consents signed on the old one stay bound to the old
    text, and a patient must sign the new version for it to apply."""
    require(acting_user, text.program_id, PRIVACY_REPORTS)
    if not note.strip():
        raise ValidationError({"change_note": "Say what changed and why."})
    if text.pk != current_version(text.series).pk:
        raise ValidationError({"text": "Revise the current version of this consent."})
    terms = _check_text(title, body, terms, text.program.today())
    return _save_text(
        acting_user,
        text.program,
        series=text.series,
        version=text.version + 1,
        kind=text.kind,
        title=title,
        body=body,
        terms=terms,
        note=note,
    )


def current_version(series: str) -> ConsentText:
    return ConsentText.objects.filter(series=series).order_by("-version")[0]


def current_texts(program: Program) -> list[ConsentText]:
    latest = (
        ConsentText.objects.filter(program=program)
        .values("series")
        .annotate(top=Max("version"))
        .values("series", "top")
    )
    wanted = {(row["series"], row["top"]) for row in latest}
    return [t for t in ConsentText.objects.filter(program=program) if (t.series, t.version) in wanted]


DRAWING = re.compile(r"^(?:[ML] ?-?\d{1,4}(?:\.\d{1,2})? -?\d{1,4}(?:\.\d{1,2})? ?)+$")


@dataclass
class SignatureInput:
    text_id: int
    shown_sha256: str
    method: str
    typed_name: str = ""
    attested: bool = False
    drawing: str = ""
    signer_is_patient: bool = True
    representative_name: str = ""
    representative_authority: str = ""
    # the staff witness, once the kiosk's page has checked their password (authenticate); None: no witness
    witness: User | None = None


def sign_consent(*, kiosk: "KioskSession", signed: SignatureInput) -> Consent:
    """The patient (or a representative) signs a consent text on the kiosk: a Part 2 consent with the text's
    terms, bound to the hash of the exact text shown. A stale text (changed since it was shown) or a missing
    signature is refused, and the refusal recorded."""
    try:
        return _sign(kiosk, signed)
    except ValidationError as error:
        why = "; ".join(f"{k}: {v[0]}" for k, v in error.message_dict.items())
        with transaction.atomic():
            audit.record(
                kiosk.opened_by,
                "consent.sign",
                patient=kiosk.patient,
                outcome=DENIED,
                detail={"text": signed.text_id, "why": why[:500]},
            )
        raise


@transaction.atomic
def _sign(kiosk: "KioskSession", signed: SignatureInput) -> Consent:
    patient = kiosk.patient
    text = ConsentText.objects.filter(program_id=patient.program_id, pk=signed.text_id).first()
    if text is None:
        raise ValidationError({"text": "This consent form is not offered here."})
    if signed.shown_sha256 != text.sha256 or current_version(text.series).pk != text.pk:
        raise ValidationError(
            {"text": "This consent form was changed after it was shown. Please read the new version before signing."}
        )
    method = policy.SIGNATURE_METHOD.get(patient.program)
    errors: dict[str, str] = {}
    if signed.method != method:
        errors["method"] = "Sign the way this program asks."
    elif method == ConsentSignature.Method.TYPED:
        if not signed.typed_name.strip():
            errors["typed_name"] = "Type your full name to sign."
        if signed.attested is not True:
            errors["attested"] = "Tick the box to confirm that typing your name is your signature."
    elif not DRAWING.match(signed.drawing.strip()) or len(signed.drawing) > 20000:
        errors["drawing"] = "Draw your signature in the box."
    if not signed.signer_is_patient:
        if not signed.representative_name.strip():
            errors["representative_name"] = "Give the name of the person signing for the patient."
        if not signed.representative_authority.strip():
            errors["representative_authority"] = "Say what allows you to sign for the patient (e.g. legal guardian)."
    witness = None
    if policy.CONSENT_WITNESS.get(patient.program):
        if signed.witness is None or signed.witness.pk != kiosk.opened_by_id:
            errors["witness_password"] = (
                f"A staff witness is required: {staff_name(kiosk.opened_by)}, who opened this kiosk, enters their "
                "password to confirm they saw the consent signed."
            )
        else:
            witness = signed.witness
    if errors:
        raise ValidationError(errors)
    if signed.signer_is_patient:
        signer = signed.typed_name.strip() or f"{patient.given_name} {patient.family_name}"
    else:
        signer = signed.representative_name.strip()
    terms = dict(text.terms)
    today = patient.program.today()  # the date signed: the program's day
    valid_days = terms.pop("valid_days", None)
    consent = privacy.record_consent(
        acting_user=kiosk.opened_by,
        patient=patient,
        **terms,
        expires_on=today + timedelta(days=valid_days) if terms["expiry"] == Consent.Expiry.DATE else None,
        signed_by=signer,
        signer_is_patient=signed.signer_is_patient,
        representative_authority=signed.representative_authority.strip(),
        signed_on=today,
        right_to_revoke_explained=True,  # the text states the right to revoke and how (render_full_text)
    )
    signature = ConsentSignature.objects.create(
        program_id=patient.program_id,
        patient=patient,
        consent=consent,
        text=text,
        text_sha256=signed.shown_sha256,
        method=method,
        typed_name=signed.typed_name.strip(),
        attested=signed.attested,
        drawing=signed.drawing.strip() if method == ConsentSignature.Method.DRAWN else "",
        signer_name=signer,
        signer_is_patient=signed.signer_is_patient,
        representative_authority=signed.representative_authority.strip(),
        kiosk_session_id=kiosk.pk,
        witnessed_by=witness,
    )
    audit.record(
        kiosk.opened_by,
        "consent.sign",
        patient=patient,
        obj=signature,
        detail={"consent": consent.pk, "text": text.pk, "version": text.version, "sha256": text.sha256}
        | ({"witness": witness.pk} if witness else {}),
    )
    return consent


def staff_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


# Consents near their expiry: for the privacy officer and on the chart.


@dataclass
class ReviewItem:
    consent: Consent
    why: str


def consents_to_review(program: Program, *, patient: Patient | None = None, on: date | None = None) -> list[ReviewItem]:
    """Active consents expiring within the program's review window, and consents signed on a text that has
    since been revised (a new signature is needed for the new version to apply)."""
    on = on or program.today()
    window = policy.CONSENT_REVIEW_DAYS.get(program)
    consents = Consent.objects.filter(program=program, revoked_on__isnull=True).select_related("patient")
    if patient is not None:
        consents = consents.filter(patient=patient)
    items = []
    for consent in consents:
        if not consent.is_active(on):
            continue
        expires_on = consent.expires_on if consent.expiry == Consent.Expiry.DATE else None
        if expires_on is not None and expires_on <= on + timedelta(days=window):
            left = (expires_on - on).days
            when = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
            items.append(ReviewItem(consent, f"expires {when} ({expires_on:%Y-%m-%d})"))
            continue
        signature = ConsentSignature.objects.filter(consent=consent).select_related("text").first()
        if signature is not None:
            latest = current_version(signature.text.series)
            if latest.pk != signature.text_id:
                items.append(
                    ReviewItem(
                        consent,
                        f"signed on version {signature.text.version} of \u201c{signature.text.title}\u201d; "
                        f"version {latest.version} needs a new signature",
                    )
                )
    return sorted(items, key=lambda item: (item.consent.expires_on or date.max, item.consent.pk))


# Breach register (45 CFR 164.400-414, applied to Part 2 records by 42 CFR 2.16).

NOTICE_DAYS = 60  # individuals (and HHS and media where required): no later than 60 calendar days after discovery
LARGE_BREACH = 500  # HHS at the time of the individual notices: 500 or more individuals
MEDIA_OVER = 500  # media: more than 500 residents of one State or jurisdiction


def affected_patient_ids(program: Program, *, start: datetime, end: datetime, user_ids: Iterable[int] = ()) -> set[int]:
    """Every patient of the program whose record an audited event touched (read, written or disclosed, with
    success) in [start, end), by these users (none given: by anyone): the list the notices go to."""
    events = AuditEvent.objects.filter(
        program_id=program.pk, at__gte=start, at__lt=end, outcome=AuditEvent.Outcome.SUCCESS, patient_id__isnull=False
    )
    if user_ids:
        events = events.filter(actor_id__in=list(user_ids))
    return {pid for pid in events.values_list("patient_id", flat=True).distinct() if pid is not None}


def affected_patients(breach: Breach) -> QuerySet[Patient]:
    ids = affected_patient_ids(
        breach.program,
        start=breach.window_start,
        end=breach.window_end,
        user_ids=list(breach.involved_users.values_list("pk", flat=True)),
    )
    # sanctioned: the breach list names every affected patient of the program, care team or not
    return Patient.objects.filter(program=breach.program, pk__in=ids).order_by("family_name", "given_name", "pk")


@dataclass
class Deadlines:
    individuals: date
    hhs: date
    hhs_with_individuals: bool
    media: date | None
    media_states: list[str]


def deadlines(breach: Breach, patients: Iterable[Patient] | None = None) -> Deadlines:
    patients = list(patients if patients is not None else affected_patients(breach))
    individuals = breach.discovered_on + timedelta(days=NOTICE_DAYS)
    large = len(patients) >= LARGE_BREACH
    # Fewer than 500: HHS in the log submitted within 60 days after the end of the calendar year of discovery.
    hhs = individuals if large else date(breach.discovered_on.year, 12, 31) + timedelta(days=NOTICE_DAYS)
    by_state: dict[str, int] = {}
    for patient in patients:
        if patient.state.strip():
            by_state[patient.state.strip().upper()] = by_state.get(patient.state.strip().upper(), 0) + 1
    media_states = sorted(state for state, count in by_state.items() if count > MEDIA_OVER)
    return Deadlines(individuals, hhs, large, individuals if media_states else None, media_states)


BREACH_FIELDS = ("title", "discovered_on", "description", "information_involved", "window_start", "window_end")


@transaction.atomic
def record_breach(*, acting_user: User, program: Program, involved_users: Iterable[User] = (), **data: Any) -> Breach:
    require(acting_user, program.pk, PRIVACY_REPORTS)
    unknown = set(data) - set(BREACH_FIELDS)
    errors: dict[str, str] = {name: "Unknown field." for name in unknown}
    for name in ("title", "description", "information_involved"):
        if not str(data.get(name) or "").strip():
            errors[name] = "Required."
    discovered = data.get("discovered_on")
    if discovered is None:
        errors["discovered_on"] = "Give the date the breach was discovered (or would have been, with diligence)."
    elif discovered > program.today():
        errors["discovered_on"] = "The discovery date cannot be in the future."
    start, end = data.get("window_start"), data.get("window_end")
    if start is None or end is None:
        errors["window_start"] = "Give the period the breach covers (from and until)."
    elif end <= start:
        errors["window_end"] = "The period must end after it starts."
    users = list(involved_users)
    if len(users) != program_staff(program).filter(pk__in=[u.pk for u in users]).count():
        errors["involved_users"] = "Choose staff of this program."
    if errors:
        raise ValidationError(errors)
    breach = Breach.objects.create(program=program, recorded_by=acting_user, **data)
    breach.involved_users.set(users)
    audit.record(acting_user, "breach.create", program=program, obj=breach)
    return breach


@transaction.atomic
def record_notice(
    *,
    acting_user: User,
    breach: Breach,
    recipient: str,
    sent_on: date | None,
    how: str,
    patient: Patient | None = None,
) -> BreachNotice:
    require(acting_user, breach.program_id, PRIVACY_REPORTS)
    errors: dict[str, str] = {}
    if recipient not in BreachNotice.Recipient.values:
        errors["recipient"] = "Choose who was notified."
    elif recipient == BreachNotice.Recipient.INDIVIDUAL and (
        patient is None or not affected_patients(breach).filter(pk=patient.pk).exists()
    ):
        errors["patient"] = "Choose a patient on this breach's notification list."
    if sent_on is None or sent_on > breach.program.today():
        errors["sent_on"] = "Give the date the notice was sent (not in the future)."
    elif sent_on < breach.discovered_on:
        errors["sent_on"] = "A notice cannot precede the discovery."
    if not how.strip():
        errors["how"] = "Say how the notice was sent (e.g. first-class mail)."
    if errors:
        raise ValidationError(errors)
    assert sent_on is not None  # refused above otherwise
    notice = BreachNotice.objects.create(
        program_id=breach.program_id,
        breach=breach,
        recipient=recipient,
        patient=patient if recipient == BreachNotice.Recipient.INDIVIDUAL else None,
        sent_on=sent_on,
        how=how.strip(),
        recorded_by=acting_user,
    )
    audit.record(acting_user, "breach.notice", patient=notice.patient, program=breach.program, obj=notice)
    return notice


def program_staff(program: Program) -> QuerySet[User]:
    return User.objects.filter(memberships__program=program).order_by("username")


@transaction.atomic
def record_risk_assessment(*, acting_user: User, breach: Breach, text: str) -> Breach:
    require(acting_user, breach.program_id, PRIVACY_REPORTS)
    if not text.strip():
        raise ValidationError({"risk_assessment": "Write the risk assessment."})
    breach = Breach.objects.select_for_update().get(pk=breach.pk)
    breach.risk_assessment = text.strip()
    breach.save(update_fields=["risk_assessment"])
    audit.record(acting_user, "breach.risk_assessment", program=breach.program, obj=breach)
    return breach


def unnotified(breach: Breach) -> QuerySet[Patient]:
    noticed = breach.notices.filter(recipient=BreachNotice.Recipient.INDIVIDUAL).values_list("patient_id", flat=True)
    return affected_patients(breach).exclude(pk__in=list(noticed))


@transaction.atomic
def close_breach(*, acting_user: User, breach: Breach, status: str) -> Breach:
    """Closed as not a breach (a documented risk assessment shows a low probability of compromise), or closed
    with every affected individual notified."""
    require(acting_user, breach.program_id, PRIVACY_REPORTS)
    breach = Breach.objects.select_for_update().get(pk=breach.pk)
    errors: dict[str, str] = {}
    if breach.status != Breach.Status.OPEN:
        errors["status"] = "This breach is already closed."
    elif status == Breach.Status.NOT_A_BREACH and not breach.risk_assessment:
        errors["risk_assessment"] = "A breach is presumed unless a documented risk assessment shows otherwise."
    elif status == Breach.Status.CLOSED and unnotified(breach).exists():
        errors["notices"] = f"{unnotified(breach).count()} affected patient(s) have no recorded notice."
    elif status not in (Breach.Status.NOT_A_BREACH, Breach.Status.CLOSED):
        errors["status"] = "Choose how the breach is closed."
    if errors:
        raise ValidationError(errors)
    breach.status, breach.closed_at = status, timezone.now()
    breach.save(update_fields=["status", "closed_at"])
    audit.record(acting_user, "breach.close", program=breach.program, obj=breach, detail={"status": status})
    return breach
