"""Moving the clinical records onto the ClinicalRecord base loses no row and changes no value.

A database is built at the migrations before the move, holding rows of every kind of record in the registry
(and of everything they point at), written through the historical models with every column filled; then it
is migrated forward and every row is compared, column by column, with what it held before. A renamed column
must hold the old column's value; a new column must hold what the data migration says."""

import datetime
import decimal
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from waypoint.records import discovery

# The last migration of each app the move touches, before the move.
BEFORE = [
    ("withdrawal", "0002_assessment_indexes_for_scale"),
    ("drug_screens", "0002_entered_in_error"),
    ("medication", "0004_structured_frequency"),
    ("screening", "0001_initial"),
]
# Old column -> new column, per model (app label, model name in lower case).
MARK = {
    "entered_in_error_at": "status_changed_at",
    "entered_in_error_by_id": "status_changed_by_id",
    "error_reason": "change_reason",
}
RENAMED = {
    ("withdrawal", "assessment"): {"status": "record_status"},
    ("drug_screens", "drugscreen"): MARK,
    ("medication", "administration"): MARK | {"given_by_id": "recorded_by_id"},
}
NEW_STATUS_FIELDS = {"record_status", "status_changed_at", "status_changed_by_id", "change_reason"}
NOW = datetime.datetime(2026, 3, 4, 10, 30, tzinfo=datetime.UTC)


class Rows:
    """One row of each model asked for (and of each model it needs), every column filled with a plain value."""

    def __init__(self, apps):
        self.apps = apps
        self.made: dict[type, list] = {}
        self.counter = 0

    def one(self, model):
        if not self.made.get(model):
            self.make(model)
        return self.made[model][0]

    def make(self, model, **given):
        values = {}
        for field in model._meta.concrete_fields:
            if field.primary_key or field.name in given:
                continue
            values[field.name] = self.value(model, field)
        row = model(**values | given)
        row.save(force_insert=True)
        self.made.setdefault(model, []).append(row)
        return row

    def value(self, model, field):
        self.counter += 1
        n = self.counter
        if field.is_relation:
            if field.related_model is model:
                return None  # the first version of a record replaces nothing
            return self.one(field.related_model)
        if field.choices:
            return field.choices[0][0]
        kind = field.get_internal_type()
        if kind in ("CharField", "SlugField", "EmailField", "TextField"):
            text = f"{field.name}-{n}"
            return text[: field.max_length] if field.max_length else text
        if kind == "BooleanField":
            return True
        if kind in ("IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField", "SmallIntegerField"):
            return n % 30 + 1
        if kind in ("BigIntegerField", "PositiveBigIntegerField"):
            return n
        if kind == "DecimalField":
            return decimal.Decimal(1).scaleb(-field.decimal_places) * (n % 9 + 1)
        if kind == "FloatField":
            return n + 0.5
        if kind == "DateTimeField":
            return NOW + datetime.timedelta(minutes=n)
        if kind == "DateField":
            return (NOW + datetime.timedelta(days=n % 20)).date()
        if kind == "TimeField":
            return datetime.time(9, n % 60)
        if kind == "DurationField":
            return datetime.timedelta(minutes=n)
        if kind == "JSONField":
            return {"value": n}
        if kind == "UUIDField":
            return uuid.uuid4()
        if kind == "GenericIPAddressField":
            return "192.0.2.1"
        if kind == "BinaryField":
            return b"\x00\x01"
        raise AssertionError(f"{model.__name__}.{field.name}: no plain value for a {kind}")


def snapshot(apps, made) -> dict:
    """Every row made, as the database holds it now: {(app, model): {pk: {column: value}}}, read fresh."""
    out = {}
    for model in made:
        meta = model._meta
        current = apps.get_model(meta.app_label, meta.model_name)
        pks = [row.pk for row in made[model]]
        out[(meta.app_label, meta.model_name)] = {
            row["id"]: row for row in current._base_manager.filter(pk__in=pks).values()
        }
    return out


def counts(apps, made) -> dict:
    return {
        (m._meta.app_label, m._meta.model_name): apps.get_model(m._meta.app_label, m._meta.model_name)
        ._base_manager.all()
        .count()
        for m in made
    }


# Columns later migrations add (empty on rows made before them), not the move's business.
ADDED_LATER = {("withdrawal", "assessment"): {"band_label", "band_source"}}  # withdrawal 0004: CIWA-Ar bands


@pytest.mark.django_db(transaction=True)
def test_moving_the_records_onto_the_clinical_record_base_keeps_every_row_and_value():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        moved = {app for app, _ in BEFORE}
        old = (
            MigrationExecutor(connection)
            .loader.project_state([node for node in latest if node[0] not in moved] + BEFORE)
            .apps
        )
        rows = Rows(old)
        kinds = {kind.model for kind in discovery.load().values() if kind.model}
        for label in sorted(kinds):
            try:
                model = old.get_model(label)
            except LookupError:  # a model made after the move (withdrawal.CiwaArMonitoring): nothing to carry over
                continue
            rows.one(model)
        # The corrections the data migration must carry over: a dose and a screen marked in error (and one not),
        # an assessment replaced by an amendment and one entered in error.
        user = rows.one(old.get_model("accounts", "User"))
        for label in ("drug_screens.DrugScreen", "medication.Administration"):
            rows.make(old.get_model(label), entered_in_error_at=None, entered_in_error_by=None, error_reason="")
        assessment = old.get_model("withdrawal.Assessment")
        first = rows.one(assessment)
        first.status = "amended"
        first.save()
        rows.make(assessment, status="final", version=2, replaces=first)
        rows.make(assessment, status="entered_in_error", status_changed_by=user, change_reason="wrong patient")
        before, counted = snapshot(old, rows.made), counts(old, rows.made)
        assert len(before) >= len(kinds)

        executor = MigrationExecutor(connection)
        executor.migrate(latest)
        new = MigrationExecutor(connection).loader.project_state(latest).apps
        after = snapshot(new, rows.made)

        assert counts(new, rows.made) == counted
        for key, old_rows in before.items():
            renamed = RENAMED.get(key, {})
            for pk, was in old_rows.items():
                now = dict(after[key][pk])
                for column, value in was.items():
                    assert now.pop(renamed.get(column, column)) == value, (key, pk, column)
                added = set(now) - ADDED_LATER.get(key, set())
                if key in RENAMED:
                    assert added <= {"record_status"}, (key, added)
                else:
                    assert added in (set(), NEW_STATUS_FIELDS), (key, added)
                if "record_status" in added:
                    in_error = was.get("entered_in_error_at") is not None
                    assert now["record_status"] == ("entered_in_error" if in_error else "final"), (key, pk)
                if added == NEW_STATUS_FIELDS:
                    assert now == {
                        "record_status": "final",
                        "status_changed_at": None,
                        "status_changed_by_id": None,
                        "change_reason": "",
                    }, key
        marked = [r for r in after[("drug_screens", "drugscreen")].values() if r["record_status"] != "final"]
        assert len(marked) == 1 and marked[0]["change_reason"].startswith("error_reason-")
        statuses = sorted(r["record_status"] for r in after[("withdrawal", "assessment")].values())
        assert statuses == ["amended", "entered_in_error", "final"]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
