"""The audit trail becomes sequenced (issue 17): requests write unsealed events, the sequencer seals them into one hash
chain per program (waypoint/audit/sequencer.py).

Schema: an event's place in its program's chain (`chain_seq`), when it was sealed, the PostgreSQL transaction that
wrote it (`xid`); `hash` empty until sealed; a checkpoint names its chain.

Data: the single chain kept so far is verified first, with the hash it was written with, and so is every signed
checkpoint of it; a broken chain or a checkpoint that does not hold stops the migration, naming the event, so that
re-sealing never hides tampering. Then its events are re-sealed, in id order, into per-program chains, and each
chain's head is signed. The old checkpoints stay, marked as the single chain's (`chain` empty).

Guards: PostgreSQL refuses any UPDATE of an event except sealing an unsealed one (only the sealing columns may
change, once) and every DELETE; a BEFORE INSERT trigger writes every event unsealed and records its transaction.
SQLite: the same with triggers (its table is rebuilt by the schema change, which drops the triggers of 0007).
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

GENESIS = "0" * 64
SEALING = ("hash", "prev_hash", "chain_seq", "sealed_at")
CONTENT = (
    "id", "at", "actor_id", "actor_name", "program_id", "action", "patient_id", "object_type", "object_id",
    "outcome", "channel", "detail", "xid",
)  # fmt: skip

POSTGRES_INSTALL = """
CREATE OR REPLACE FUNCTION privacy_audit_seal_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND NEW.hash IS NOT NULL AND NEW.chain_seq IS NOT NULL
     AND (to_jsonb(NEW) - ARRAY['hash', 'prev_hash', 'chain_seq', 'sealed_at'])
       = (to_jsonb(OLD) - ARRAY['hash', 'prev_hash', 'chain_seq', 'sealed_at']) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit events are append-only (an unsealed event may only be sealed, once)';
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION privacy_audit_unsealed_insert() RETURNS trigger AS $$
BEGIN
  NEW.xid := pg_current_xact_id()::text::bigint;
  NEW.hash := NULL;
  NEW.prev_hash := '';
  NEW.chain_seq := NULL;
  NEW.sealed_at := NULL;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS privacy_auditevent_append_only ON privacy_auditevent;
CREATE TRIGGER privacy_auditevent_append_only
  BEFORE UPDATE OR DELETE ON privacy_auditevent
  FOR EACH ROW EXECUTE FUNCTION privacy_audit_seal_only();
CREATE TRIGGER privacy_auditevent_unsealed
  BEFORE INSERT ON privacy_auditevent
  FOR EACH ROW EXECUTE FUNCTION privacy_audit_unsealed_insert();
"""
POSTGRES_UNINSTALL = """
DROP TRIGGER IF EXISTS privacy_auditevent_unsealed ON privacy_auditevent;
DROP TRIGGER IF EXISTS privacy_auditevent_append_only ON privacy_auditevent;
CREATE TRIGGER privacy_auditevent_append_only
  BEFORE UPDATE OR DELETE ON privacy_auditevent
  FOR EACH ROW EXECUTE FUNCTION privacy_audit_append_only();
