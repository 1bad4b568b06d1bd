"""Sections that other areas add to the patient chart (withdrawal status, screens, plans...).

An app registers a function `(request, patient) -> (template_name, context) | None` in its ready();
the chart renders each in registration order under the header. The patients app depends on none of them.
"""

from collections.abc import Callable

HEADER: list[Callable] = []
BODY: list[Callable] = []


def render_sections(registry, request, patient) -> list[tuple[str, dict]]:
    sections = []
    for section in registry:
        found = section(request, patient)
        if found is not None:
            sections.append(found)
    return sections
