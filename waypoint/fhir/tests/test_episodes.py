"""A treatment episode is an EpisodeOfCare (not an Encounter): its status follows the episode, its diagnoses are the
plan in force's, it is searched by patient, status, date and type, and every resource of the episode points to it
(natively where R4 allows an EpisodeOfCare, else by the workflow-episodeOfCare extension)."""

import json

from waypoint.fhir.access import StaffReader
from waypoint.fhir.codes import EPISODE_OF_CARE_EXTENSION
from waypoint.fhir.registry import KINDS
from waypoint.patients.models import Episode

from .conftest import ADMITTED, build_record
from .validation import assert_valid


def body(response):
    assert response.status_code == 200, response.content
    data = json.loads(response.content)
    assert_valid(data)
    return data


def ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def references(value):
    """Every `reference` string anywhere in a resource."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def test_a_discharged_episode_is_a_finished_episode_of_care_with_its_plan_diagnoses(api, nurse, record):
    client = api(nurse)
    episode = record["episode"]
    resource = body(client.get(f"/fhir/EpisodeOfCare/episode-{episode.pk}"))
    assert resource["resourceType"] == "EpisodeOfCare"
    assert resource["status"] == "finished"
    assert resource["patient"] == {"reference": f"Patient/{record['patient'].pk}"}
    assert resource["managingOrganization"] == {"display": episode.program.name}
    assert resource["period"]["start"] == "2026-01-10T14:00:00Z" and "end" in resource["period"]
    assert resource["type"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/episodeofcare-type",
        "code": "da",
        "display": "Drug and alcohol rehabilitation",
    }
    (diagnosis,) = resource["diagnosis"]
    condition = body(client.get(f"/fhir/{diagnosis['condition']['reference']}"))
    assert condition["code"]["coding"][0]["code"] == "F11.20"
    assert client.get(f"/fhir/Encounter/episode-{episode.pk}").status_code == 404  # no longer an Encounter


def test_an_open_episode_is_active_and_search_takes_status_patient_date_and_type(api, nurse, patient):
    made = build_record(patient, nurse, discharge=False)
    client = api(nurse)
    wanted = [f"episode-{made['episode'].pk}"]
    assert body(client.get(f"/fhir/EpisodeOfCare/{wanted[0]}"))["status"] == "active"
    assert ids(body(client.get("/fhir/EpisodeOfCare?status=active"))) == wanted
    assert ids(body(client.get("/fhir/EpisodeOfCare?status=finished"))) == []
    assert ids(body(client.get(f"/fhir/EpisodeOfCare?patient=Patient/{patient.pk}"))) == wanted
    assert ids(body(client.get(f"/fhir/EpisodeOfCare?date={ADMITTED.date().isoformat()}"))) == wanted
    assert ids(body(client.get("/fhir/EpisodeOfCare?date=lt2026-01-01"))) == []
    type_ = "http://terminology.hl7.org/CodeSystem/episodeofcare-type|da"
    assert ids(body(client.get("/fhir/EpisodeOfCare", {"type": type_}))) == wanted
    assert ids(body(client.get("/fhir/EpisodeOfCare?type=pac"))) == []
    # discharged (the discharge itself, with its continuing-care plan, is the patients app's to test)
    Episode.objects.filter(pk=made["episode"].pk).update(
        discharged_at=ADMITTED.replace(day=20), discharge_reason="other"
    )
    assert ids(body(client.get("/fhir/EpisodeOfCare?status=finished"))) == wanted


def test_every_resource_of_the_episode_points_to_its_episode_of_care_and_none_to_an_encounter_episode(
    api, nurse, record, program
):
    client = api(nurse)
    target = f"EpisodeOfCare/episode-{record['episode'].pk}"
    reader = StaffReader(nurse, program)
    pointing = set()
    for kind in KINDS.values():
        for row in reader.rows(kind):
            for resource in kind.to_resources(row):
                found = list(references(resource))
                assert not any(r.startswith("Encounter/episode-") for r in found), resource["id"]
                if target in found:
                    pointing.add((resource["resourceType"], kind.key))
                for extension in resource.get("extension", []):
                    if extension["url"] == EPISODE_OF_CARE_EXTENSION:
                        assert extension["valueReference"] == {"reference": target}
    assert {t for t, _ in pointing} >= {
        "Encounter",  # level-of-care stays and follow-up contacts: episodeOfCare
        "Observation",
        "QuestionnaireResponse",
        "Condition",
        "CarePlan",
        "ServiceRequest",
        "MedicationRequest",
        "MedicationAdministration",  # context, which takes an EpisodeOfCare
    }
    assert body(client.get(f"/fhir/{target}"))["id"] == target.split("/")[1]
    stays = body(client.get(f"/fhir/Encounter?_id=stay-{record['stays'][-1].pk}"))["entry"][0]["resource"]
    assert stays["episodeOfCare"] == [{"reference": target}] and "partOf" not in stays
    assert stays["hospitalization"]["dischargeDisposition"]["coding"][0]["code"] == "completed"
