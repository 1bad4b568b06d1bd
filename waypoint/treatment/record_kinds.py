"""The treatment area's kinds of clinical record (see waypoint/records/registry.py)."""

from typing import Any

from waypoint.records.registry import RecordKind, not_a_record, register

from .models import Attendance, CounselingNote, GroupNoteEntry, PlanReview, ProgressNote, TreatmentPlan
from .services import readable_counseling_notes

BODY = "waypoint.treatment.sections.treatment_body"
NOT_IN_FHIR = "no FHIR mapping is written for it yet"
NOT_SEEDED = "the seed's synthetic histories hold no treatment records yet: no generator is written for them"


def plans_of(patient, user):
    return TreatmentPlan.objects.filter(patient=patient).order_by("episode_id", "version", "pk")


def plan_row(plan: TreatmentPlan) -> dict:
    return {
        "version": plan.version,
        "status": plan.get_status_display(),
        "signed_at": plan.clinician_signed_at,
        "problems": "; ".join(
            problem["description"] + ": " + ", ".join(goal["text"] for goal in problem.get("goals", []))
            for problem in plan.body.get("problems", [])
        ),
        "change_reason": plan.change_reason,
    }


def reviews_of(patient, user):
    return (
        PlanReview.objects.filter(patient=patient).select_related("plan", "reviewed_by").order_by("reviewed_at", "pk")
    )


def review_row(review: PlanReview) -> dict:
    return {
        "reviewed_at": review.reviewed_at,
        "plan_version": review.plan.version,
        "reviewed_by": str(review.reviewed_by),
        "note": review.note,
    }


def attendance_of(patient, user):
    return Attendance.objects.filter(patient=patient).select_related("session").order_by("session__starts_at", "pk")


def attendance_row(attendance: Attendance) -> dict:
    return {
        "session": str(attendance.session),
        "status": attendance.get_status_display(),
    }


def group_parts_of(patient, user):
    return (
        GroupNoteEntry.objects.filter(patient=patient)
        .select_related("note__session", "note__written_by")
        .order_by("note__session__starts_at", "pk")
    )


def group_part_row(entry: GroupNoteEntry) -> dict:
    return {"session": str(entry.note.session), "text": entry.text, "written_by": str(entry.note.written_by)}


def progress_notes_of(patient, user):
    return ProgressNote.objects.filter(patient=patient).select_related("written_by").order_by("occurred_at", "pk")


def note_row(note: ProgressNote | CounselingNote) -> dict:
    return {"occurred_at": note.occurred_at, "written_by": str(note.written_by), "body": note.body}


def counseling_notes_of(patient, user):
    """Only the notes the disclosing user may read (their own; a care-team counselor: the team's)."""
    if user is None:
        return CounselingNote.objects.none()
    return readable_counseling_notes(user, patient).select_related("written_by").order_by("occurred_at", "pk")


NOTE_COLUMNS = (("occurred_at", "When"), ("written_by", "Written by"), ("body", "Note"))


def treatment_kind(key, title, model, rows, columns, render, *, position, **where) -> RecordKind:
    shown: dict[str, Any] = {
        "fhir_kinds": (),
        "chart_section": BODY,
        "not_seeded": NOT_SEEDED,
        "information_kind": "all_sud_records",
    }
    shown |= where
    if not shown["fhir_kinds"] and "not_in_fhir" not in shown:
        shown["not_in_fhir"] = NOT_IN_FHIR
    return register(
        RecordKind(
            key=key,
            title=title,
            model=f"treatment.{model.__name__}",
            program_field="program",
            patient_field="patient",
            part2=True,
            rows=rows,
            columns=columns,
            render=render,
            position=position,
            **shown,
        )
    )


treatment_kind(
    "treatment_plans",
    "Treatment plans (every version)",
    TreatmentPlan,
    plans_of,
    (
        ("version", "Version"),
        ("status", "Status"),
        ("signed_at", "Signed"),
        ("problems", "Problems and goals"),
        ("change_reason", "Why amended"),
    ),
    plan_row,
    fhir_kinds=("treatment-plan", "plan-diagnosis"),
    chart_section="waypoint.treatment.sections.plan_header",
    position=60,
)
treatment_kind(
    "plan_reviews",
    "Treatment plan reviews",
    PlanReview,
    reviews_of,
    (("reviewed_at", "Reviewed"), ("plan_version", "Plan version"), ("reviewed_by", "By"), ("note", "Note")),
    review_row,
    chart_section="waypoint.treatment.sections.plan_header",
    position=61,
)
treatment_kind(
    "session_attendance",
    "Sessions attended or missed",
    Attendance,
    attendance_of,
    (("session", "Session"), ("status", "Attendance")),
    attendance_row,
    chart_section="waypoint.treatment.sections.treatment_progress",
    position=62,
)
treatment_kind(
    "group_note_parts",
    "Group notes: the patient's individualized part",
    GroupNoteEntry,
    group_parts_of,
    (("session", "Session"), ("text", "Individualized note"), ("written_by", "Written by")),
    group_part_row,
    position=63,
)
treatment_kind(
    "progress_notes",
    "Progress notes",
    ProgressNote,
    progress_notes_of,
    NOTE_COLUMNS,
    note_row,
    position=64,
)
treatment_kind(
    "counseling_notes",
    "SUD counseling notes",
    CounselingNote,
    counseling_notes_of,
    NOTE_COLUMNS,
    note_row,
    information_kind="counseling_notes",  # never implied by "all SUD records": a consent must name them
    not_in_fhir=(
        "never released over FHIR: SUD counseling notes are disclosed only under a consent that names them, "
        "by their author or a care-team counselor, in print or through the API (privacy.services.disclose)"
    ),
    chart_section="",
    not_on_chart="kept apart from the chart and the timeline (42 CFR Part 2): their own page, for their readers only",
    position=90,
)
not_a_record("treatment.RosterEntry", "who is booked into a session: what happened is the attendance record")
