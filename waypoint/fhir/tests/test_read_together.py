"""What the bulk export relies on when it reads a kind's rows as light rows (`ResourceKind.export_row`) or reads
several kinds' rows once (`registry.ReadTogether`): the same resources as the model instances, kind by kind."""

import pytest

from waypoint.fhir import registry

pytestmark = pytest.mark.django_db

TOGETHER = list(registry.TOGETHER.values())
LIGHT = [kind for kind in registry.KINDS.values() if kind.export_row is not None]


def rows_of(kind, program):
    return kind.queryset().filter(**{kind.program_field: program.pk}).order_by("pk")


def test_the_observations_of_an_assessment_are_read_together():
    assert {t.key: t.kinds for t in TOGETHER} == {"assessment-observations": ("assessment-total", "vital-signs")}


@pytest.mark.parametrize("together", TOGETHER, ids=lambda t: t.key)
def test_kinds_read_together_are_scoped_released_and_read_alike(together):
    kinds = [registry.KINDS[key] for key in together.kinds]
    alike = {
        (k.resource_type, k.program_field, k.patient_field, k.updated_field, k.record.key, k.export_columns)
        for k in kinds
    }
    assert len(alike) == 1
    assert len({k.export_row for k in kinds}) == 1


@pytest.mark.parametrize("together", TOGETHER, ids=lambda t: t.key)
def test_each_kind_read_together_maps_its_own_rows_and_nothing_for_the_others(together, record, program):
    first, *others = [registry.KINDS[key] for key in together.kinds]
    rows = list(rows_of(first, program))
    assert rows
    for kind in others:
        own = set(rows_of(kind, program).values_list("pk", flat=True))
        assert own and own < {row.pk for row in rows}
        assert {row.pk for row in rows if list(kind.to_resources(row))} == own


@pytest.mark.parametrize("kind", LIGHT, ids=lambda k: k.key)
def test_a_light_row_maps_to_the_resources_of_its_model_instance(kind, record, program):
    """Amended, entered-in-error, kiosk-reported and staff-recorded assessments, with and without vital signs."""
    instances = list(rows_of(kind, program))
    light = [kind.export_row(values) for values in rows_of(kind, program).values_list(*kind.export_columns)]
    assert [row.pk for row in light] == [row.pk for row in instances]
    expected = [resource for row in instances for resource in kind.to_resources(row)]
    assert expected
    assert [resource for row in light for resource in kind.to_resources(row)] == expected
