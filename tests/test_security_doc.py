"""docs/security.md names the tests that meet each safeguard: every `file::test` it names must exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_test_named_in_the_security_notes_exists():
    text = (ROOT / "docs" / "security.md").read_text()
    named, last_file = [], None
    for match in re.finditer(r"`((?:[\w/]+\.py)?)::(test_\w+)`", text):
        last_file = match.group(1) or last_file  # `::test_x` continues the file named just before
        named.append((last_file, match.group(2)))
    assert len(named) >= 60
    missing = [
        f"{file}::{test}"
        for file, test in named
        if not re.search(rf"^def {test}\(", (ROOT / file).read_text(), re.MULTILINE)
    ]
    assert missing == []
