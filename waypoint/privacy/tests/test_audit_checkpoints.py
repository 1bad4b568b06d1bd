"""Signed checkpoints of the audit chain (issue 23): a chain rewritten whole, or cut short at its newest events, no
longer matches a checkpoint signed with the audit key, which the database does not hold."""

import json
import os
import stat

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, transaction
from django.test import override_settings

from waypoint.audit import sequencer
from waypoint.audit import signing as audit_signing
from waypoint.audit import trail as audit
from waypoint.privacy.models import AuditCheckpoint, AuditEvent
from waypoint.privacy.tests.test_audit_trail import without_guard

KEY = "k" * 40


@pytest.fixture(autouse=True)
def audit_key(settings):
    settings.WAYPOINT_AUDIT_KEY = KEY


@pytest.fixture
def sealed(nurse, patient, admitted, program):
    """The events so far sealed (PostgreSQL: by the sequencer; SQLite sealed them at once); the program's chain."""
    sequencer.seal_all()
    return list(AuditEvent.objects.filter(program_id=program.pk).order_by("chain_seq"))


def heads() -> dict[str, AuditEvent]:
    found = {}
    for event in AuditEvent.objects.filter(chain_seq__isnull=False).order_by("chain_seq"):
        found[audit.chain_key(event.program_id)] = event
    return found


def rewrite_from(event_id: int):
    """What someone with database write access but not the key would do: alter one event and recompute every hash
    after it in its chain, so that the hash chain alone verifies."""
    victim = AuditEvent.objects.get(id=event_id)
    chain = AuditEvent.objects.filter(**audit.in_chain(victim.program_id))
    events = list(chain.filter(chain_seq__gte=victim.chain_seq).order_by("chain_seq"))
    prev = chain.filter(chain_seq__lt=victim.chain_seq).order_by("-chain_seq").values_list("hash", flat=True).first()
    events[0].actor_name = "someone-else"
    for event in events:
        event.prev_hash = prev or audit.GENESIS
        event.hash = prev = audit._digest(event)
        without_guard(
            "UPDATE privacy_auditevent SET actor_name = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [event.actor_name, event.prev_hash, event.hash, event.pk],
        )


def test_a_checkpoint_signs_each_chains_head_and_prints_it(sealed, program, capsys):
    call_command("audit", "checkpoint")
    printed = {line["chain"]: line for line in map(json.loads, capsys.readouterr().out.splitlines())}
    assert printed.keys() == heads().keys() and str(program.pk) in printed
    for chain, newest in heads().items():
        assert (printed[chain]["last_event_id"], printed[chain]["head_hash"]) == (newest.pk, newest.hash)
        assert printed[chain]["count"] == newest.chain_seq and len(printed[chain]["signature"]) == 64
    assert printed[str(program.pk)]["count"] == AuditEvent.objects.filter(program_id=program.pk).count()
    assert KEY not in json.dumps(printed)
    newest = {chain: AuditCheckpoint.objects.filter(chain=chain).order_by("-id").first() for chain in printed}
    assert all(newest[chain].signature == line["signature"] for chain, line in printed.items())


def test_a_chain_rewritten_whole_verifies_as_a_chain_but_not_against_its_checkpoint(sealed):
    call_command("audit", "checkpoint")
    rewrite_from(sealed[1].pk)
    assert audit.verify().intact  # the unkeyed chain alone cannot tell
    with pytest.raises(CommandError, match="another hash now .the chain was rewritten"):
        call_command("audit", "verify")


def test_removing_the_newest_events_is_detected_against_the_checkpoint(sealed):
    call_command("audit", "checkpoint")
    without_guard("DELETE FROM privacy_auditevent WHERE id IN (%s, %s)", [sealed[-1].pk, sealed[-2].pk])
    assert audit.verify().intact
    with pytest.raises(CommandError, match="the event it signed is gone"):
        call_command("audit", "verify")


def test_removing_the_newest_events_and_the_checkpoints_is_detected_by_one_kept_outside(sealed, capsys, tmp_path):
    call_command("audit", "checkpoint")
    kept = tmp_path / "checkpoints.jsonl"
    call_command("audit", "checkpoints")
    kept.write_text(capsys.readouterr().out)
    newest = sealed[-1]
    without_guard("DELETE FROM privacy_auditevent WHERE id = %s", [newest.pk])
    without_guard("DELETE FROM privacy_auditcheckpoint")
    call_command("audit", "verify")  # nothing left inside the database to compare with
    without_guard("DELETE FROM privacy_auditcheckpoint")
    with pytest.raises(CommandError, match="the event it signed is gone"):
        call_command("audit", "verify", "--checkpoints", str(kept))


def test_a_checkpoint_forged_without_the_key_is_refused(sealed, capsys, tmp_path):
    call_command("audit", "checkpoint")
    forged = audit_signing.exported(AuditCheckpoint.objects.first())
    forged["count"] += 1
    kept = tmp_path / "forged.jsonl"
    kept.write_text(json.dumps(forged) + "\n")
    with pytest.raises(CommandError, match="its signature does not hold"):
        call_command("audit", "verify", "--checkpoints", str(kept))


def test_a_successful_verification_signs_a_new_checkpoint_of_each_chain(sealed):
    call_command("audit", "verify")
    for chain, newest in heads().items():
        assert AuditCheckpoint.objects.filter(chain=chain).order_by("-id").first().last_event_id == newest.pk


def test_a_checkpoint_given_back_for_another_chain_does_not_hold(sealed, program, capsys, tmp_path):
    """A checkpoint names its chain and the signature covers the name: it cannot vouch for another chain."""
    call_command("audit", "checkpoint")
    moved = audit_signing.exported(AuditCheckpoint.objects.filter(chain=str(program.pk)).order_by("-id").first())
    moved["chain"] = audit.NO_PROGRAM
    kept = tmp_path / "moved.jsonl"
    kept.write_text(json.dumps(moved) + "\n")
    with pytest.raises(CommandError, match="its signature does not hold"):
        call_command("audit", "verify", "--checkpoints", str(kept))


def test_the_database_refuses_to_change_or_delete_a_checkpoint(sealed):
    audit_signing.make_checkpoint()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditCheckpoint.objects.update(count=0)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditCheckpoint.objects.all()._raw_delete(AuditCheckpoint.objects.db)


def test_without_a_configured_key_development_keeps_one_in_var_readable_by_its_owner_only(tmp_path):
    with override_settings(WAYPOINT_AUDIT_KEY="", VAR_DIR=tmp_path):
        key = audit_signing.audit_key()
        path = tmp_path / "audit_key"
        assert len(key) == 64 and path.read_bytes().strip() == key
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert audit_signing.audit_key() == key  # the same key on the next start


def test_a_short_configured_key_is_refused(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.WAYPOINT_AUDIT_KEY = "short"
    with pytest.raises(ImproperlyConfigured, match="at least 32"):
        audit_signing.audit_key()
