"""Fixtures of the central-registry tests: the test double transport and a program naming its registry."""

import pytest

from waypoint.accounts.program_settings import change
from waypoint.regulatory import registry

REGISTRY = "State Central Registry"


@pytest.fixture
def double(settings):
    settings.REGULATORY_REGISTRY_ADAPTER = "waypoint.regulatory.registry.MemoryAdapter"
    registry.MemoryAdapter.sent = []
    return registry.MemoryAdapter


@pytest.fixture
def named(program, administrator):
    change(program, "regulatory.central_registry", REGISTRY, acting_user=administrator)
    program.__dict__.pop("_setting_values", None)
