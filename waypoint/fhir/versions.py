"""Resource versions: `meta.versionId` that moves whenever a resource's content changes, and vread.

The mappings (`waypoint/fhir/kinds/`) build each resource from its record as it is now; they know nothing of
versions. Where resources leave the server (read, vread, search, bulk export) `stamp()` compares each one with
the latest version kept (`ResourceVersion`, by a digest of the content without `meta.versionId`): the same
content keeps its number, a changed one gets the next, and its content is kept for `_history/n`. So a receiver
keyed on (id, versionId) sees an amendment, an entry in error, a stop or a signature as a new version, and two
different contents never share a number. The version only moves when a changed resource is served: changes made
between two servings make one version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import orjson
from django.db import IntegrityError, connection, transaction

from .models import ResourceVersion

ATTEMPTS = 5  # another request numbering the same resource at the same moment: read the numbers again


def digest(resource: dict) -> str:
    meta = {k: v for k, v in resource.get("meta", {}).items() if k != "versionId"}
    content = {k: v for k, v in resource.items() if k != "meta"} | ({"meta": meta} if meta else {})
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _latest(keys: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    found: dict[tuple[str, str], tuple[int, str]] = {}
    if not keys:
        return found
    types = {t for t, _ in keys}
    ids = {i for _, i in keys}
    rows = ResourceVersion.objects.filter(resource_type__in=types, resource_id__in=ids).values_list(
        "resource_type", "resource_id", "version", "digest"
    )
    for resource_type, resource_id, version, sha in rows:
        key = (resource_type, resource_id)
        if key in keys and version > found.get(key, (0, ""))[0]:
            found[key] = (version, sha)
    return found


def stamp(program_id: int, resources: Iterable[dict]) -> list[dict]:
    """Set `meta.versionId` on each resource (in place, and returned), recording a new version where its content
    changed since the last one kept."""
    resources = list(resources)
    pending = {}
    floors = {}
    for resource in resources:
        key = (resource["resourceType"], resource["id"])
        floor = str(resource.get("meta", {}).get("versionId", ""))
        floors[key] = int(floor) if floor.isdigit() else 0
        resource["meta"] = {k: v for k, v in resource.get("meta", {}).items() if k != "versionId"}  # may be shared
        pending[key] = (resource, digest(resource))
    for _ in range(ATTEMPTS):
        latest = _latest(set(pending))
        new = []
        for key, (resource, sha) in list(pending.items()):
            version, known = latest.get(key, (0, ""))
            if known == sha:
                resource["meta"] = {"versionId": str(version)} | resource["meta"]
                del pending[key]
            else:
                new.append(
                    ResourceVersion(
                        program_id=program_id,
                        resource_type=key[0],
                        resource_id=key[1],
                        version=max(version + 1, floors[key]),
                        digest=sha,
                        content=resource,
                    )
                )
        if not new:
            break
        try:
            with transaction.atomic():
                insert(new)
        except IntegrityError:
            continue  # numbered at the same time elsewhere: read the numbers again
        for row in new:
            resource = pending.pop((row.resource_type, row.resource_id))[0]
            resource["meta"] = {"versionId": str(row.version)} | resource["meta"]
    if pending:
        raise RuntimeError("Could not number the versions of " + ", ".join(f"{t}/{i}" for t, i in pending))
    return resources


COPY_COLUMNS = ("program_id", "resource_type", "resource_id", "version", "digest", "content", "created_at")


def insert(rows: list[ResourceVersion]) -> None:
    """Keep these new versions. On PostgreSQL by COPY: Django's bulk_create sends the contents as one jsonb array
    literal, escaped character by character in Python (psycopg's array dumper), which took four fifths of a bulk
    export's time; COPY sends each content as orjson text. A version numbered at the same moment elsewhere raises
    IntegrityError, as bulk_create does."""
    if connection.vendor != "postgresql" or len(rows) < 2:
        ResourceVersion.objects.bulk_create(rows)
        return
    table = ResourceVersion._meta.db_table
    statement = f"COPY {table} ({', '.join(COPY_COLUMNS)}) FROM STDIN"  # our own table and column names
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
        for row in rows:
            content = orjson.dumps(row.content).decode()
            copy.write_row(
                (row.program_id, row.resource_type, row.resource_id, row.version, row.digest, content, row.created_at)
            )


def version_of(resource_type: str, resource_id: str, version: str) -> dict | None:
    """The content of one version kept (vread), or None."""
    if not version.isdigit() or len(version) > 9:
        return None
    row = ResourceVersion.objects.filter(
        resource_type=resource_type, resource_id=resource_id, version=int(version)
    ).first()
    if row is None:
        return None
    content = row.content
    content["meta"] = {"versionId": str(row.version)} | content.get("meta", {})
    return content