DROP FUNCTION IF EXISTS privacy_audit_unsealed_insert();
DROP FUNCTION IF EXISTS privacy_audit_seal_only();
"""


def sqlite_install() -> list[str]:
    changed = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in CONTENT)
    refuse = "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
    keep_out = "WHEN NOT EXISTS (SELECT 1 FROM privacy_audit_maintenance)"
    return [
        "CREATE TABLE IF NOT EXISTS privacy_audit_maintenance (reason TEXT NOT NULL)",
        "CREATE TRIGGER privacy_auditevent_no_update BEFORE UPDATE ON privacy_auditevent "
        f"WHEN OLD.hash IS NOT NULL OR NEW.hash IS NULL OR NEW.chain_seq IS NULL OR {changed} {refuse}",
        f"CREATE TRIGGER privacy_auditevent_no_delete BEFORE DELETE ON privacy_auditevent {keep_out} {refuse}",
        f"CREATE TRIGGER privacy_auditcheckpoint_no_update BEFORE UPDATE ON privacy_auditcheckpoint {refuse}",
        "CREATE TRIGGER privacy_auditcheckpoint_no_delete BEFORE DELETE ON privacy_auditcheckpoint "
        f"{keep_out} {refuse}",
    ]


def sqlite_uninstall() -> list[str]:
    tables = ("privacy_auditevent", "privacy_auditcheckpoint")
    return [f"DROP TRIGGER IF EXISTS {table}_{kind}" for table in tables for kind in ("no_update", "no_delete")]


def _canonical(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def _content(event) -> dict:
    return {
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "actor_name": event.actor_name,
        "program": event.program_id,
        "action": event.action,
        "patient": event.patient_id,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "outcome": event.outcome,
        "channel": event.channel,
        "detail": event.detail,
    }


def single_chain_digest(event) -> str:
    """The hash the single chain was written with (audit/trail.py before issue 17)."""
    return _canonical({**_content(event), "prev": event.prev_hash})


def program_chain_digest(event) -> str:
    """The hash of a sealed event (audit/trail.py::_digest, frozen here)."""
    return _canonical({**_content(event), "seq": event.chain_seq, "prev": event.prev_hash})


def _key() -> bytes:
    from waypoint.audit.signing import audit_key

    return audit_key()


def _signature(key: bytes, body: dict) -> str:
    message = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def check_single_chain(AuditEvent, AuditCheckpoint, key: bytes | None) -> None:
    """Refuse to re-seal a single chain that does not verify, or that a signed checkpoint contradicts."""
    prev, last_id, count, seen = GENESIS, 0, 0, {}
    while True:
        events = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:5000])
        if not events:
            break
        for event in events:
            if event.prev_hash != prev or single_chain_digest(event) != event.hash:
                raise RuntimeError(
                    f"audit chain BROKEN at event #{event.pk} (its link or its hash does not hold): the trail is "
                    "not re-sealed into per-program chains, so that no tampering is hidden. Investigate it "
                    "(`waypoint audit verify` of the previous release names it) before migrating."
                )
            prev, last_id, count = event.hash, event.pk, count + 1
            seen[event.pk] = (event.hash, count)
    for checkpoint in AuditCheckpoint.objects.filter(chain=""):
        body = {
            "last_event_id": checkpoint.last_event_id,
            "count": checkpoint.count,
            "head_hash": checkpoint.head_hash,
            "at": checkpoint.at.isoformat(),
        }
        signed = key is not None and hmac.compare_digest(_signature(key, body), checkpoint.signature)
        if not signed or seen.get(checkpoint.last_event_id) != (checkpoint.head_hash, checkpoint.count):
            raise RuntimeError(
                f"the audit checkpoint signed at {checkpoint.at:%Y-%m-%d %H:%M:%S} for event "
                f"#{checkpoint.last_event_id} does not hold against the chain: the trail is not re-sealed. "
                "Investigate it before migrating."
            )


def reseal(AuditEvent, AuditCheckpoint, key: bytes | None) -> None:
    heads: dict = {}
    now, last_id = timezone.now(), 0
    while True:
        events = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:2000])
        if not events:
            break
        for event in events:
            seq, prev, _ = heads.get(event.program_id, (0, GENESIS, None))
            event.chain_seq, event.prev_hash, event.sealed_at = seq + 1, prev, now
            event.hash = program_chain_digest(event)
            heads[event.program_id] = (event.chain_seq, event.hash, event.pk)
            last_id = event.pk
        AuditEvent.objects.bulk_update(events, SEALING, batch_size=500)
    if key is None:
        return
    for program_id, (count, head_hash, event_id) in heads.items():
        chain = "none" if program_id is None else str(program_id)
        body = {"last_event_id": event_id, "count": count, "head_hash": head_hash, "at": now.isoformat()}
        AuditCheckpoint.objects.create(
            at=now,
            chain=chain,
            last_event_id=event_id,
            count=count,
            head_hash=head_hash,
            key_id=hashlib.sha256(key).hexdigest()[:16],
            signature=_signature(key, {**body, "chain": chain}),
        )


def forwards(apps, schema_editor):
    AuditEvent = apps.get_model("privacy", "AuditEvent")
    AuditCheckpoint = apps.get_model("privacy", "AuditCheckpoint")
    vendor = schema_editor.connection.vendor
    has_events = AuditEvent.objects.exists()
    key = _key() if has_events or AuditCheckpoint.objects.exists() else None
    if has_events:
        check_single_chain(AuditEvent, AuditCheckpoint, key)
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE privacy_auditevent DISABLE TRIGGER privacy_auditevent_append_only")
        reseal(AuditEvent, AuditCheckpoint, key)
        schema_editor.execute("ALTER TABLE privacy_auditevent ENABLE TRIGGER privacy_auditevent_append_only")
        schema_editor.execute(POSTGRES_INSTALL)
    elif vendor == "sqlite":
        for statement in sqlite_uninstall():
            schema_editor.execute(statement)
        reseal(AuditEvent, AuditCheckpoint, key)
        for statement in sqlite_install():
            schema_editor.execute(statement)
    else:
        reseal(AuditEvent, AuditCheckpoint, key)


def backwards(apps, schema_editor):
    raise RuntimeError("The per-program audit chains cannot be joined back into one chain.")


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0007_append_only_on_sqlite_and_checkpoints"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="auditcheckpoint",
            name="chain",
            field=models.CharField(blank=True, default="", max_length=24),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain_seq",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="sealed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="xid",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddIndex(
            model_name="auditcheckpoint",
            index=models.Index(fields=["chain", "id"], name="audit_checkpoint_chain"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["program_id", "chain_seq"], name="audit_chain_seq"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("hash__isnull", True)), fields=["program_id", "id"], name="audit_unsealed"
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
