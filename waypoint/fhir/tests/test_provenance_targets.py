"""Provenance targets are version-specific (`Observation/cows-12/_history/2`): each resolves by vread to the content
the Provenance attests, and an amendment's Provenance keeps pointing to its version after the entry is marked in
error, while the NULLIFY points to the version in error."""

import json

from waypoint.withdrawal import services as withdrawal

from .validation import assert_valid


def resource_of(response):
    assert response.status_code == 200, response.content
    data = json.loads(response.content)
    assert_valid(data)
    return data


def test_each_target_names_the_version_it_attests_and_resolves_by_vread(api, nurse, record):
    client = api(nurse)
    amended = record["amended"]
    total = resource_of(client.get(f"/fhir/Observation/cows-{amended.replaces_id}"))
    update = resource_of(client.get(f"/fhir/Provenance/assessment-{amended.pk}"))
    assert update["activity"]["coding"][0]["code"] == "UPDATE"
    references = [t["reference"] for t in update["target"]]
    assert f"Observation/cows-{amended.replaces_id}/_history/{total['meta']['versionId']}" in references
    assert len(references) >= 3 and all("/_history/" in r for r in references)  # total, response, vital signs
    attested = {}
    for reference in references:
        resource = resource_of(client.get(f"/fhir/{reference}"))  # vread
        assert f"{resource['resourceType']}/{resource['id']}/_history/{resource['meta']['versionId']}" == reference
        attested[reference] = resource
    assert attested[references[0]] == total

    withdrawal.mark_entered_in_error(acting_user=nurse, assessment=amended, reason="wrong patient")
    nullify = resource_of(client.get(f"/fhir/Provenance/assessment-{amended.pk}-error"))
    assert nullify["activity"]["coding"][0]["code"] == "NULLIFY"
    for target in nullify["target"]:
        in_error = resource_of(client.get(f"/fhir/{target['reference']}"))
        assert in_error["status"] == "entered-in-error"
        assert target["reference"] not in references  # a version of its own
    again = resource_of(client.get(f"/fhir/Provenance/assessment-{amended.pk}"))
    assert [t["reference"] for t in again["target"]] == references  # the amendment still attests its version
    for reference in references:
        assert resource_of(client.get(f"/fhir/{reference}")) == attested[reference]


def test_a_version_never_served_while_in_force_has_no_version_to_name(api, nurse, record):
    client = api(nurse)
    first = resource_of(client.get(f"/fhir/Provenance/assessment-{record['amended'].replaces_id}"))
    assert first["activity"]["coding"][0]["code"] == "CREATE"
    # the first version was replaced before anything was served: no version of it was kept to point to
    assert all("/_history/" not in t["reference"] for t in first["target"])
