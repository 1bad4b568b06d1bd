"""Strict FHIR R4 (4.0.1) validation of what the server emits, with fhirclient's generated models (pinned in
requirements-dev.txt; generated from FHIR 4.0.1): unknown elements, wrong types, malformed dates and missing
required elements raise. On top of the models: FHIR JSON has no null, empty string, empty array or empty object,
and ids match [A-Za-z0-9-.]{1,64}."""

import re

from fhirclient.models.fhirelementfactory import FHIRElementFactory

ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def empties(value, path="$"):
    if value is None or value in ("", [], {}):
        yield path
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from empties(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            yield from empties(inner, f"{path}[{n}]")


def assert_valid(resource: dict) -> None:
    assert list(empties(resource)) == [], f"empty values in {resource.get('resourceType')}/{resource.get('id')}"
    if "id" in resource:
        assert ID.fullmatch(resource["id"]), resource["id"]
    model = FHIRElementFactory.instantiate(resource["resourceType"], resource)  # strict: raises on any error
    assert model.resource_type == resource["resourceType"]
    for entry in resource.get("entry", []):
        assert_valid(entry["resource"])
