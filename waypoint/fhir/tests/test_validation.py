"""Every resource the server can emit validates against the FHIR R4 4.0.1 models in strict mode: every kind of
record, every instrument, the CapabilityStatement, Bundles and OperationOutcomes."""

import pytest
from fhirclient.models.fhirabstractbase import FHIRValidationError

from waypoint.fhir.access import StaffReader
from waypoint.fhir.capability import capability_statement
from waypoint.fhir.codes import PART2_SECURITY
from waypoint.fhir.questionnaires import all_questionnaires
from waypoint.fhir.registry import KINDS
from waypoint.scales import INSTRUMENTS

from .validation import assert_valid


def emitted(reader):
    out = {}
    for key, kind in KINDS.items():
        out[key] = [r for row in reader.rows(kind).order_by("pk") for r in kind.to_resources(row)]
    return out


def test_the_validator_is_strict_about_unknown_elements_and_types():
    with pytest.raises(FHIRValidationError):
        assert_valid({"resourceType": "Patient", "id": "1", "nickname": "Mia"})
    with pytest.raises(FHIRValidationError):
        assert_valid({"resourceType": "Patient", "id": "1", "birthDate": "12/04/1988"})
    with pytest.raises(FHIRValidationError):
        assert_valid({"resourceType": "Observation", "id": "1", "code": {"text": "x"}})  # status is required
    with pytest.raises(AssertionError):
        assert_valid({"resourceType": "Patient", "id": "1", "name": []})


def test_every_kind_of_record_emits_valid_resources(record, nurse, program):
    resources = emitted(StaffReader(nurse, program))
    for key, kind in KINDS.items():
        assert resources[key], f"the record has no {key}"
        for resource in resources[key]:
            assert resource["resourceType"] == kind.resource_type
            assert_valid(resource)
            if kind.part2:
                assert resource["meta"]["security"] == [dict(s) for s in PART2_SECURITY]


def test_every_instrument_has_a_valid_questionnaire_total_and_response(record, nurse, program):
    resources = emitted(StaffReader(nurse, program))
    questionnaires = {q["id"]: q for q in all_questionnaires()}
    assert set(questionnaires) == set(INSTRUMENTS)
    for code, instrument in INSTRUMENTS.items():
        assert_valid(questionnaires[code])
        assert [i["linkId"] for i in questionnaires[code]["item"]] == list(instrument.keys)
        totals = [r for r in resources["assessment-total"] if r["code"]["coding"][0]["code"] == code]
        responses = [r for r in resources["assessment-response"] if r["id"].rsplit("-", 1)[0] == code]
        assert totals and responses, code


def test_ids_are_unique_per_resource_type(record, nurse, program):
    seen = {}
    for key, resources in emitted(StaffReader(nurse, program)).items():
        for resource in resources:
            ident = (resource["resourceType"], resource["id"])
            assert ident not in seen, f"{ident} from {key} and {seen.get(ident)}"
            seen[ident] = key


def test_the_capability_statement_is_valid():
    assert_valid(capability_statement("http://testserver/fhir/"))


def test_mapping_a_row_of_an_observation_kind_reads_nothing_more(record, nurse, program):
    """The bulk export maps millions of rows: the Observations of assessments need nothing beyond their row (no
    recording user, no item answers fetched per row). Only an amended assessment looks up its first version."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    reader = StaffReader(nurse, program)
    for key in ("assessment-total", "vital-signs"):
        rows = list(reader.rows(KINDS[key]).order_by("pk"))
        assert rows, key
        with CaptureQueriesContext(connection) as queries:
            for row in rows:
                KINDS[key].to_resources(row)
        amended = sum(1 for row in rows if row.replaces_id is not None)
        assert len(queries) == amended, (key, [q["sql"][:120] for q in queries])
