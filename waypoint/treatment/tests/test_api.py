"""The treatment API: the same rules as the pages (stale versions 409, errors keyed by field), and access."""

from datetime import timedelta

from django.utils import timezone

from waypoint.treatment import services

from .conftest import body


def plans_url(patient, suffix=""):
    return f"/api/v1/patients/{patient.pk}/plans/{suffix}"


def test_a_plan_is_started_drafted_signed_and_amended_over_the_api(api, counselor, patient, admitted, template):
    client = api(counselor)
    started = client.post(plans_url(patient), {"template": template.pk, "responsible": counselor.pk}, format="json")
    assert started.status_code == 201 and started.json()["template_name"] == "Residential"
    plan = started.json()
    put = client.put(
        plans_url(patient, f"{plan['id']}/"), {"body": body(counselor), "revision": plan["revision"]}, format="json"
    )
    assert put.status_code == 200 and put.json()["revision"] == 2
    stale = client.put(plans_url(patient, f"{plan['id']}/"), {"body": body(counselor), "revision": 1}, format="json")
    assert stale.status_code == 409 and "revision 2" in stale.json()["version"][0]
    signed = client.post(plans_url(patient, f"{plan['id']}/sign/"), {"revision": 2}, format="json")
    assert signed.status_code == 200 and signed.json()["status"] == "signed"
    edit = client.put(plans_url(patient, f"{plan['id']}/"), {"body": body(counselor), "revision": 2}, format="json")
    assert edit.status_code == 409 and "never edited" in edit.json()["version"][0]
    amended = client.post(
        plans_url(patient, f"{plan['id']}/amend/"), {"version": 1, "reason": "step-down"}, format="json"
    )
    assert amended.status_code == 201 and amended.json()["version"] == 2
    again = client.post(plans_url(patient, f"{plan['id']}/amend/"), {"version": 1, "reason": "again"}, format="json")
    assert again.status_code == 409
    added = client.post(
        plans_url(patient, f"{amended.json()['id']}/interventions/"),
        {"problem": "p1", "modality": "art", "frequency": "weekly", "responsible": counselor.pk, "revision": 1},
        format="json",
    )
    assert added.status_code == 201
    listed = client.get(plans_url(patient, f"{amended.json()['id']}/interventions/")).json()["results"]
    assert [i["modality_label"] for i in listed] == ["Relapse prevention", "Individual therapy", "Art"]


def test_the_api_names_the_offending_fields(api, counselor, patient, admitted):
    client = api(counselor)
    plan = client.post(plans_url(patient), {}, format="json").json()
    bad = body(counselor)
    bad["problems"][0]["diagnosis"] = "F99"
    bad["problems"][0]["colour"] = "red"
    response = client.put(plans_url(patient, f"{plan['id']}/"), {"body": bad, "revision": 1, "extra": 1}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"extra"}  # unknown input field first
    response = client.put(plans_url(patient, f"{plan['id']}/"), {"body": bad, "revision": 1}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"problems.0.diagnosis", "problems.0.colour"}


def test_attendance_errors_name_the_patient_or_the_session(api, counselor, program, patient, admitted):
    client = api(counselor)

    def schedule(start):
        created = client.post(
            "/api/v1/sessions/",
            {
                "kind": "group",
                "modality": "mindfulness",
                "topic": "Body scan",
                "facilitator": counselor.pk,
                "room": "Garden",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
            },
            format="json",
        )
        assert created.status_code == 201
        return created.json()["id"]

    started = schedule(timezone.now() - timedelta(minutes=10))
    not_rostered = client.post(
        f"/api/v1/sessions/{started}/attendance/", {"patient": patient.pk, "status": "present"}, format="json"
    )
    assert not_rostered.status_code == 400 and list(not_rostered.json()) == ["patient"]
    assert "not on this session's roster" in not_rostered.json()["patient"][0]
    later = schedule(timezone.now() + timedelta(hours=2))
    assert client.post(f"/api/v1/sessions/{later}/roster/", {"patient": patient.pk}, format="json").status_code == 201
    early = client.post(
        f"/api/v1/sessions/{later}/attendance/", {"patient": patient.pk, "status": "present"}, format="json"
    )
    assert early.status_code == 400 and list(early.json()) == ["session"]
    assert "has not started yet" in early.json()["session"][0]


def test_another_programs_nurse_sees_neither_plans_nor_sessions(
    api, north_nurse, counselor, program, patient, admitted, signed_plan
):
    session = services.schedule_session(
        acting_user=counselor,
        program=program,
        kind="individual",
        modality="individual_therapy",
        topic="Check-in",
        facilitator=counselor,
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=1),
        patient=patient,
    )
    client = api(north_nurse)
    assert client.get(plans_url(patient)).status_code == 404
    assert client.get(f"/api/v1/sessions/{session.pk}/").status_code == 404
    assert client.get("/api/v1/sessions/?program=harbor").status_code == 404


def test_a_session_shows_only_the_roster_patients_the_reader_may_see(
    api, counselor, counselor_off_team, program, patient, admitted
):
    session = services.schedule_session(
        acting_user=counselor,
        program=program,
        kind="group",
        modality="art",
        topic="Masks",
        facilitator=counselor,
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=1),
    )
    services.add_to_roster(acting_user=counselor, session=session, patient=patient)
    assert api(counselor).get(f"/api/v1/sessions/{session.pk}/").json()["roster"] == [
        {"patient": patient.pk, "attendance": None}
    ]
    other = api(counselor_off_team).get(f"/api/v1/sessions/{session.pk}/").json()
    assert other["roster"] == [] and other["hidden"] == 1


def test_counseling_notes_over_the_api_reach_only_their_readers(api, counselor, nurse, patient, admitted):
    url = f"/api/v1/patients/{patient.pk}/counseling-notes/"
    created = api(counselor).post(url, {"body": "Grief work", "occurred_at": timezone.now().isoformat()}, format="json")
    assert created.status_code == 201
    assert [n["body"] for n in api(counselor).get(url).json()["results"]] == ["Grief work"]
    assert api(nurse).get(url).status_code == 403
    assert (
        api(nurse).post(url, {"body": "x", "occurred_at": timezone.now().isoformat()}, format="json").status_code == 403
    )
    progress = api(nurse).get(f"/api/v1/patients/{patient.pk}/progress-notes/").json()["results"]
    assert progress == []  # counseling notes are not progress notes


def test_objective_status_over_the_api(api, counselor, patient, signed_plan):
    services.write_progress_note(
        acting_user=counselor,
        patient=patient,
        body="b",
        occurred_at=timezone.now() - timedelta(hours=1),
        objective_updates=[{"objective": "o2", "status": "in_progress"}],
    )
    data = api(counselor).get(f"/api/v1/patients/{patient.pk}/objective-status/").json()
    assert data["version"] == 1 and data["counts"] == {"not_started": 1, "in_progress": 1}
