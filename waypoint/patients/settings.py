"""Registration choices of a program, each with where its default comes from."""

from django.core.exceptions import ValidationError

from waypoint.accounts.program_settings import ProgramSetting


def mrn_format(value):
    try:
        example = value.format(number=1) if isinstance(value, str) and "{number" in value else None
    except (ValueError, KeyError, IndexError):
        example = None
    if example is None or not 0 < len(example) <= 24:
        raise ValidationError('Give a format with {number} in it, e.g. "W-{number:06d}" (at most 24 characters).')


MRN_FORMAT = ProgramSetting(
    "patients.mrn_format",
    default="W-{number:06d}",
    validate=mrn_format,
    help="How a generated MRN looks: {number} is the program's next patient number (e.g. {number:06d} pads it "
    "to six digits). An MRN typed at registration is kept as typed.",
    origin="Waypoint's own default; a program uses its record system's format.",
)
