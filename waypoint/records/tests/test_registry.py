"""Every kind of clinical record is declared once, and every consumer knows it: the disclosures (a renderer and
the consent's kind of information), the FHIR facade (its kinds, or why none), the chart (its section, or why
none) and the seed (its generator, or why none). A model holding patient data is a kind or says why not."""

import pytest
from django.apps import apps
from django.utils.module_loading import autodiscover_modules, import_string

from waypoint.fhir.registry import KINDS as FHIR_KINDS
from waypoint.patients import chart_sections, progress_sections
from waypoint.privacy.models import InformationKind
from waypoint.records import discovery
from waypoint.records.registry import NOT_RECORDS, RecordKind
from waypoint.seed import areas
from waypoint.seed.registry import GENERATORS

THE_CHART_ITSELF = (
    "waypoint.patients.views.patient_chart"  # identification, episodes and stays are the chart's own header
)

KINDS = discovery.load()


def kinds():
    return pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))


def test_the_registry_holds_a_kind_for_every_area_of_the_record():
    assert {kind.model.split(".")[0] for kind in KINDS.values()} >= {
        "patients",
        "withdrawal",
        "placements",
        "screening",
        "treatment",
        "medication",
        "drug_screens",
        "privacy",
    }


def test_every_model_holding_patient_data_is_a_kind_of_record_or_says_why_not():
    declared = {kind.model for kind in KINDS.values()} | set(NOT_RECORDS)
    patient_model = apps.get_model("patients", "Patient")
    holding = {
        model._meta.label
        for model in apps.get_models()
        if model is patient_model
        or any(field.concrete and field.related_model is patient_model for field in model._meta.get_fields())
    }
    assert len(holding) > 20
    assert holding - declared == set()


@kinds()
def test_each_kind_names_its_model_program_and_patient(kind: RecordKind):
    model = apps.get_model(kind.model)
    rows = model.objects.all()
    str(rows.filter(**{kind.program_field: 0}).query)  # a lookup that does not exist raises FieldError
    if kind.patient_field:
        str(rows.filter(**{kind.patient_field: 0}).query)
    else:
        assert model is apps.get_model("patients", "Patient")


@kinds()
def test_each_kind_is_covered_by_a_kind_of_consented_information(kind: RecordKind):
    assert kind.part2, "every clinical record of the program is a substance use disorder record (42 CFR Part 2)"
    assert kind.information_kind in InformationKind.values
    assert kind.columns and callable(kind.render) and callable(kind.rows)


@kinds()
def test_each_kind_names_fhir_kinds_that_exist_and_read_the_same_rows_or_says_why_none(kind: RecordKind):
    for key in kind.fhir_kinds + kind.fhir_provenance:
        assert key in FHIR_KINDS, f"{kind.key} names FHIR kind {key!r}, which is not registered"
        assert FHIR_KINDS[key].queryset().model is apps.get_model(kind.model)
        assert FHIR_KINDS[key].record is kind
    assert kind.fhir_kinds or kind.not_in_fhir


def test_every_fhir_kind_of_patients_carries_exactly_one_kind_of_record_and_a_program_level_kind_none():
    claims = {key: [k.key for k in KINDS.values() if key in k.fhir_kinds + k.fhir_provenance] for key in FHIR_KINDS}
    owners_wanted = {key: 0 if kind.program_level else 1 for key, kind in FHIR_KINDS.items()}
    wrong = {key: owners for key, owners in claims.items() if len(owners) != owners_wanted[key]}
    assert wrong == {}
    assert {key for key, kind in FHIR_KINDS.items() if kind.program_level} == {"stock-movement", "stock-count"}


def test_a_program_level_fhir_kind_is_no_patients_record_so_neither_labelled_nor_consented():
    for fhir_kind in FHIR_KINDS.values():
        if fhir_kind.program_level:
            assert (fhir_kind.part2, fhir_kind.information_kind) == (False, "")
            with pytest.raises(LookupError):
                assert fhir_kind.record is None


def test_fhir_labels_and_consents_follow_the_record_kind():
    for fhir_kind in [kind for kind in FHIR_KINDS.values() if not kind.program_level]:
        assert (fhir_kind.part2, fhir_kind.information_kind) == (
            fhir_kind.record.part2,
            fhir_kind.record.information_kind,
        )


@kinds()
def test_each_kind_names_a_chart_section_that_the_chart_shows_or_says_why_none(kind: RecordKind):
    if not kind.chart_section:
        assert kind.not_on_chart
        return
    shown = chart_sections.HEADER + chart_sections.BODY + progress_sections.SECTIONS
    section = import_string(kind.chart_section)
    assert section in shown or kind.chart_section == THE_CHART_ITSELF


@kinds()
def test_each_kind_names_a_seed_generator_that_makes_its_rows_or_says_why_none(kind: RecordKind):
    if not kind.seed:
        assert kind.not_seeded
        return
    areas.register_core()
    autodiscover_modules("seeding")
    generators = {generator.name: generator for generator in GENERATORS}
    assert kind.seed in generators
    assert generators[kind.seed].model == kind.model


def test_a_kind_that_neither_names_a_consumer_nor_says_why_is_refused():
    declared = {
        "key": "new-kind",
        "title": "A new kind",
        "model": "patients.Episode",
        "program_field": "program",
        "patient_field": "patient",
        "part2": True,
        "information_kind": "episodes",
        "rows": lambda patient, user: [],
        "columns": (("at", "When"),),
        "render": lambda row: {"at": None},
        "chart_section": THE_CHART_ITSELF,
        "seed": "episodes",
    }
    with pytest.raises(ValueError, match="FHIR kinds"):
        RecordKind(**declared)
    with pytest.raises(ValueError, match="not both"):
        RecordKind(**declared, fhir_kinds=("episode",), not_in_fhir="no mapping")
    RecordKind(**declared, not_in_fhir="no mapping yet")
