"""The one timeline writer and the one episode lookup every clinical service uses (waypoint/patients/recording.py)."""

from datetime import timedelta

from waypoint.patients.models import TimelineEntry
from waypoint.patients.recording import episode_at, write_timeline


def test_a_timeline_line_longer_than_300_characters_is_cut_with_an_ellipsis(patient, nurse, admitted):
    write_timeline(patient, "note", "x" * 400, at=admitted.admitted_at, by=nurse)
    line = TimelineEntry.objects.get(kind="note").summary
    assert len(line) == 300 and line.endswith("x…")


def test_a_timeline_line_of_300_characters_is_kept_whole(patient, nurse, admitted):
    write_timeline(patient, "note", "y" * 300, at=admitted.admitted_at, by=nurse, episode=admitted)
    entry = TimelineEntry.objects.get(kind="note")
    assert (entry.summary, entry.episode, entry.program_id) == ("y" * 300, admitted, patient.program_id)


def test_a_record_belongs_to_the_episode_the_patient_was_in_at_its_time(patient, admitted):
    assert episode_at(patient, admitted.admitted_at) == admitted
    assert episode_at(patient, admitted.admitted_at + timedelta(days=3)) == admitted  # still in care
    assert episode_at(patient, admitted.admitted_at - timedelta(minutes=1)) is None
