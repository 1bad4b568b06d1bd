from waypoint.accounts.program_settings import ProgramSetting, whole_number

BREAK_GLASS_HOURS = ProgramSetting(
    "privacy.break_glass_hours", default=4, validate=whole_number(1, 24),
    help="How long an emergency (break-the-glass) access to one chart lasts before it must be asked again.",
    origin="Program privacy policy. HIPAA 45 CFR 164.312(a)(2)(ii) requires an emergency access procedure but "
    "sets no duration.",
)
