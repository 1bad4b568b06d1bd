"""Refused access is in the audit trail (HIPAA 164.312(b); issue 23, issue 24 item 8): every 403, every 404 of the
application's URLs for a signed-in user (another program's or team's patient), refused disclosures and denied
break-the-glass attempts, each as one denied event naming who, what and why."""

from waypoint.privacy.models import AuditEvent

REASON = "Found unresponsive in the day room, need allergies and medications now"


def denied():
    return AuditEvent.objects.filter(outcome="denied")


def test_ten_attempts_on_another_programs_chart_leave_ten_denied_events(page, north_nurse, patient):
    client = page(north_nurse)
    for _ in range(10):
        assert client.get(patient.get_absolute_url()).status_code == 404
    events = denied().filter(action="access.denied")
    assert events.count() == 10
    event = events.last()
    assert event.actor == north_nurse and event.program_id == north_nurse.memberships.get().program_id
    assert event.detail["url"] == patient.get_absolute_url() and event.detail["status"] == 404
    assert event.detail["patient_requested"] == patient.pk


def test_an_api_refusal_outside_the_care_team_is_recorded(api, counselor_off_team, patient):
    assert api(counselor_off_team).get(f"/api/v1/patients/{patient.pk}/").status_code == 404
    event = denied().get(action="access.denied")
    assert (event.actor, event.channel, event.detail["status"]) == (counselor_off_team, "api", 404)
    assert event.program_id == patient.program_id  # on the privacy officer's page of the counselor's program


def test_a_403_is_recorded_with_the_reason_given(page, privacy_officer, patient):
    response = page(privacy_officer).post("/emergency-access/", {"mrn": patient.mrn, "reason": REASON})
    assert response.status_code == 403
    event = denied().get()
    assert event.action == "access.denied" and event.actor == privacy_officer
    assert "patient.chart:emergency" in event.detail["reason"] and event.detail["method"] == "POST"


def test_a_break_the_glass_attempt_without_a_known_mrn_is_recorded_as_denied(page, counselor_off_team, patient):
    response = page(counselor_off_team).post("/emergency-access/", {"mrn": "W-404", "reason": REASON})
    assert response.status_code == 200
    event = denied().get()
    assert (event.action, event.actor, event.detail["mrn"]) == ("chart.break_glass", counselor_off_team, "W-404")
    assert "MRN" in event.detail["why"]


def test_a_refused_disclosure_is_recorded_with_what_was_missing(page, nurse, patient):
    response = page(nurse).post(
        f"/patients/{patient.pk}/disclose/",
        {"recipient": "County court", "purpose": "treatment", "information": ["demographics"]},
    )
    assert response.status_code == 200 and b"No active consent" in response.content
    event = denied().get()
    assert (event.action, event.patient_id, event.detail["recipient"]) == (
        "disclosure.create",
        patient.pk,
        "County court",
    )
    assert "No active consent" in event.detail["why"]


def test_one_request_leaves_one_denied_event_however_many_checks_refused_it(page, north_nurse, patient):
    page(north_nurse).get(f"/patients/{patient.pk}/withdrawal/")
    assert denied().count() == 1


def test_an_anonymous_visitor_sent_to_sign_in_writes_nothing(client, patient):
    before = AuditEvent.objects.count()
    assert client.get(patient.get_absolute_url()).status_code == 302
    assert AuditEvent.objects.count() == before
