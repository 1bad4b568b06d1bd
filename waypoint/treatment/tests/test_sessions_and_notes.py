"""Sessions: scheduling, roster, the attendance rules, the group note's fan-out to each attendee's chart, progress
notes on plan objectives, and SUD counseling notes kept apart from the chart."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import make_user, patient_fields
from waypoint.accounts.models import Role
from waypoint.patients import services as patients
from waypoint.patients.models import TimelineEntry
from waypoint.privacy import services as privacy
from waypoint.treatment import services
from waypoint.treatment.models import Attendance, GroupNoteEntry
from waypoint.treatment.outcomes import plan_objective_status

from .conftest import hours_ago


def group(counselor, program, *, start=None, modality="relapse_prevention"):
    start = start or hours_ago(2)
    return services.schedule_session(
        acting_user=counselor,
        program=program,
        kind="group",
        modality=modality,
        topic="Triggers and cravings",
        facilitator=counselor,
        room="Group room B",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )


@pytest.fixture
def second(program, team, nurse):
    person = patients.register_patient(
        acting_user=nurse,
        program=program,
        care_team=team,
        **patient_fields(mrn="W-1002", given_name="James", family_name="Okoro"),
    )
    patients.admit(acting_user=nurse, patient=person, admitted_at=timezone.now() - timedelta(days=1), level_code="3.5")
    return person


def test_a_session_needs_a_program_modality_a_facilitator_and_an_end_after_its_start(counselor, program, intake):
    start = hours_ago(1)
    with pytest.raises(ValidationError) as caught:
        services.schedule_session(
            acting_user=counselor,
            program=program,
            kind="group",
            modality="reiki",
            topic="",
            facilitator=intake,
            starts_at=start,
            ends_at=start,
        )
    assert set(caught.value.message_dict) == {"modality", "topic", "facilitator", "ends_at"}


def test_attendance_for_a_patient_not_on_the_roster_is_refused_naming_the_patient(
    counselor, program, admitted, patient, second
):
    session = group(counselor, program)
    services.add_to_roster(acting_user=counselor, session=session, patient=second)
    with pytest.raises(ValidationError) as caught:
        services.mark_attendance(acting_user=counselor, session=session, patient=patient, status="present")
    assert list(caught.value.message_dict) == ["patient"]
    assert "Maria Rivera is not on this session's roster" in caught.value.message_dict["patient"][0]
    assert not Attendance.objects.exists()


def test_attendance_before_the_session_starts_is_refused_naming_the_session(counselor, program, admitted, patient):
    session = group(counselor, program, start=timezone.now() + timedelta(hours=3))
    services.add_to_roster(acting_user=counselor, session=session, patient=patient)
    with pytest.raises(ValidationError) as caught:
        services.mark_attendance(acting_user=counselor, session=session, patient=patient, status="present")
    assert list(caught.value.message_dict) == ["session"]
    assert "has not started yet" in caught.value.message_dict["session"][0]
    mark = services.mark_attendance(
        acting_user=counselor, session=session, patient=patient, status="late", now=session.starts_at
    )  # from its start on
    assert mark.status == "late"


def test_an_unknown_status_is_refused_and_a_change_of_mark_is_kept_in_the_timeline(
    counselor, program, admitted, patient
):
    session = group(counselor, program)
    services.add_to_roster(acting_user=counselor, session=session, patient=patient)
    with pytest.raises(ValidationError) as caught:
        services.mark_attendance(acting_user=counselor, session=session, patient=patient, status="asleep")
    assert list(caught.value.message_dict) == ["status"]
    services.mark_attendance(acting_user=counselor, session=session, patient=patient, status="absent_unexcused")
    services.mark_attendance(acting_user=counselor, session=session, patient=patient, status="late")
    assert Attendance.objects.get().status == "late"
    lines = list(
        TimelineEntry.objects.filter(patient=patient, kind="session.attendance")
        .order_by("id")
        .values_list("summary", flat=True)
    )
    assert lines[-1].endswith("attendance corrected from Absent, unexcused to Late")


def test_a_patient_out_of_care_cannot_join_a_roster(counselor, program, patient):
    session = group(counselor, program)
    with pytest.raises(ValidationError) as caught:
        services.add_to_roster(acting_user=counselor, session=session, patient=patient)
    assert "not in care" in caught.value.message_dict["patient"][0]


def test_the_group_note_lands_in_each_attendees_chart_with_their_own_part_only(
    counselor, program, admitted, patient, second, page
):
    session = group(counselor, program)
    for person in (patient, second):
        services.add_to_roster(acting_user=counselor, session=session, patient=person)
    services.mark_attendance(acting_user=counselor, session=session, patient=patient, status="present")
    with pytest.raises(ValidationError) as caught:  # every rostered patient's attendance first
        services.write_group_note(
            acting_user=counselor,
            session=session,
            body="Group on triggers",
            entries={patient.pk: "Named stress at work as a trigger"},
        )
    assert "Mark attendance first for James Okoro." in caught.value.message_dict["attendance"][0]
    services.mark_attendance(acting_user=counselor, session=session, patient=second, status="left_early")
    with pytest.raises(ValidationError) as caught:  # each attendee needs a part
        services.write_group_note(
            acting_user=counselor,
            session=session,
            body="Group on triggers",
            entries={patient.pk: "Named stress at work as a trigger"},
        )
    assert list(caught.value.message_dict) == [f"entries.{second.pk}"]
    services.write_group_note(
        acting_user=counselor,
        session=session,
        body="The group mapped triggers.",
        entries={patient.pk: "Named stress at work as a trigger", second.pk: "Left after 20 minutes for a court call"},
    )
    assert GroupNoteEntry.objects.count() == 2
    maria = page(counselor).get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert "Named stress at work as a trigger" in maria and "court call" not in maria
    james = page(counselor).get(reverse("patients:chart", args=[second.pk])).content.decode()
    assert "court call" in james and "stress at work" not in james
    with pytest.raises(ValidationError):  # written once
        services.write_group_note(acting_user=counselor, session=session, body="again", entries={})


def test_an_absent_patient_gets_no_individualized_part(counselor, program, admitted, patient):
    session = group(counselor, program)
    services.add_to_roster(acting_user=counselor, session=session, patient=patient)
    services.mark_attendance(acting_user=counselor, session=session, patient=patient, status="absent_excused")
    with pytest.raises(ValidationError) as caught:
        services.write_group_note(acting_user=counselor, session=session, body="Group", entries={patient.pk: "x"})
    assert list(caught.value.message_dict) == [f"entries.{patient.pk}"]


def test_progress_notes_report_on_the_signed_plans_objectives(signed_plan, counselor, patient):
    with pytest.raises(ValidationError) as caught:
        services.write_progress_note(
            acting_user=counselor,
            patient=patient,
            body="Session",
            occurred_at=hours_ago(1),
            objective_updates=[{"objective": "nope", "status": "met"}, {"objective": "o1", "status": "done-ish"}],
        )
    assert set(caught.value.message_dict) == {"objective_updates.0.objective", "objective_updates.1.status"}
    services.write_progress_note(
        acting_user=counselor,
        patient=patient,
        body="Went to 4 groups",
        occurred_at=hours_ago(2),
        objective_updates=[{"objective": "o1", "status": "met"}],
    )
    status = plan_objective_status(patient)
    assert [(o["id"], o["status"]) for o in status["objectives"]] == [("o1", "met"), ("o2", "not_started")]


def test_counseling_notes_stay_out_of_the_chart_and_timeline_and_reach_only_their_readers(
    signed_plan, counselor, nurse, patient, program, team, page, intake, counselor_off_team
):
    note = services.write_counseling_note(
        acting_user=counselor,
        patient=patient,
        body="Processing grief about her brother's overdose",
        occurred_at=hours_ago(1),
    )
    assert not TimelineEntry.objects.filter(patient=patient, summary__icontains="grief").exists()
    chart = page(counselor).get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert "grief" not in chart and "Counseling notes" in chart
    assert "Counseling notes" not in page(nurse).get(reverse("patients:chart", args=[patient.pk])).content.decode()
    url = reverse("treatment:counseling-notes", args=[patient.pk])
    assert "grief" in page(counselor).get(url).content.decode()
    assert page(nurse).get(url).status_code == 403  # nurses neither keep nor read them
    assert page(intake).get(url).status_code == 403
    other = make_user("team-prescriber", program, Role.PRESCRIBER, team)  # writes own notes, reads no one else's
    assert "grief" not in page(other).get(url).content.decode()
    teammate = make_user("team-counselor-2", program, Role.COUNSELOR, team)
    assert "grief" in page(teammate).get(url).content.decode()
    privacy.break_the_glass(
        acting_user=counselor_off_team, program=program, mrn=patient.mrn, reason="Patient in crisis, need the chart now"
    )
    assert "grief" not in page(counselor_off_team).get(url).content.decode()  # emergency access: not these notes
    with pytest.raises(PermissionDenied):
        services.write_counseling_note(acting_user=nurse, patient=patient, body="x", occurred_at=hours_ago(1))
    assert note.pk


def test_counseling_notes_are_disclosed_only_under_a_consent_naming_them(signed_plan, counselor, nurse, patient):
    privacy.record_consent(
        acting_user=nurse,
        patient=patient,
        disclosing_party="Harbor",
        information=["all_sud_records"],
        information_description="all records",
        recipients=["Dr. Chen"],
        purposes=["treatment"],
        expiry="none",
        signed_by="Maria Rivera",
        signed_on=patient.program.today(),
        right_to_revoke_explained=True,
    )
    with pytest.raises(ValidationError) as caught:
        privacy.disclose(
            acting_user=counselor,
            patient=patient,
            recipient="Dr. Chen",
            purpose="treatment",
            information=["counseling_notes"],
        )
    assert "counseling_notes" in caught.value.message_dict["consent"][0]


def test_the_disclosed_record_prints_counseling_notes_only_when_the_disclosure_names_them(
    counselor, nurse, patient, admitted, page
):
    services.write_counseling_note(
        acting_user=counselor, patient=patient, body="Processing grief", occurred_at=hours_ago(1)
    )
    for information in (["all_sud_records"], ["all_sud_records", "counseling_notes"]):
        privacy.record_consent(
            acting_user=nurse,
            patient=patient,
            disclosing_party="Harbor",
            information=information,
            information_description="records",
            recipients=["Dr. Chen"],
            purposes=["treatment"],
            expiry="none",
            signed_by="Maria Rivera",
            signed_on=patient.program.today(),
            right_to_revoke_explained=True,
        )
    url = reverse("privacy:disclose", args=[patient.pk])
    general = (
        page(nurse)
        .post(url, {"recipient": "Dr. Chen", "purpose": "treatment", "information": ["all_sud_records"]})
        .content.decode()
    )
    assert "Episodes of care" in general and "Processing grief" not in general
    refused = (
        page(nurse)
        .post(url, {"recipient": "Dr. Chen", "purpose": "treatment", "information": ["counseling_notes"]})
        .content.decode()
    )
    assert "neither keeps nor reads SUD counseling notes" in refused and "Processing grief" not in refused
    named = (
        page(counselor)
        .post(url, {"recipient": "Dr. Chen", "purpose": "treatment", "information": ["counseling_notes"]})
        .content.decode()
    )
    assert "Processing grief" in named and "42 CFR part 2 prohibits" in named


def test_an_individual_session_has_its_one_patient_and_a_progress_note_can_cite_it(
    counselor, program, admitted, patient, second
):
    start = hours_ago(1)
    session = services.schedule_session(
        acting_user=counselor,
        program=program,
        kind="individual",
        modality="motivational_interviewing",
        topic="Ambivalence about MOUD",
        facilitator=counselor,
        room="Office 3",
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        patient=patient,
    )
    with pytest.raises(ValidationError) as caught:
        services.add_to_roster(acting_user=counselor, session=session, patient=second)
    assert caught.value.message_dict["patient"] == ["An individual session has one patient."]
    with pytest.raises(ValidationError) as caught:
        services.write_progress_note(
            acting_user=counselor, patient=second, body="x", occurred_at=start, session=session
        )
    assert list(caught.value.message_dict) == ["session"]
    note = services.write_progress_note(
        acting_user=counselor, patient=patient, body="Weighed pros and cons", occurred_at=start, session=session
    )
    assert note.session == session
    with pytest.raises(ValidationError) as caught:
        services.write_group_note(acting_user=counselor, session=session, body="x", entries={})
    assert "progress note" in caught.value.message_dict["session"][0]


# --- the group part is copied into every attendee's chart: it names no patient ---------------------------------


def started_group_of(counselor, program, *patients_):
    session = group(counselor, program)
    for person in patients_:
        services.add_to_roster(acting_user=counselor, session=session, patient=person)
        services.mark_attendance(acting_user=counselor, session=session, patient=person, status="present")
    return session


@pytest.mark.parametrize(
    "shared",
    [
        "maria spoke first about her triggers.",  # a rostered patient's given name, any case
        "The group heard about the RIVERA family.",  # family name
        "Okoro and the others mapped triggers.",  # the other attendee's
        "Jess said little today.",  # a preferred name
        "We talked about Ines, who is in the hospital.",  # a patient of the program who is not on this roster
    ],
)
def test_a_group_part_naming_a_patient_is_refused_and_nothing_is_saved(
    shared, counselor, program, admitted, patient, second, nurse
):
    patient.preferred_name = "Jess"
    patient.save(update_fields=["preferred_name"])
    patients.register_patient(
        acting_user=nurse, program=program, **patient_fields(mrn="W-1003", given_name="Ines", family_name="Castillo")
    )
    session = started_group_of(counselor, program, patient, second)
    timeline_before = TimelineEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.write_group_note(
            acting_user=counselor,
            session=session,
            body=shared,
            entries={patient.pk: "Named stress at work", second.pk: "Quiet, engaged"},
        )
    assert list(caught.value.message_dict) == ["body"]
    assert "copied into every attendee's chart" in caught.value.message_dict["body"][0]
    assert not GroupNoteEntry.objects.exists() and TimelineEntry.objects.count() == timeline_before


def test_a_group_part_is_checked_by_whole_words_and_against_this_programs_patients_only(
    counselor, program, admitted, patient, north, north_nurse
):
    patients.register_patient(
        acting_user=north_nurse, program=north, **patient_fields(mrn="N-9", given_name="Nadia", family_name="Okonkwo")
    )
    session = started_group_of(counselor, program, patient)
    services.write_group_note(  # "Mariachi" and "Riverside" hold her names inside other words; Nadia is North's
        acting_user=counselor,
        session=session,
        body="Mariachi music at the Riverside park came up as a trigger; Nadia's song was played.",
        entries={patient.pk: "Maria named music as a trigger"},  # her own part may name her
    )
    assert GroupNoteEntry.objects.get().text == "Maria named music as a trigger"


def test_the_refusal_names_the_patient_only_to_a_writer_who_may_see_them(
    counselor, counselor_off_team, program, admitted, patient
):
    session = group(counselor_off_team, program)
    with pytest.raises(ValidationError) as caught:
        services.write_group_note(acting_user=counselor_off_team, session=session, body="Maria was missed.", entries={})
    message = caught.value.message_dict["body"][0]
    assert message.startswith("The group part names 1 patient outside your care teams:")
    assert "Maria" not in message and "Rivera" not in message
    with pytest.raises(ValidationError) as caught:
        services.write_group_note(acting_user=counselor, session=session, body="Maria was missed.", entries={})
    assert caught.value.message_dict["body"][0].startswith("The group part names Maria Rivera:")


# --- individual sessions follow the patient's chart access --------------------------------------------------------


def one_to_one(counselor, program, patient):
    start = hours_ago(2)
    return services.schedule_session(
        acting_user=counselor,
        program=program,
        kind="individual",
        modality="individual_therapy",
        topic="Her relapse last weekend",
        facilitator=counselor,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        patient=patient,
    )


def test_an_individual_session_is_found_only_by_those_who_may_open_its_patients_chart(
    counselor, counselor_off_team, director, program, admitted, patient, page, api
):
    session = one_to_one(counselor, program, patient)
    groups = group(counselor, program)
    for reader in (counselor, director):
        assert api(reader).get(f"/api/v1/sessions/{session.pk}/").status_code == 200
        assert page(reader).get(reverse("treatment:session", args=[session.pk])).status_code == 200
    assert api(counselor_off_team).get(f"/api/v1/sessions/{session.pk}/").status_code == 404
    assert page(counselor_off_team).get(reverse("treatment:session", args=[session.pk])).status_code == 404
    assert api(counselor_off_team).get(f"/api/v1/sessions/{groups.pk}/").status_code == 200  # a group: its roster
    # shows only the patients the reader may see


def test_the_schedule_shows_another_teams_individual_session_as_busy_only(
    counselor, counselor_off_team, program, admitted, patient, page, api
):
    session = one_to_one(counselor, program, patient)
    # The schedule's weeks are the program's (at 00:40 UTC on a Monday it is still Sunday in New York).
    week = timezone.localtime(session.starts_at, program.tz).date().isoformat()
    html = page(counselor_off_team).get(reverse("treatment:schedule"), {"week": week}).content.decode()
    assert "Busy" in html and "Her relapse last weekend" not in html and "Individual therapy" not in html
    start = (session.starts_at - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = api(counselor_off_team).get("/api/v1/sessions/", {"start": start}).json()["results"]
    assert rows == [{"id": None, "kind": "busy", "starts_at": rows[0]["starts_at"], "ends_at": rows[0]["ends_at"]}]
    own = page(counselor).get(reverse("treatment:schedule"), {"week": week}).content.decode()
    assert "Her relapse last weekend" in own
