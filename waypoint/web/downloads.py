"""Files the clinic downloads: the one CSV writer and the one way to name an attachment.

A spreadsheet runs a cell that starts with = + - @ (and, in some, tab, carriage return or NUL) as a formula, so
an MRN or a disclosure recipient typed as `=HYPERLINK(...)` would run on the privacy officer's machine. Every
CSV of the project is written by `csv_writer`, which prefixes such a text cell with an apostrophe (OWASP's
advice): the reader sees the text, the spreadsheet runs nothing. Numbers are written as they are.
"""

import csv
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
FILENAME_STEM_LIMIT = 100


def spreadsheet_safe(value):
    """The cell as text a spreadsheet shows and never runs."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """csv.writer whose every row goes through `spreadsheet_safe`."""

    def __init__(self, file):
        self._writer = csv.writer(file)

    def writerow(self, row):
        return self._writer.writerow([spreadsheet_safe(value) for value in row])


class Echo:
    """A file that hands back what is written, for streaming a CSV row by row."""

    def write(self, value):
        return value


def csv_writer(file=None) -> SafeCsvWriter:
    """The project's CSV writer; without a file, `writerow` returns the line (for a streaming response)."""
    return SafeCsvWriter(Echo() if file is None else file)


def attachment(*parts, extension: str) -> str:
    """A Content-Disposition value for a download named from `parts` (an MRN, a slug, a date...).

    Anything but letters, digits, dot, dash and underscore becomes `_`, so a quote, a semicolon or a newline in
    an MRN can neither add a parameter to the header nor break it; the name is capped at 100 characters.
    """
    stem = "-".join(str(part) for part in parts)
    stem = UNSAFE_IN_FILENAME.sub("_", stem).strip("._-")[:FILENAME_STEM_LIMIT] or "download"
    return f'attachment; filename="{stem}.{extension}"'
