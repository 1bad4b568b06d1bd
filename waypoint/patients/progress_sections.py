"""Sections of the patient progress page (cravings, drug screens, MOUD, and later attendance and objectives).

An app registers a function `(request, patient) -> (template_name, context) | None` in its ready(); the page
renders each in registration order. The patients app depends on none of them.
"""

from collections.abc import Callable

SECTIONS: list[Callable] = []
