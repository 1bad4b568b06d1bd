"""Group read and search: a Group per program and per level of care it offers, only in the client's programs."""

from datetime import date

import pytest

from waypoint.fhir.tests.conftest import register_external
from waypoint.fhir.tests.validation import assert_valid
from waypoint.privacy.models import Consent
from waypoint.privacy.services import record_consent, revoke_consent

pytestmark = pytest.mark.django_db


def test_search_lists_the_program_group_and_one_group_per_level_offered(api, nurse, program, north):
    response = api(nurse).get("/fhir/Group")
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json; charset=utf-8"
    bundle = response.json()
    assert_valid(bundle)  # strict FHIR R4: the Bundle and every Group in it
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    ids = [entry["resource"]["id"] for entry in bundle["entry"]]
    levels = sorted(program.levels.values_list("code", flat=True))
    assert ids == [f"program-{program.pk}", *(f"program-{program.pk}-level-{code}" for code in levels)]
    assert bundle["total"] == len(ids)
    assert all(entry["fullUrl"].endswith(f"/fhir/Group/{entry['resource']['id']}") for entry in bundle["entry"])


def test_search_by_id_and_name(api, nurse, program):
    client = api(nurse)
    by_id = client.get(f"/fhir/Group?_id=program-{program.pk}-level-3.5").json()
    assert [e["resource"]["id"] for e in by_id["entry"]] == [f"program-{program.pk}-level-3.5"]
    by_name = client.get("/fhir/Group?name=harbor recovery: all").json()
    assert [e["resource"]["id"] for e in by_name["entry"]] == [f"program-{program.pk}"]


def test_an_unknown_search_parameter_is_a_400_operation_outcome(api, nurse):
    response = api(nurse).get("/fhir/Group?member=Patient/1")
    assert_valid(response.json())
    assert response.status_code == 400 and response.json()["issue"][0]["expression"] == ["member"]


def test_read_counts_the_members_the_client_may_see(api, nurse, intake, population):
    level = f"/fhir/Group/program-{population.program.pk}-level-3.7-WM"
    group = api(intake).get(level).json()
    assert_valid(group)
    assert group["resourceType"] == "Group" and group["type"] == "person" and group["actual"] is True
    assert group["quantity"] == 4  # two on the nurse's team, two on the other team
    assert group["code"]["text"].startswith("3.7-WM")
    assert api(nurse).get(level).json()["quantity"] == 2
    whole = api(intake).get(f"/fhir/Group/program-{population.program.pk}").json()
    assert whole["quantity"] == len(population.on_team + population.off_team)


def test_another_programs_group_is_404_and_absent_from_search(api, nurse, north):
    response = api(nurse).get(f"/fhir/Group/program-{north.pk}")
    assert_valid(response.json())
    assert response.status_code == 404 and response.json()["resourceType"] == "OperationOutcome"
    ids = [e["resource"]["id"] for e in api(nurse).get("/fhir/Group").json()["entry"]]
    assert not [i for i in ids if i.startswith(f"program-{north.pk}")]


def test_an_external_systems_group_counts_the_members_whose_records_it_may_receive(api, nurse, population):
    for consent in Consent.objects.all():
        revoke_consent(
            acting_user=nurse, consent=consent, revoked_on=consent.program.today(), note="written revocation"
        )
    patient = population.on_team[0]
    record_consent(
        acting_user=nurse,
        patient=patient,
        disclosing_party="Harbor Recovery",
        information=["episodes"],
        information_description="episodes of care",
        recipients=["Riverside Primary Care"],
        purposes=["treatment"],
        expiry="none",
        signed_by="Ana Rivera",
        signed_on=date(2026, 1, 11),
        right_to_revoke_explained=True,
    )
    client = api(register_external(population.program))
    group = client.get(f"/fhir/Group/program-{population.program.pk}").json()
    assert_valid(group)
    assert group["quantity"] == 1  # episodes only, no demographics: its export still releases that patient's
