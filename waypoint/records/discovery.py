"""Finds every app's declarations: the `record_kinds` module of each installed app, imported once."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from django.utils.module_loading import autodiscover_modules

from . import registry

_loaded = False


def load() -> dict[str, registry.RecordKind]:
    """Every declared record kind, after importing each installed app's `record_kinds` module."""
    global _loaded  # noqa: PLW0603 - one import of the declarations per process
    if not _loaded:
        autodiscover_modules("record_kinds")
        _loaded = True
    return registry.KINDS


@cache  # asked for every resource a FHIR page or export writes; the declarations do not change once loaded
def for_fhir_kind(fhir_key: str) -> registry.RecordKind | None:
    load()
    return registry.for_fhir_kind(fhir_key)


def for_information(kinds: Iterable[str]) -> list[registry.RecordKind]:
    load()
    return registry.for_information(kinds)
