"""The code stays ready to be distributed by program with Citus (docs/scale-out.md): every clinical table carries
its program, every clinical query names the program, every unique constraint of a clinical table includes the
program or is listed here with its reason, every other table is placed (reference table or coordinator table), no
reference table points at a distributed one, and rows that point at each other belong to one program (so that
their shards are colocated).

"Clinical table" is what the records kernel (waypoint/records) and the program scope know: the model of every
declared kind of record, every model the kernel lists as patient data that is not a record of its own, every model
that points at a patient, and every model whose default manager is the program scope. A new model of any of these
without a `program` foreign key fails here; so does a new table nobody placed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django_scopes import ScopeError, scope

from waypoint.accounts.scoping import program_scope
from waypoint.records import discovery
from waypoint.records.registry import NOT_RECORDS

WAYPOINT = Path(__file__).resolve().parents[1] / "waypoint"

# Clinical tables without a `program` column of their own, with why. None today: keep it that way.
NO_PROGRAM_COLUMN: dict[str, str] = {}

# Many-to-many tables of clinical models (Django makes them; they hold two ids and no program), with what they
# become under Citus (docs/scale-out.md "What would have to change").
CLINICAL_LINK_TABLES = {
    "regulatory.Breach_involved_users": "the staff a breach involved: becomes a model of its own with the program "
    "(a `through` model), distributed with the breach",
}

# Unique constraints of clinical tables that do not include the program. Each one is unique over a row that belongs
# to one program (its parent: the same program as the row, checked below by test_rows_that_point_at_each_other_
# belong_to_one_program), so adding the program to it changes nothing it allows; under Citus each becomes
# UNIQUE (program_id, ...) in one migration. Key: "app.Model: field" for a unique field, "app.Model: name" for a
# constraint.
ONE_PARENT = "unique per parent row, which belongs to one program: (program, ...) is the same rule"
UNIQUE_WITHOUT_PROGRAM = {
    "aftercare.ContinuingCarePlan: episode": "one continuing-care plan per episode; " + ONE_PARENT,
    "aftercare.ContinuingCarePlan: hand_off": "one plan per hand-off disclosure; " + ONE_PARENT,
    "aftercare.FollowUp: one_follow_up_per_day": "one follow-up per plan and day; " + ONE_PARENT,
    "aftercare.SentinelEvent: contact": "one sentinel event per follow-up contact; " + ONE_PARENT,
    "comfort.ProtocolEntry: comfort_entry_once": "a drug once per symptom of a protocol; " + ONE_PARENT,
    "dispensing.GuestDosing: order": "one guest dosing per local order; " + ONE_PARENT,
    "dispensing.ReplacementDose: replaces_administration": "a dose is replaced once; " + ONE_PARENT,
    "dispensing.ReplacementDose: replaces_bottle": "a bottle is replaced once; " + ONE_PARENT,
    "dispensing.TakeHomeBottle: code": "the code on a bottle's label, random: unique across programs today; "
    "under Citus unique within the program, which is where the window scans it",
    "dispensing.WindowDose: administration": "one window dose per administration; " + ONE_PARENT,
    "fhir.ResourceVersion: fhir_version_unique": "a version of one resource (a row of one program); " + ONE_PARENT,
    "patients.Episode: one_open_episode": "one open episode per patient; " + ONE_PARENT,
    "patients.LevelOfCareStay: one_open_stay_per_episode": "one open stay per episode; " + ONE_PARENT,
    "regulatory.ConsentSignature: consent": "one signature per consent; " + ONE_PARENT,
    "regulatory.ConsentText: consent_text_series_version": "a version of one consent text series, which "
    "belongs to one program; " + ONE_PARENT,
    "regulatory.DualEnrollment: episode": "one dual-enrollment answer per episode; " + ONE_PARENT,
    "regulatory.RegistryReport: disclosure": "one registry report per disclosure; " + ONE_PARENT,
    "regulatory.TelemedicineEncounter: order": "one telemedicine encounter per order; " + ONE_PARENT,
    "screening.History: one_history_version": "a version number once per patient; " + ONE_PARENT,
    "treatment.Attendance: one_attendance_mark": "one mark per session and patient; " + ONE_PARENT,
    "treatment.GroupNote: session": "one group note per session; " + ONE_PARENT,
    "treatment.GroupNoteEntry: one_group_note_entry": "one entry per note and patient; " + ONE_PARENT,
    "treatment.RosterEntry: one_roster_entry": "one booking per session and patient; " + ONE_PARENT,
    "treatment.TreatmentPlan: replaces": "a plan version is replaced once; " + ONE_PARENT,
    "treatment.TreatmentPlan: one_plan_version": "a version number once per episode; " + ONE_PARENT,
    "treatment.TreatmentPlan: one_draft_plan": "one draft per episode; " + ONE_PARENT,
    "treatment.TreatmentPlan: one_plan_in_force": "one plan in force per episode; " + ONE_PARENT,
    "withdrawal.Assessment: replaces": "an assessment version is replaced once; " + ONE_PARENT,
    "withdrawal.CiwaArMonitoring: ciwa_ar_monitoring_one_open": "one open CIWA-Ar monitoring per patient; "
    + ONE_PARENT,
}

# Tables distributed by program besides the clinical ones (their program column, and why they go with the program).
ALSO_DISTRIBUTED = {
    "privacy.AuditEvent": "program_id: the audit trail, one hash chain per program (events of no program: see "
    "docs/scale-out.md)",
    "bulk.ExportJob": "program: an export reads one program's rows",
    "bulk.ExportFile": "job: a file of one export job; needs its job's program as a column (docs/scale-out.md)",
}

# Reference tables: small, read by every shard, changed rarely; copied to every node. Who is asking and the
# program's configuration.
REFERENCE = {
    "accounts.Program": "the distribution column's own table",
    "accounts.ProgramLevel": "the levels of care each program offers",
    "accounts.ProgramSettingValue": "each program's settings",
    "accounts.User": "staff: a user may work in several programs",
    "accounts.Membership": "who works where, in which role (read by every request)",
    "accounts.CareTeam": "care teams (visible_patients joins them to patients)",
    "accounts.CareTeam_members": "care team members",
    "accounts.ApiToken": "who is asking (bearer tokens)",
    "accounts.TypedEntries": "a user's typed form entries per program (read with the user)",
    "accounts.User_groups": "Django's user groups (unused)",
    "accounts.User_user_permissions": "Django's user permissions (unused)",
    "auth.Group": "Django's groups (unused)",
    "auth.Group_permissions": "Django's group permissions (unused)",
    "auth.Permission": "Django's permission names",
    "contenttypes.ContentType": "Django's model names",
    "fhir.ExternalClient": "who is asking: a registered external system",
    "placements.RuleTableVersion": "the program's placement rule tables (code lists and rules)",
    "treatment.PlanTemplate": "the program's treatment plan templates",
}

# Tables kept on the coordinator only (never joined with clinical tables): sign-in, sessions, second factors,
# idempotency keys, the audit trail's verifications and checkpoints.
COORDINATOR = {
    "sessions.Session": "sessions",
    "accounts.BrowserSession": "sessions (with their user as a column, for the one who-is-asking query)",
    "fhir.UsedAssertion": "SMART client assertions already used (replay refusal), kept until they expire",
    "fhir.RefusedTokenRequest": "refused SMART token requests per address, kept for the cool-off time (throttle)",
    "axes.AccessAttempt": "sign-in lockouts",
    "axes.AccessAttemptExpiration": "sign-in lockouts",
    "axes.AccessFailureLog": "sign-in failures",
    "axes.AccessLog": "sign-ins",
    "otp_totp.TOTPDevice": "authenticator apps",
    "accounts.RecoveryCodeDevice": "recovery codes",
    "accounts.RecoveryCode": "recovery codes",
    "django_otp_webauthn.WebAuthnAttestation": "passkeys",
    "django_otp_webauthn.WebAuthnCredential": "passkeys",
    "django_otp_webauthn.WebAuthnUserHandle": "passkeys",
    "reliability.Submission": "idempotency keys and form tokens (per user)",
    "privacy.AuditCheckpoint": "signed heads of the per-program chains (one row per chain and batch)",
    "privacy.AuditVerification": "runs of `waypoint audit verify`",
}

# Code that reads across programs (outside the program scope), and what the read becomes under Citus. Each use of
# scopes_disabled / with_scopes_disabled outside the tests must be in one of these modules.
CROSS_PROGRAM = {
    "waypoint/accounts/scoping.py": "defines the scope and its bypass",
    "waypoint/withdrawal/views.py": "the kiosk finds its own session's program: one row by primary key (a query "
    "to every shard, or the kiosk session's program kept in the signed session)",
    "waypoint/site/management/commands/demo.py": "builds the two demo programs: writes to two shards",
    "waypoint/seed/run.py": "loads one new program: one shard",
    "waypoint/seed/dosing.py": "loads one program's dosing window: one shard",
    "waypoint/bench/__main__.py": "the benchmark's own throwaway database",
}
# Raw SQL (outside the ORM and so outside the program scope), and why it stays correct under Citus.
RAW_SQL = {
    "waypoint/audit/sequencer.py": "seals one program's chain at a time (WHERE program_id = ...): one shard",
    "waypoint/audit/trail.py": "an audit event's INSERT as Django's compiler writes it for save(), its program_id "
    "among the values: routed to that program's shard (an event of no program: the exception docs/scale-out.md lists)",
    "waypoint/fhir/versions.py": "COPY of new resource versions, each row with its program_id, and the read of the "
    "latest ones WHERE program_id = ...: one shard per program (the rows of one export are one program's)",
    "waypoint/records/replica.py": "asks the primary and the replica for their WAL positions: no table",
    "waypoint/site/views.py": "the health check's SELECT 1: no table",
    "waypoint/withdrawal/list_rows.py": "the flowsheet API's page: one patient's assessments WHERE program_id IN (the "
    "programs in scope, read as the scoped manager reads them) AND patient_id = ..., the visibility rule a subquery "
    "the ORM compiles (scoped too): pruned to the patient's shard like the ORM query it replaced",
    "waypoint/accounts/asking.py": "who is asking, the ORM's own SELECT compiled once: a token or session with its "
    "user, memberships, programs and care teams, all reference tables (accounts), no clinical table",
    "waypoint/privacy/management/commands/flush.py": "the test suite's flush of the append-only audit table",
    "waypoint/seed/load.py": "COPY of one program's synthetic rows: one shard",
    "waypoint/seed/run.py": "the seed's sequence resets after its COPY",
    "waypoint/bench/measure.py": "the benchmark's own measurements",
    "waypoint/bench/runner.py": "the benchmark's own measurements",
}


def label(model: type[models.Model]) -> str:
    return model._meta.label


def is_program_scoped(model: type[models.Model]) -> bool:
    return hasattr(model._default_manager, "with_scopes_disabled")  # django_scopes' ScopedManager


def clinical_models() -> list[type[models.Model]]:
    kinds = discovery.load()
    patient = apps.get_model("patients", "Patient")
    found = {apps.get_model(kind.model) for kind in kinds.values()} | {apps.get_model(m) for m in NOT_RECORDS}
    for model in apps.get_models():
        points_at_patient = any(field.concrete and field.related_model is patient for field in model._meta.get_fields())
        if model is patient or points_at_patient or is_program_scoped(model):
            found.add(model)
    return sorted(found, key=label)


CLINICAL = clinical_models()


def program_field(model: type[models.Model]) -> models.Field | None:
    program = apps.get_model("accounts", "Program")
    for field in model._meta.concrete_fields:
        if field.name == "program" and field.related_model is program:
            return field
    return None


def test_the_records_kernel_and_the_program_scope_name_the_clinical_tables():
    names = {label(model) for model in CLINICAL}
    assert len(names) > 50
    assert {"patients.Patient", "patients.Episode", "withdrawal.Assessment", "dispensing.TakeHomeBottle"} <= names


@pytest.mark.parametrize("model", CLINICAL, ids=label)
def test_every_clinical_table_carries_its_program(model):
    if label(model) in NO_PROGRAM_COLUMN:
        return
    field = program_field(model)
    assert field is not None, f"{label(model)}: a clinical table needs a `program` foreign key (docs/scale-out.md)"
    assert not field.null, f"{label(model)}: the program may not be empty (it is the distribution column)"


def test_the_listed_exceptions_are_still_clinical_tables_without_a_program():
    for name in NO_PROGRAM_COLUMN:
        assert program_field(apps.get_model(name)) is None, f"{name} has its program now: take it off the list"


@pytest.mark.parametrize("model", CLINICAL, ids=label)
def test_every_clinical_query_is_refused_without_a_program_and_names_the_program_inside_one(model):
    assert is_program_scoped(model), f"{label(model)}: its default manager must be the program scope (program_scoped)"
    with scope(), pytest.raises(ScopeError):
        model.objects.filter(pk=1)  # refused before any SQL is made: a query without the program
    with program_scope(7):
        sql = str(model.objects.filter(pk=1).query)
    table = model._meta.db_table
    assert re.search(rf'"{table}"\."program_id" IN \(7\)', sql), f"{label(model)}: {sql}"


def unique_rules(model: type[models.Model]) -> dict[str, tuple[str, ...]]:
    """Every unique rule of a table but its primary key: "app.Model: name" -> the fields it covers."""
    rules: dict[str, tuple[str, ...]] = {}
    for field in model._meta.concrete_fields:
        if field.unique and not field.primary_key:
            rules[f"{label(model)}: {field.name}"] = (field.name,)
    for fields in model._meta.unique_together:
        rules[f"{label(model)}: {'+'.join(fields)}"] = tuple(fields)
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            covered = tuple(constraint.fields) or tuple(str(e) for e in constraint.expressions)
            rules[f"{label(model)}: {constraint.name}"] = covered
    return rules


def test_every_unique_rule_of_a_clinical_table_includes_the_program_or_is_listed_with_its_reason():
    without_program = {
        name
        for model in CLINICAL
        for name, fields in unique_rules(model).items()
        if "program" not in fields and "program_id" not in fields
    }
    unlisted = without_program - set(UNIQUE_WITHOUT_PROGRAM)
    assert not unlisted, f"unique without the program (add the program, or list it with its reason): {unlisted}"
    stale = set(UNIQUE_WITHOUT_PROGRAM) - without_program
    assert not stale, f"listed but no longer a unique rule without the program: {stale}"


def test_every_table_is_placed_distributed_reference_or_on_the_coordinator():
    clinical = {label(model) for model in CLINICAL}
    placed = [clinical, set(CLINICAL_LINK_TABLES), set(ALSO_DISTRIBUTED), set(REFERENCE), set(COORDINATOR)]
    every = {label(model) for model in apps.get_models(include_auto_created=True)}
    for i, group in enumerate(placed):
        for other in placed[i + 1 :]:
            assert not group & other, f"placed twice: {group & other}"
    unplaced = every - set().union(*placed)
    assert not unplaced, f"tables not placed (docs/scale-out.md; list them in tests/test_citus_ready.py): {unplaced}"
    assert set().union(*placed) <= every, "a listed table no longer exists"


def test_the_link_tables_of_clinical_models_are_listed():
    links = {
        label(field.remote_field.through)
        for model in CLINICAL
        for field in model._meta.many_to_many
        if field.remote_field.through._meta.auto_created
    }
    assert links == set(CLINICAL_LINK_TABLES)


def test_no_reference_table_points_at_a_distributed_table():
    """Citus allows a foreign key from a distributed table to a reference table, never the other way round."""
    distributed = {label(model) for model in CLINICAL} | set(ALSO_DISTRIBUTED) | set(CLINICAL_LINK_TABLES)
    for name in REFERENCE:
        for field in apps.get_model(name)._meta.concrete_fields:
            if field.is_relation:
                assert label(field.related_model) not in distributed, f"{name}.{field.name} -> distributed table"


def test_distributed_tables_point_only_at_distributed_or_reference_tables():
    """A foreign key from a distributed table goes to a colocated distributed table or to a reference table (a row on
    the coordinator only is not on the worker holding the shard)."""
    distributed = {label(model) for model in CLINICAL} | set(ALSO_DISTRIBUTED) | set(CLINICAL_LINK_TABLES)
    for name in distributed:
        for field in apps.get_model(name)._meta.concrete_fields:
            if field.is_relation:
                target = label(field.related_model)
                assert target in distributed | set(REFERENCE), f"{name}.{field.name} -> {target} (coordinator only)"


def source_files() -> list[Path]:
    return [path for path in WAYPOINT.rglob("*.py") if "tests" not in path.parts and "migrations" not in path.parts]


def test_every_read_across_programs_and_every_raw_query_is_listed_with_what_it_becomes():
    bypass, raw = set(), set()
    for path in source_files():
        text = path.read_text()
        name = str(path.relative_to(WAYPOINT.parent))
        if "scopes_disabled" in text:
            bypass.add(name)
        if re.search(r"\.cursor\(\)|\.raw\(|\.extra\(|RawSQL\(", text):
            raw.add(name)
    assert bypass == set(CROSS_PROGRAM), f"reads across programs, listed and found: {set(CROSS_PROGRAM) ^ bypass}"
    assert raw == set(RAW_SQL), f"raw SQL, listed and found: {set(RAW_SQL) ^ raw}"


def clinical_links() -> list[tuple[type[models.Model], models.Field]]:
    """Every foreign key from a clinical table to another (the joins that must stay on one shard)."""
    clinical = set(CLINICAL)
    return [
        (model, field)
        for model in CLINICAL
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model in clinical
    ]


@pytest.mark.slow  # builds the demo's two programs with every kind of record
@pytest.mark.django_db
def test_rows_that_point_at_each_other_belong_to_one_program():
    """Colocation: a clinical row and every clinical row it points to have the same program, so a join along any
    foreign key stays on one shard (and each UNIQUE above may take the program)."""
    call_command("demo", patients=6, verbosity=0)
    links = clinical_links()
    assert len(links) > 50
    seen = 0
    for model, field in links:
        if label(model) in NO_PROGRAM_COLUMN or label(field.related_model) in NO_PROGRAM_COLUMN:
            continue
        rows = model.objects.with_scopes_disabled().filter(**{f"{field.name}__isnull": False})
        crossing = rows.exclude(program_id=models.F(f"{field.name}__program_id"))
        assert not crossing.exists(), f"{label(model)}.{field.name} points into another program"
        seen += rows.exists()
    assert seen >= 40, f"the demo holds rows for only {seen} of the {len(links)} links"  # 45 on 2026-12-07
    print(f"colocation checked on {seen} of {len(links)} links")
