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
from dataclasses import dataclass

import orjson
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .models import ResourceVersion

ATTEMPTS = 5  # another request numbering the same resource at the same moment: read the numbers again


def canonical(content: dict) -> bytes:
    """The content as JSON with sorted keys: what its digest is taken of, and the text a version keeps."""
    return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)


# One probe of the unique index (type, id, version) per resource, newest version first. The earlier form
# (`resource_type = ANY(%s) AND resource_id = ANY(%s)`) was planned from the table's statistics: on a ledger not yet
# analyzed (a new database, or one an export has just filled) PostgreSQL took a list of thousands of ids to match
# every row and scanned the whole ledger for each page, so an export's time grew with the square of its resources
# (21 of 56 s for 264,510 Observations). A LATERAL probe with LIMIT 1 is an index lookup whatever the statistics.
# The types and ids are sent as two space-separated texts (FHIR ids and type names hold no space): psycopg writes a
# list parameter element by element in Python, which cost the export more than the query.
LATEST_SQL = (
    "SELECT k.resource_type, k.resource_id, v.version, v.digest "
    "FROM unnest(string_to_array(%s, ' '), string_to_array(%s, ' ')) "
    "AS k (resource_type, resource_id) CROSS JOIN LATERAL (SELECT version, digest FROM fhir_resourceversion "
    "WHERE resource_type = k.resource_type AND resource_id = k.resource_id AND program_id = %s "
    "ORDER BY version DESC LIMIT 1) AS v"
)


def _latest(program_id: int, keys: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    """The number and digest of the latest version kept of each resource. On PostgreSQL one statement with two text
    parameters: an `IN` list of a page's thousands of ids cost the bulk export more to build than to run."""
    found: dict[tuple[str, str], tuple[int, str]] = {}
    if not keys:
        return found
    if connection.vendor == "postgresql":
        pairs = list(keys)
        types, ids = " ".join(t for t, _ in pairs), " ".join(i for _, i in pairs)
        if types.count(" ") != len(pairs) - 1 or ids.count(" ") != len(pairs) - 1:
            raise ValueError("A FHIR resource type or id holds a space.")
        with transaction.atomic(), connection.cursor() as cursor:
            # Planned without statistics (a new ledger), the probes look costly enough for PostgreSQL to compile the
            # statement (JIT) for each page, which took longer than running it (40 ms against 29 for 2,640 probes).
            # Inside a request's transaction the setting holds until that transaction ends.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(LATEST_SQL, [types, ids, program_id])
            rows = cursor.fetchall()
    else:
        rows = ResourceVersion.objects.filter(
            program_id=program_id,
            resource_type__in={t for t, _ in keys},
            resource_id__in={i for _, i in keys},
        ).values_list("resource_type", "resource_id", "version", "digest")
    for resource_type, resource_id, version, sha in rows:
        key = (resource_type, resource_id)
        if key in keys and version > found.get(key, (0, ""))[0]:
            found[key] = (version, sha)
    return found


@dataclass(slots=True)
class NewVersion:
    """A version to keep: the resource's content (without its versionId: the resource itself before it is numbered)
    as canonical JSON, and that text's digest."""

    resource_type: str
    resource_id: str
    version: int
    digest: str
    text: bytes


def stamp(program_id: int, resources: Iterable[dict]) -> list[dict]:
    """Set `meta.versionId` on each resource (in place, and returned), recording a new version where its content
    changed since the last one kept."""
    resources = list(resources)
    pending = {}
    for resource in resources:
        meta = dict(resource.get("meta") or ())  # a copy: the resources of one record may share their meta
        floor = str(meta.pop("versionId", ""))
        resource["meta"] = meta
        # What a version keeps and its digest covers: the resource without meta.versionId (nor an empty meta).
        content = resource if meta else {k: v for k, v in resource.items() if k != "meta"}
        text = canonical(content)
        sha = hashlib.sha256(text).hexdigest()
        pending[(resource["resourceType"], resource["id"])] = (resource, text, sha, floor)
    for _ in range(ATTEMPTS):
        latest = _latest(program_id, set(pending))
        new = []
        for key, (resource, text, sha, floor) in list(pending.items()):
            version, known = latest.get(key, (0, ""))
            if known == sha:
                resource["meta"] = {"versionId": str(version)} | resource["meta"]
                del pending[key]
            else:
                number = max(version + 1, int(floor) if floor.isdigit() else 0)
                new.append(NewVersion(key[0], key[1], number, sha, text))
        if not new:
            break
        try:
            with transaction.atomic():
                insert(program_id, new)
        except IntegrityError:
            continue  # numbered at the same time elsewhere: read the numbers again
        for row in new:
            resource = pending.pop((row.resource_type, row.resource_id))[0]
            resource["meta"] = {"versionId": str(row.version)} | resource["meta"]
    if pending:
        raise RuntimeError("Could not number the versions of " + ", ".join(f"{t}/{i}" for t, i in pending))
    return resources


COPY_COLUMNS = ("program_id", "resource_type", "resource_id", "version", "digest", "content", "created_at")


def insert(program_id: int, rows: list[NewVersion]) -> None:
    """Keep these new versions, all made now. On PostgreSQL by COPY: Django's bulk_create sends the contents as one
    array literal, escaped character by character in Python (psycopg's array dumper), which took four fifths of a
    bulk export's time; COPY sends each content as the JSON text its digest was taken of, kept as it is. A version
    numbered at the same moment elsewhere raises IntegrityError, as bulk_create does."""
    now = timezone.now()
    if connection.vendor != "postgresql" or len(rows) < 2:
        ResourceVersion.objects.bulk_create(
            ResourceVersion(
                program_id=program_id,
                resource_type=row.resource_type,
                resource_id=row.resource_id,
                version=row.version,
                digest=row.digest,
                content=row.text.decode(),
                created_at=now,
            )
            for row in rows
        )
        return
    table = ResourceVersion._meta.db_table
    statement = f"COPY {table} ({', '.join(COPY_COLUMNS)}) FROM STDIN"  # our own table and column names
    head = f"{program_id}\t".encode()
    tail = f"\t{now.isoformat()}\n".encode()
    lines = [
        b"".join(
            (
                head,
                copy_field(row.resource_type),
                copy_field(row.resource_id),
                f"{row.version}\t{row.digest}\t".encode(),
                row.text.replace(b"\\", b"\\\\"),  # JSON holds no raw control character: only backslashes to double
                tail,
            )
        )
        for row in rows
    ]
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
        copy.write(b"".join(lines))


def copy_field(text: str) -> bytes:
    """A text field of COPY's text format, with its tab: backslash and the characters that end a field or a row
    escaped (psycopg's `write_row` does the same for any value, a fifth of the ledger's time)."""
    escaped = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return f"{escaped}\t".encode()


def version_of(resource_type: str, resource_id: str, version: str) -> dict | None:
    """The content of one version kept (vread), or None."""
    if not version.isdigit() or len(version) > 9:
        return None
    row = ResourceVersion.objects.filter(
        resource_type=resource_type, resource_id=resource_id, version=int(version)
    ).first()
    if row is None:
        return None
    content = orjson.loads(row.content)
    content["meta"] = {"versionId": str(row.version)} | content.get("meta", {})
    return content
