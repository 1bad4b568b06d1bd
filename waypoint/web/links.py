"""Links of a long table, reversed once per page rather than once per row.

`reverse()` walks the URL resolver every time it is called; a page of fifty or five hundred rows with a link or two
per row spent more on that than on its database. `Link("dispensing:dose", ID)` reverses the pattern once with a
placeholder number standing for each `ID`, and `link(patient_id)` puts the row's ids in their places (each turned
into an int first: nothing but digits enters a link). Fixed arguments pass through: `Link("withdrawal:record", ID,
"cows")`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

ID = object()  # stands for an id filled in per row
_FIRST_PLACEHOLDER = 987654321  # no real id is this large and this shape within a page's lifetime


@dataclass(frozen=True, slots=True, init=False)
class Link:
    """A reversed URL pattern split around its ids: hashable, so a page's links can key a cache of rows."""

    parts: tuple[str, ...]

    def __init__(self, name: str, *args: object) -> None:
        placeholders: list[str] = []
        filled: list[object] = []
        for arg in args:
            if arg is ID:
                placeholders.append(str(_FIRST_PLACEHOLDER + len(placeholders)))
                filled.append(placeholders[-1])
            else:
                filled.append(arg)
        url = reverse(name, args=filled)
        parts: list[str] = []
        for placeholder in placeholders:
            head, url = url.split(placeholder, 1)
            parts.append(head)
        parts.append(url)
        object.__setattr__(self, "parts", tuple(parts))

    def __call__(self, *ids: int) -> str:
        if len(ids) != len(self.parts) - 1:
            raise TypeError(f"this link takes {len(self.parts) - 1} id(s), not {len(ids)}")
        out = [self.parts[0]]
        for number, part in zip(ids, self.parts[1:], strict=True):
            out.append(str(int(number)))
            out.append(part)
        return "".join(out)
