from waypoint.accounts.program_settings import ProgramSetting, whole_number

BREAK_GLASS_HOURS = ProgramSetting(
    "privacy.break_glass_hours",
    label="emergency access lasts (hours)",
    default=4,
    validate=whole_number(1, 24),
    help="How long an emergency (break-the-glass) access to one chart lasts before it must be asked again.",
    origin="Program privacy policy. HIPAA 45 CFR 164.312(a)(2)(ii) requires an emergency access procedure but "
    "sets no duration.",
)

UNSEALED_MINUTES = ProgramSetting(
    "privacy.audit_unsealed_minutes",
    label="longest wait of an audit event to be sealed (minutes)",
    default=10,
    validate=whole_number(1, 1440),
    help="Each access and change is recorded at once and sealed into the program's tamper-evident chain within "
    "seconds. The check of the audit trail fails, and the audit page warns, when an event has waited longer than "
    "this: the sealing process has stopped and must be restarted.",
    origin="Program privacy policy. HIPAA 45 CFR 164.312(b) requires audit controls and 164.312(c)(1) integrity "
    "controls; neither sets a time.",
)

SHORT_NOTICE = "42 CFR part 2 prohibits unauthorized disclosure of these records."
PART2_NOTICE = ProgramSetting(
    "privacy.part2_notice",
    default=SHORT_NOTICE,
    help="The notice every disclosure carries (42 CFR 2.32). Default: the short form; the 2024 long form begins "
    "'This record which has been disclosed to you is protected by Federal confidentiality rules (42 CFR part 2)...'.",
    origin="42 CFR 2.32 (short form, 2018 wording).",
)
REDISCLOSURE_STATEMENT = (
    "Records disclosed under this consent may be redisclosed as the HIPAA regulations allow, except that they may "
    "not be used in civil, criminal, administrative or legislative proceedings against the patient (42 CFR 2.33)."
)
