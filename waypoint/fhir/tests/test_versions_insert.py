"""`versions.insert`: new versions are kept by COPY on PostgreSQL (bulk_create elsewhere) with the same rows, and a
version numbered at the same moment elsewhere still raises IntegrityError, which `stamp` answers by reading the
numbers again."""

import orjson
import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from waypoint.fhir import versions
from waypoint.fhir.models import ResourceVersion


def made(n, version=1):
    rows = []
    for i in range(3):
        content = {"resourceType": "Observation", "id": f"cows-{n}-{i}", "note": [{"text": 'tab\there "q" \\ é'}]}
        rows.append(
            versions.NewVersion("Observation", f"cows-{n}-{i}", version, f"{i:064d}", versions.canonical(content))
        )
    return rows


def test_new_versions_are_kept_whole(program):
    rows = made(1)
    before = timezone.now()
    versions.insert(program.pk, rows)
    kept = list(ResourceVersion.objects.filter(resource_id__startswith="cows-1-").order_by("resource_id"))
    assert [(r.program_id, r.resource_id, r.version, r.digest, r.content) for r in kept] == [
        (program.pk, r.resource_id, 1, r.digest, r.text.decode()) for r in rows
    ]
    assert orjson.loads(kept[0].content)["note"] == [{"text": 'tab\there "q" \\ é'}]
    assert len({k.created_at for k in kept}) == 1 and before <= kept[0].created_at <= timezone.now()


def test_a_version_numbered_elsewhere_meanwhile_raises_integrity_error(program):
    versions.insert(program.pk, made(2))
    with pytest.raises(IntegrityError), transaction.atomic():
        versions.insert(program.pk, made(2))
    assert ResourceVersion.objects.filter(resource_id__startswith="cows-2-").count() == 3


def test_stamp_numbers_a_changed_resource_after_the_last_kept(program):
    first = versions.stamp(
        program.pk, [{"resourceType": "Observation", "id": f"x-{i}", "valueInteger": i} for i in range(2)]
    )
    assert [r["meta"]["versionId"] for r in first] == ["1", "1"]
    again = versions.stamp(
        program.pk, [{"resourceType": "Observation", "id": f"x-{i}", "valueInteger": i + 1} for i in range(2)]
    )
    assert [r["meta"]["versionId"] for r in again] == ["2", "2"]


def test_the_latest_version_is_read_per_resource_and_within_the_program(program):
    versions.insert(program.pk, made(3, version=1))
    versions.insert(program.pk, made(3, version=2)[:2])
    versions.insert(program.pk, [versions.NewVersion("Patient", "cows-3-0", 4, "p" * 64, b"{}")])
    keys = {("Observation", f"cows-3-{i}") for i in range(4)} | {("Patient", "cows-3-0"), ("Patient", "none")}
    assert versions._latest(program.pk, keys) == {
        ("Observation", "cows-3-0"): (2, f"{0:064d}"),
        ("Observation", "cows-3-1"): (2, f"{1:064d}"),
        ("Observation", "cows-3-2"): (1, f"{2:064d}"),
        ("Patient", "cows-3-0"): (4, "p" * 64),
    }
    assert versions._latest(program.pk + 1000, keys) == {}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL statement sends the ids as one text")
def test_an_id_with_a_space_is_refused_rather_than_read_as_two(program):
    with pytest.raises(ValueError, match="holds a space"):
        versions._latest(program.pk, {("Observation", "cows-1 cows-2")})
