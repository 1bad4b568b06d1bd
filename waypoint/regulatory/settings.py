from django.core.exceptions import ValidationError

from waypoint.accounts.program_settings import ProgramSetting, whole_number


def _signature_method(value):
    if value not in ("typed", "drawn"):
        raise ValidationError("Choose 'typed' (typed name with an attestation) or 'drawn'.")


SIGNATURE_METHOD = ProgramSetting(
    "regulatory.signature_method",
    label="how patients sign a consent on the kiosk",
    default="typed",
    validate=_signature_method,
    help="'typed': the signer types their name and ticks an attestation that it is their signature; "
    "'drawn': the signer draws their signature on the screen.",
    origin="Program choice. 42 CFR 2.31(a) requires the signature of the patient or authorized representative; "
    "it does not prescribe electronic or drawn signatures.",
)


def _on_off(value):
    if not isinstance(value, bool):
        raise ValidationError("Choose on or off.")


CONSENT_WITNESS = ProgramSetting(
    "regulatory.consent_witness",
    label="staff witness for a consent signed on the kiosk",
    default=False,
    validate=_on_off,
    help="On: a consent signed on the kiosk is saved only when the staff member who opened the kiosk confirms with "
    "their password that they saw it signed; the witness is named on the signed copy. Off: no witness is asked for.",
    origin="Program policy or state law. 42 CFR 2.31 lists the signature of the patient or representative and the "
    "date among a consent's elements and asks for no witness.",
)

CONSENT_REVIEW_DAYS = ProgramSetting(
    "regulatory.consent_review_days",
    label="list consents expiring within (days)",
    default=30,
    validate=whole_number(1, 365),
    help="Consents whose expiration date falls within this many days are listed for the privacy officer and "
    "shown on the chart, so a new consent can be asked for in time.",
    origin="Program privacy policy; no regulation sets a review window.",
)


def _registry_name(value):
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise ValidationError("Give the central registry's name as the patients' consents name it.")


CENTRAL_REGISTRY = ProgramSetting(
    "regulatory.central_registry",
    label="central registry (as consents name it)",
    default="",
    validate=_registry_name,
    help="The central registry the program reports to against multiple enrollment. Reports go only under an "
    "active consent naming it. Empty: the program does not report to a central registry.",
    origin="42 CFR 2.34: an OTP may disclose to a central registry only with the patient's written consent naming "
    "the registry.",
)


def _pdmp_rule(value):
    if value not in ("off", "flag", "refuse"):
        raise ValidationError("Choose 'off', 'flag' (the order is written and flagged) or 'refuse'.")


PDMP_RULE = ProgramSetting(
    "regulatory.pdmp_rule",
    label="controlled-substance order without a current PDMP check",
    default="off",
    validate=_pdmp_rule,
    help="'refuse': a methadone or buprenorphine order needs a PDMP check within the set number of days; 'flag': "
    "the order is written and the missing check recorded with it; 'off': no rule. Takes effect only once the "
    "number of days is set.",
    origin="Program policy and state law (state PDMP mandates differ; none is encoded here).",
)
PDMP_DAYS = ProgramSetting(
    "regulatory.pdmp_days",
    label="a PDMP check is current for (days)",
    default=None,
    validate=whole_number(0, 365),
    help="A check on a program day is current through that many program days after it (0: the same day only). "
    "No default: the program sets it from its state's rule.",
    origin="State PDMP law; no single published number, so no default.",
)


def uncached(setting: ProgramSetting, program):
    """The program's value of a setting read afresh, without caching the program's settings on the program object:
    for hooks inside other areas' services (admission, MOUD orders), whose callers may change settings later on
    the same program object."""
    from waypoint.accounts.models import ProgramSettingValue

    rows = ProgramSettingValue.objects.filter(program_id=program.pk, key=setting.key).values_list("value", flat=True)
    return next(iter(rows), setting.default)


VERIFY_DEA = (
    "The DEA's rule on prescribing buprenorphine by telemedicine sets its own conditions, which Waypoint's reference "
    "does not state: verify the current rule before turning this on."
)
TELEMEDICINE_NEEDS_PDMP = ProgramSetting(
    "regulatory.telemedicine_needs_pdmp",
    label="telemedicine buprenorphine: refuse the order without a current PDMP check",
    default=False,
    validate=_on_off,
    help="On: a buprenorphine order written from a telemedicine encounter is refused unless a PDMP check is current "
    "(the number of days of the PDMP rule). Off: the check current at the order, if any, is recorded with it.",
    origin=VERIFY_DEA,
)
TELEMEDICINE_NO_AUDIO_ONLY = ProgramSetting(
    "regulatory.telemedicine_no_audio_only",
    label="telemedicine buprenorphine: refuse an order from an audio-only encounter",
    default=False,
    validate=_on_off,
    help="On: a buprenorphine order written from an audio-only telemedicine encounter is refused. Off: the "
    "encounter's modality is recorded with the order.",
    origin=VERIFY_DEA,
)
