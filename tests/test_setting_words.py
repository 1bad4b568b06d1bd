"""Every program setting reads as a clinician reads it: its label, help and origin (shown on the program settings
page, with where each choice came from) name no configuration key, raw code, file path or issue number."""

import pytest

from waypoint.accounts.program_settings import REGISTRY

from .test_words import problems_in


def test_every_setting_is_declared_when_the_apps_are_ready():
    assert len(REGISTRY) >= 40 and "regulatory.central_registry" in REGISTRY


@pytest.mark.parametrize("key", sorted(REGISTRY))
@pytest.mark.parametrize("part", ["label", "help", "origin"])
def test_a_settings_words_name_no_key_code_path_or_issue(key, part):
    words = str(getattr(REGISTRY[key], part) or "")
    assert problems_in(words) == [], f"{key} {part}: {words}"
