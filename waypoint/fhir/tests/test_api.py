"""The read/search API over HTTP: content type, search parameters, keyset paging, OperationOutcome errors,
scoping to the program and care team, and the audit of every read."""

import json

from waypoint.aftercare.models import FollowUpContact
from waypoint.privacy.models import AuditEvent

from .validation import assert_valid

FHIR_JSON = "application/fhir+json"


def body(response):
    assert response["Content-Type"].startswith(FHIR_JSON), response["Content-Type"]
    data = json.loads(response.content)
    assert_valid(data)
    return data


def ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def issue(response, status, code):
    assert response.status_code == status, response.content
    data = body(response)
    assert data["resourceType"] == "OperationOutcome"
    assert data["issue"][0]["code"] == code
    return data["issue"][0]["diagnostics"]


def test_metadata_is_public_and_lists_every_served_type_with_its_parameters(client):
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    statement = body(response)
    assert statement["fhirVersion"] == "4.0.1"
    served = {r["type"]: {p["name"] for p in r["searchParam"]} for r in statement["rest"][0]["resource"]}
    assert set(served) == {
        "Patient",
        "CodeSystem",
        "Encounter",
        "EpisodeOfCare",
        "Observation",
        "QuestionnaireResponse",
        "Questionnaire",
        "Condition",
        "Consent",
        "Provenance",
        "CarePlan",
        "MedicationRequest",
        "MedicationAdministration",
        "MedicationDispense",
        "AllergyIntolerance",
        "ServiceRequest",
        "SupplyDelivery",
        "Group",
    }
    assert served["Observation"] == {"_id", "_lastUpdated", "patient", "code", "date"}
    assert served["MedicationRequest"] == {"_id", "_lastUpdated", "patient", "authoredon"}
    assert served["MedicationAdministration"] == {"_id", "_lastUpdated", "patient", "effective-time"}
    assert served["MedicationDispense"] == {"_id", "_lastUpdated", "patient", "whenhandedover"}
    assert served["AllergyIntolerance"] == {"_id", "_lastUpdated", "patient", "date"}
    assert served["SupplyDelivery"] == {"_id", "_lastUpdated"}  # the program's stock: no patient


def test_a_nurse_reads_the_patient_and_the_read_is_audited(api, nurse, record):
    patient = record["patient"]
    before = AuditEvent.objects.filter(action="fhir.read").count()
    response = api(nurse).get(f"/fhir/Patient/{patient.pk}")
    assert response.status_code == 200
    resource = body(response)
    assert resource["identifier"][0]["value"] == patient.mrn
    event = AuditEvent.objects.filter(action="fhir.read").last()
    assert AuditEvent.objects.filter(action="fhir.read").count() == before + 1
    assert event.patient_id == patient.pk and event.detail["kind"] == "patient"


def test_search_observations_by_patient_code_and_date(api, nurse, record):
    patient = record["patient"]
    client = api(nurse)
    cows = body(client.get(f"/fhir/Observation?patient=Patient/{patient.pk}&code=cows"))
    assert [e["resource"]["valueInteger"] for e in cows["entry"]] == [record["amended"].total]
    assert cows["entry"][0]["resource"]["status"] == "amended"
    assert cows["entry"][0]["resource"]["interpretation"][0]["coding"][0]["code"] == record["amended"].severity
    pulse = body(client.get(f"/fhir/Observation?patient={patient.pk}&code=http://loinc.org|8867-4"))
    assert [e["resource"]["valueQuantity"] for e in pulse["entry"]] == [
        {"value": 96, "unit": "beats/minute", "system": "http://unitsofmeasure.org", "code": "/min"}
    ]
    # from 2026-01-11 (program time): only the drug screen collected at 02:00 that day, marked in error
    later = body(client.get("/fhir/Observation?date=ge2026-01-11"))["entry"]
    assert [(e["resource"]["code"]["text"], e["resource"]["status"]) for e in later] == [
        ("Urine drug screen", "entered-in-error"),
        ("What a follow-up contact after discharge learned", "final"),  # on the day after discharge
        ("Blind count of a stock lot", "final"),  # the program's stock, counted at RECORDED
    ]
    assert len(ids(body(client.get("/fhir/Observation?date=ge2026-01-10&date=le2026-01-10")))) > 5
    assert ids(body(client.get("/fhir/Observation?date=lt2026-01-10"))) == []


