"""Sign-in and session choices of a program, each with where its default comes from."""

from waypoint.accounts.program_settings import ProgramSetting, whole_number

IDLE_TIMEOUT_MINUTES = ProgramSetting(
    "security.idle_timeout_minutes",
    label="sign out after inactivity (minutes)",
    default=15,
    validate=whole_number(1, 240),
    help="Minutes without a request after which a signed-in session ends and the user signs in again.",
    origin="HIPAA 45 CFR 164.312(a)(2)(iii) automatic logoff (addressable); 15 minutes is Waypoint's "
    "default, not a regulatory number.",
)
SESSION_MAX_HOURS = ProgramSetting(
    "security.session_max_hours",
    label="longest session (hours)",
    default=12,
    validate=whole_number(1, 24),
    help="Hours after sign-in at which a session ends however active it is (one clinical shift).",
    origin="Program policy; 12 h (one clinical shift) is Waypoint's default, not a regulatory number.",
)
KEEP_TYPED_ENTRIES_MINUTES = ProgramSetting(
    "security.keep_typed_entries_minutes",
    label="keep typed entries after a sign-out (minutes)",
    default=60,
    validate=whole_number(5, 720),
    help="Minutes for which a form sent after the session timed out is kept for its author, to be filled in "
    "again when they sign in again; after that it is deleted.",
    origin="Program policy; 60 minutes is Waypoint's default, not a regulatory number.",
)
