"""The pages and the API call the same services with the same rules and scope."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from waypoint.screening.models import FollowUp, History
from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS


def local(dt, program):
    return timezone.localtime(dt, timezone=program.tz).strftime("%Y-%m-%dT%H:%M")


def test_the_history_page_records_and_shows_route_errors_beside_the_row(patient, nurse, page):
    client = page(nurse)
    url = reverse("screening:history", args=[patient.pk])
    response = client.post(
        url,
        {
            "alcohol_used": "on",
            "alcohol_frequency": "daily",
            "heroin_used": "on",
            "heroin_routes": ["injection"],
            "heroin_frequency": "daily",
            "fentanyl_xylazine": "suspected",
            "prior_overdoses": "0",
            "heroin_last_use": local(timezone.now() + timedelta(days=2), patient.program),
        },
    )
    assert response.status_code == 200
    assert "The last use cannot be in the future." in response.content.decode()
    response = client.post(
        url,
        {
            "heroin_used": "on",
            "heroin_routes": ["injection"],
            "heroin_frequency": "daily",
            "fentanyl_xylazine": "suspected",
            "prior_overdoses": "1",
            "uses_alone": "on",
        },
    )
    assert response.status_code == 302
    assert History.objects.get(patient=patient).uses.get().routes == ["injection"]


def test_the_screen_page_records_and_the_chart_lists_open_follow_ups(patient, nurse, page):
    client = page(nurse)
    data = {"taken_at": local(timezone.now() - timedelta(minutes=5), patient.program)}
    data.update({key: "absent" for key in HEROIN_COMPLICATIONS.keys})
    data["lung_problems"] = "present"
    response = client.post(reverse("screening:screen", args=[patient.pk]), data)
    assert response.status_code == 302
    chart = client.get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert "Pulmonary evaluation" in chart and "Overdose risk" in chart
    worklist = client.get(reverse("screening:worklist")).content.decode()
    assert "Sleep evaluation" in worklist


def test_the_api_records_a_history_and_names_the_bad_row(patient, nurse, api):
    url = f"/api/v1/patients/{patient.pk}/history/"
    response = api(nurse).post(url, {"uses": [{"substance": "alcohol", "routes": ["smoking"]}]}, format="json")
    assert response.status_code == 400 and "uses.0.routes" in response.json()
    response = api(nurse).post(
        url, {"uses": [{"substance": "heroin", "routes": ["injection"]}], "colour": 1}, format="json"
    )
    assert response.status_code == 400 and response.json()["colour"] == ["Unknown field."]
    response = api(nurse).post(
        url, {"uses": [{"substance": "heroin", "routes": ["injection"]}], "uses_alone": True}, format="json"
    )
    assert response.status_code == 201


def test_the_api_screen_follow_up_risk_naloxone_and_events(admitted, patient, nurse, api):
    client = api(nurse)
    base = f"/api/v1/patients/{patient.pk}"
    answers = dict.fromkeys(HEROIN_COMPLICATIONS.keys, "absent")
    answers["liver_disease"] = {"status": "present", "since": "2024-01-01", "note": ""}
    response = client.post(
        f"{base}/screens/", {"taken_at": timezone.now().isoformat(), "answers": answers}, format="json"
    )
    assert response.status_code == 201, response.json()
    follow_ups = client.get(f"{base}/follow-ups/").json()
    assert {f["code"] for f in follow_ups} == {"liver_panel", "hepatitis_b_test", "hepatitis_c_test"}
    item = FollowUp.objects.get(patient=patient, code="liver_panel")
    response = client.post(f"{base}/follow-ups/{item.pk}/", {"status": "done"}, format="json")
    assert response.status_code == 400 and "result" in response.json()
    risk = client.get(f"{base}/overdose-risk/").json()
    assert risk["level"] == "elevated" and risk["factors"][0]["key"] == "major_illness"
    assert "score" not in risk
    response = client.post(
        f"{base}/naloxone/", {"record": "kit", "given_at": timezone.now().isoformat()}, format="json"
    )
    assert response.status_code == 400 and set(response.json()) >= {"dispensed_at", "given_at"}
    assert client.get(f"{base}/naloxone/").json()["missing_for_transition"] == []
    response = client.post(
        f"{base}/events/",
        {
            "kind": "return_to_use",
            "occurred_at": timezone.now().isoformat(),
            "substance": "heroin",
            "how_known": "urine test",
        },
        format="json",
    )
    assert response.status_code == 201 and response.json()["during_care"] is True


def test_the_discharge_page_shows_what_is_missing(patient, nurse, page):
    from waypoint.patients import services as patients

    episode = patients.admit(
        acting_user=nurse, patient=patient, admitted_at=timezone.now() - timedelta(days=2), level_code="3.7-WM"
    )
    response = page(nurse).post(
        reverse("patients:discharge", args=[patient.pk, episode.pk]),
        {"discharged_at": local(timezone.now(), patient.program), "reason": "completed"},
    )
    assert response.status_code == 200
    assert "record a naloxone kit dispensed" in response.content.decode()


def test_a_nurse_of_another_program_gets_404_on_every_screening_api(patient, north_nurse, api):
    for suffix in ("history/", "screens/", "follow-ups/", "overdose-risk/", "naloxone/", "events/"):
        assert api(north_nurse).get(f"/api/v1/patients/{patient.pk}/{suffix}").status_code == 404


def test_after_withdrawal_management_the_chart_and_discharge_screen_say_reduced_tolerance(
    admitted, patient, nurse, page
):
    from waypoint.patients import services as patients

    patients.transfer(
        acting_user=nurse,
        episode=admitted,
        at=timezone.now() - timedelta(hours=1),
        level_code="2.1",
        reason="withdrawal complete",
    )
    client = page(nurse)
    for url in (
        reverse("patients:chart", args=[patient.pk]),
        reverse("patients:discharge", args=[patient.pk, admitted.pk]),
    ):
        assert "High overdose risk: reduced tolerance" in client.get(url).content.decode()