def test_search_encounters_conditions_consents_and_responses(api, nurse, record):
    client = api(nurse)
    episode = record["episode"]
    stays = record["stays"]
    contacts = [f"follow-up-contact-{c.pk}" for c in FollowUpContact.objects.filter(patient=record["patient"])]
    assert len(contacts) == 2  # the unanswered call and the call that reached the patient, after discharge
    assert sorted(ids(body(client.get("/fhir/Encounter")))) == sorted([f"stay-{s.pk}" for s in stays] + contacts)
    assert ids(body(client.get("/fhir/EpisodeOfCare"))) == [f"episode-{episode.pk}"]
    findings = ids(body(client.get("/fhir/Condition?code=injection_site_infection")))
    assert len(findings) == 1 and findings[0].endswith("-injection-site-infection")
    assert len(ids(body(client.get("/fhir/Condition")))) == 3  # two screen findings, one plan diagnosis
    (diagnosis,) = body(client.get("/fhir/Condition?code=http://hl7.org/fhir/sid/icd-10-cm|F11.20"))["entry"]
    assert diagnosis["resource"]["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert ids(body(client.get("/fhir/Condition?code=F11.23"))) == []  # cited by no problem
    assert ids(body(client.get("/fhir/Consent"))) == [f"consent-{record['consent'].pk}"]
    responses = body(client.get("/fhir/QuestionnaireResponse?authored=2026-01-10"))
    assert {e["resource"]["questionnaire"].split("|")[0].rsplit("/", 1)[1] for e in responses["entry"]} == {
        "cows",
        "sows-handelsman",
        "sows-gossop",
        "craving-nrs",
        "ciwa-ar",
    }
    assert ids(body(client.get("/fhir/Questionnaire?_id=cows"))) == ["cows"]


def test_search_plans_medication_and_drug_screens(api, nurse, record):
    client = api(nurse)
    patient = record["patient"]
    plans = [e["resource"] for e in body(client.get(f"/fhir/CarePlan?patient={patient.pk}"))["entry"]]
    assert [(p["title"], p["status"]) for p in plans] == [
        ("Treatment plan, version 1", "revoked"),
        ("Treatment plan, version 2", "active"),
        ("Treatment plan, version 3", "draft"),
        ("Continuing-care plan at discharge", "active"),  # the follow-up of day 30 is to do
    ]
    assert plans[1]["replaces"] == [{"reference": f"CarePlan/{plans[0]['id']}"}]
    assert plans[0]["contributor"] == [{"reference": f"Patient/{patient.pk}"}]  # acknowledged by the patient
    diagnosis = plans[1]["contained"][0]["code"]["coding"]
    assert diagnosis == [
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "F11.20", "display": "Opioid dependence, uncomplicated"}
    ]
    goals = [c for c in plans[1]["contained"] if c["resourceType"] == "Goal"]
    assert goals[0]["description"]["text"] == "Stop waking up sick every morning"
    assert {a["detail"]["code"]["coding"][0]["code"] for a in plans[1]["activity"]} >= {"family_therapy", "moud"}

    authored = [e["resource"] for e in body(client.get("/fhir/MedicationRequest?authoredon=2026-01-12"))["entry"]]
    # the buprenorphine order (the methadone order after it is the dosing window's;
    # comfort orders: test_comfort_medications.py)
    moud = [o for o in authored if o["id"].startswith("moud-")]
    (order,) = [o for o in moud if o["medicationCodeableConcept"]["coding"][0]["code"] == "buprenorphine_naloxone"]

    def of_order(entries):
        return [e for e in entries if e["resource"]["request"]["reference"] == f"MedicationRequest/{order['id']}"]

    assert order["status"] == "stopped" and order["statusReason"]["text"] == "switched to methadone"
    assert order["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 8
    doses = [e["resource"] for e in of_order(body(client.get("/fhir/MedicationAdministration"))["entry"])]
    assert [(d["status"], d.get("dosage", {}).get("dose", {}).get("value")) for d in doses] == [
        ("completed", 8),
        ("not-done", None),
        ("entered-in-error", None),
    ]
    assert doses[1]["statusReason"][0]["text"] == "Held: sedated at the morning check"
    assert all(d["request"] == {"reference": f"MedicationRequest/{order['id']}"} for d in doses)
    evening = of_order(body(client.get("/fhir/MedicationAdministration?effective-time=ge2026-01-11"))["entry"])
    assert [e["resource"]["status"] for e in evening] == ["entered-in-error"]  # the missed dose, 2026-01-11 04:00

    screens = body(client.get(f"/fhir/Observation?patient={patient.pk}&code=urine-drug-screen"))["entry"]
    screen = screens[0]["resource"]
    results = {
        c["code"]["coding"][0]["code"]: c.get("interpretation", [{}])[0].get("text") for c in screen["component"]
    }
    assert results["buprenorphine"].startswith("Expected positive")
    assert results["fentanyl"].startswith("Unexpected positive")
    assert results["opiates"] is None  # not tested: a data-absent reason, no interpretation
    assert screen["method"]["text"] == "Observed collection"
    read = body(client.get(f"/fhir/Observation/{screen['id']}"))
    assert read["id"] == screen["id"] and read["component"] == screen["component"]
    assert client.get(f"/fhir/CarePlan/{plans[0]['id']}").status_code == 200
    assert client.get("/fhir/CarePlan/plan-999999").status_code == 404


def test_keyset_paging_walks_every_resource_once_with_an_opaque_cursor(api, nurse, record):
    client = api(nurse)
    everything = ids(body(client.get("/fhir/Observation?_count=500")))
    seen, url, pages = [], "/fhir/Observation?_count=3", 0
    while url:
        bundle = body(client.get(url))
        assert "total" not in bundle
        assert len(ids(bundle)) <= 3
        seen += ids(bundle)
        pages += 1
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
        assert url is None or "_cursor=" in url and "offset" not in url
    assert seen == everything and len(seen) == len(set(seen)) and pages == -(-len(seen) // 3)


def test_a_read_by_id_of_an_amended_assessment_gives_the_version_in_force(api, nurse, record):
    first = record["amended"].replaces_id
    resource = body(api(nurse).get(f"/fhir/Observation/cows-{first}"))
    assert resource["meta"]["versionId"] == "2" and resource["valueInteger"] == record["amended"].total


def test_entered_in_error_assessments_say_so(api, nurse, record):
    statuses = {e["resource"]["status"] for e in body(api(nurse).get("/fhir/Observation?code=craving-nrs"))["entry"]}
    assert statuses == {"final", "entered-in-error"}


def test_errors_are_operation_outcomes(api, nurse, record, client):
    nurse_client = api(nurse)
    assert "nickname" in issue(nurse_client.get("/fhir/Patient?nickname=Mia"), 400, "not-supported")
    assert "_count" in issue(nurse_client.get("/fhir/Patient?_count=0"), 400, "invalid")
    assert "date" in issue(nurse_client.get("/fhir/Observation?date=12/01/2026"), 400, "invalid")
    assert "time zone" in issue(nurse_client.get("/fhir/Observation?date=2026-01-10T10:00"), 400, "invalid")
    assert "prefix" in issue(nurse_client.get("/fhir/Observation?date=ne2026-01-10"), 400, "not-supported")
    assert "patient" in issue(nurse_client.get("/fhir/Observation?patient=Maria"), 400, "invalid")
    assert "cursor" in issue(nurse_client.get("/fhir/Observation?_cursor=forged"), 400, "invalid")
    assert "Immunization" in issue(nurse_client.get("/fhir/Immunization"), 404, "not-found")
    issue(nurse_client.get("/fhir/Patient/999999"), 404, "not-found")
    issue(nurse_client.post("/fhir/Patient", {}, format="json"), 405, "not-supported")
    issue(nurse_client.get("/fhir/Patient", HTTP_ACCEPT="application/xml"), 406, "not-supported")
    response = client.get("/fhir/Patient")
    issue(response, 401, "login")
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_cursor_cannot_be_replayed_on_another_search(api, nurse, record):
    client = api(nurse)
    bundle = body(client.get("/fhir/Observation?_count=2"))
    cursor = next(link["url"] for link in bundle["link"] if link["relation"] == "next").split("_cursor=")[1]
    assert "another search" in issue(
        client.get(f"/fhir/Observation?_count=2&code=cows&_cursor={cursor}"), 400, "invalid"
    )


def test_another_program_or_team_finds_nothing(api, north_nurse, counselor_off_team, privacy_officer, record):
    patient = record["patient"]
    for user in (north_nurse, counselor_off_team):
        issue(api(user).get(f"/fhir/Patient/{patient.pk}"), 404, "not-found")
        assert ids(body(api(user).get("/fhir/Observation"))) == []
        assert ids(body(api(user).get(f"/fhir/Encounter?patient={patient.pk}"))) == []
    issue(api(privacy_officer).get("/fhir/Patient"), 403, "forbidden")


def test_the_fhir_pages_do_not_change_anything(api, nurse, record):
    client = api(nurse)
    before = {action for action in AuditEvent.objects.values_list("action", flat=True)}
    client.get("/fhir/Observation")
    after = set(AuditEvent.objects.values_list("action", flat=True))
    assert after - before <= {"fhir.read"}


def test_search_by_id_and_last_updated(api, nurse, record):
    client = api(nurse)
    episode = record["episode"]
    wanted = sorted([f"stay-{s.pk}" for s in record["stays"]])
    assert sorted(ids(body(client.get(f"/fhir/Encounter?_id={','.join(wanted)},episode-{episode.pk}")))) == wanted
    assert ids(body(client.get(f"/fhir/EpisodeOfCare?_id=episode-{episode.pk}"))) == [f"episode-{episode.pk}"]
    assert ids(body(client.get("/fhir/EpisodeOfCare?_id=episode-999999"))) == []
    # assessments (11 Observations), drug screens (2) and the stock count were last updated 2026-01-12T09:30Z
    # (conftest.RECORDED)
    assert len(ids(body(client.get("/fhir/Observation?_lastUpdated=2026-01-12")))) == 15  # + follow-up findings
    assert ids(body(client.get("/fhir/Observation?_lastUpdated=gt2026-01-12T09:30:00Z"))) == []
    assert len(ids(body(client.get("/fhir/Observation?_lastUpdated=ge2026-01-12T09:30:00Z")))) == 15
    assert ids(body(client.get("/fhir/Observation?_lastUpdated=lt2026-01-12T09:30:00%2B00:00"))) == []
    assert ids(body(client.get(f"/fhir/Patient?_lastUpdated=le2026-01&_id={record['patient'].pk}"))) == [
        str(record["patient"].pk)
    ]
