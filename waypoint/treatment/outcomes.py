"""Treatment figures for the outcomes dashboard and the progress page: pure queries, no writes.

The integrator wires them into the dashboard (issue 6); each function states its definition.
"""

from collections import defaultdict
from datetime import datetime
from typing import Any

from .models import OBJECTIVE_STATUS_LABELS, Attendance, ProgressNote, RosterEntry, Session, TreatmentPlan

ATTENDED = tuple(Attendance.ATTENDED)


def attendance_rate_by_modality(program, start: datetime, end: datetime, patient=None) -> list[dict]:
    """Attendance rate per modality over the program's sessions (group and individual) that start in
    [start, end); with `patient`, that patient's sessions and marks only (the progress page).

    Definition: rate = attended / marked, where
      attended = attendance marks "present", "late" or "left early" (the patient took part);
      marked   = every attendance mark: the attended ones plus "absent, excused" and "absent, unexcused".
    Excused absences stay in the denominator (the patient was scheduled and did not take part); rostered patients
    whose attendance was never marked are left out of the rate and counted in `unmarked`, so missing records show
    rather than silently lowering or raising the rate. A modality with no marks has rate None (not 0).
    Sessions are grouped by the modality code they were scheduled with; the label is the one they carried.

    Returns rows sorted by label: {modality, label, sessions, marked, attended, absent_excused, absent_unexcused,
    unmarked, rate}.
    """
    sessions = Session.objects.filter(program=program, starts_at__gte=start, starts_at__lt=end)
    marks, roster = Attendance.objects.all(), RosterEntry.objects.all()
    if patient is not None:
        sessions = sessions.filter(roster__patient=patient)
        marks, roster = marks.filter(patient=patient), roster.filter(patient=patient)
    session_rows = list(sessions.values_list("id", "modality", "modality_label"))
    modality_of = {sid: code for sid, code, _ in session_rows}
    rows: dict[str, dict] = {}
    for _sid, code, label in session_rows:
        row = rows.setdefault(
            code,
            {
                "modality": code,
                "label": label,
                "sessions": 0,
                "marked": 0,
                "attended": 0,
                "absent_excused": 0,
                "absent_unexcused": 0,
                "unmarked": 0,
                "rate": None,
            },
        )
        row["sessions"] += 1
    marked_pairs = set()
    for sid, patient_id, status in marks.filter(session_id__in=modality_of).values_list(
        "session_id", "patient_id", "status"
    ):
        row = rows[modality_of[sid]]
        row["marked"] += 1
        marked_pairs.add((sid, patient_id))
        if status in ATTENDED:
            row["attended"] += 1
        elif status == Attendance.Status.ABSENT_EXCUSED:
            row["absent_excused"] += 1
        else:
            row["absent_unexcused"] += 1
    for sid, patient_id in roster.filter(session_id__in=modality_of).values_list("session_id", "patient_id"):
        if (sid, patient_id) not in marked_pairs:
            rows[modality_of[sid]]["unmarked"] += 1
    for row in rows.values():
        row["rate"] = row["attended"] / row["marked"] if row["marked"] else None
    return sorted(rows.values(), key=lambda row: row["label"])


def plan_objective_status(patient, today=None) -> dict:
    """Where each objective of the patient's plan in force stands, for the progress page.

    Definition: the plan in force is the signed version of the patient's open (else most recent) episode; a
    draft is not in force, so a patient with only a draft has no objectives here. Each objective's status is the
    one given by the latest progress note reporting on it (by the note's time, then the order written) under any
    version of the plan, since objectives keep their id across versions; with no report it is "not started".
    An objective is overdue when its target date is before `today` (the program's local date) and its status is
    neither "met" nor "discontinued".

    Returns {"plan": the plan or None, "objectives": [{id, text, goal, problem, target_date, status,
    status_label, status_at, overdue}], "counts": {status: n}}.
    """
    today = today or patient.program.today()
    episode = (
        patient.episodes.filter(discharged_at__isnull=True).first() or patient.episodes.order_by("-admitted_at").first()
    )
    plan = (
        TreatmentPlan.objects.filter(episode=episode, status=TreatmentPlan.Status.SIGNED).first() if episode else None
    )
    if plan is None:
        return {"plan": None, "objectives": [], "counts": {}}
    latest: dict[str, tuple] = {}
    for note in ProgressNote.objects.filter(patient=patient, episode=episode).order_by("occurred_at", "id"):
        for update in note.objective_updates:
            latest[update["objective"]] = (update["status"], note.occurred_at)
    objectives: list[dict[str, Any]] = []
    counts: defaultdict[str, int] = defaultdict(int)
    for objective in plan.objectives():
        status, at = latest.get(objective["id"], ("not_started", None))
        target = objective.get("target_date")
        overdue = bool(target) and target < today.isoformat() and status not in ("met", "discontinued")
        objectives.append(
            {
                "id": objective["id"],
                "text": objective["text"],
                "goal": objective["goal"]["text"],
                "problem": objective["problem"]["description"],
                "target_date": target,
                "status": status,
                "status_label": OBJECTIVE_STATUS_LABELS[status],
                "status_at": at,
                "overdue": overdue,
            }
        )
        counts[status] += 1
    return {"plan": plan, "objectives": objectives, "counts": dict(counts)}


ATTENDANCE_DEFINITION = (
    "Of the attendance marks of the program's sessions (group and individual) that started in the period, the share "
    "where the patient took part: present, late or left early. Absences, excused or not, count as marks not "
    "attended; rostered patients never marked are left out (the session page shows them). By modality, with the "
    "label the sessions were scheduled with."
)


def attendance_figure():
    """The outcomes dashboard's figure (waypoint.outcomes.figures.FIGURES), built on the function above."""
    from waypoint.outcomes.figures import Figure, rate

    def compute(period):
        rows = attendance_rate_by_modality(period.program, period.start_at, period.end_at)
        return rate(
            sum(row["attended"] for row in rows),
            sum(row["marked"] for row in rows),
            breakdown=[(row["label"], row["attended"], row["marked"]) for row in rows if row["marked"]],
        )

    return Figure("attendance_by_modality", "Session attendance by modality", "rate", ATTENDANCE_DEFINITION, compute)
