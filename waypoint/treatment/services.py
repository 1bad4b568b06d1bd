"""Every change to plans, sessions, attendance and notes: one function each, atomic, audited.

Errors are ValidationErrors keyed by field (plan bodies by path, see plans.py); a stale plan version or
revision raises StaleVersion (HTTP 409). SUD counseling notes write no timeline line.
"""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from waypoint.accounts.models import Membership
from waypoint.accounts.roles import (
    CHART_READ,
    COUNSELING_NOTE_READ,
    COUNSELING_NOTE_WRITE,
    PLAN_WRITE,
    SESSION_WRITE,
    TREATMENT_CONFIGURE,
    role_allows,
)
from waypoint.patients.access import has_permission, require
from waypoint.patients.models import Episode, Patient
from waypoint.patients.recording import episode_at, write_timeline
from waypoint.patients.services import CLOCK_SKEW
from waypoint.privacy import audit
from waypoint.web.errors import StaleVersion

from . import plans
from .models import (
    OBJECTIVE_STATUS_LABELS,
    Attendance,
    CounselingNote,
    GroupNote,
    GroupNoteEntry,
    PlanReview,
    PlanTemplate,
    ProgressNote,
    RosterEntry,
    Session,
    TreatmentPlan,
)
from .settings import modality_labels

SESSION_MAX = timedelta(hours=12)


def _not_future(value: datetime, field: str) -> None:
    if value > timezone.now() + CLOCK_SKEW:
        raise ValidationError({field: "This time is in the future."})


def _short(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clinical_staff(program) -> dict[int, str]:
    """Members of the program whose role may write plans: who can be responsible for an intervention."""
    rows = Membership.objects.filter(program=program, user__is_active=True).select_related("user")
    return {m.user_id: m.user.get_full_name() or m.user.username for m in rows if role_allows(m.role, PLAN_WRITE)}


def session_staff(program) -> dict[int, str]:
    rows = Membership.objects.filter(program=program, user__is_active=True).select_related("user")
    return {m.user_id: m.user.get_full_name() or m.user.username for m in rows if role_allows(m.role, SESSION_WRITE)}


def present_findings(patient) -> dict[str, str]:
    """Findings present on the patient's latest complication screen (key -> label), for linking problems."""
    from waypoint.screening.models import Screen
    from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS

    screen = Screen.objects.filter(patient=patient).first()
    if screen is None:
        return {}
    present = set(screen.present)  # in the screen's item order: jsonb (PostgreSQL) does not keep the stored order
    return {key: HEROIN_COMPLICATIONS.item(key).label for key in HEROIN_COMPLICATIONS.keys if key in present}


def _known_modalities(program, *bodies) -> dict[str, str]:
    """The program's modalities, plus those already on the plan (a retired modality keeps its label)."""
    known = {}
    for body in bodies:
        for problem in (body or {}).get("problems", []):
            for intervention in problem.get("interventions", []):
                if intervention.get("modality") and intervention.get("modality_label"):
                    known[intervention["modality"]] = intervention["modality_label"]
    return known | modality_labels(program)


def clean_plan_body(patient, body, *, previous=None, complete=False) -> dict:
    cleaner = plans.Cleaner(
        modalities=_known_modalities(patient.program, previous),
        staff=clinical_staff(patient.program),
        findings=present_findings(patient),
        complete=complete,
    )
    return cleaner.body(body)


def clean_template_body(program, body, *, previous=None) -> dict:
    cleaner = plans.Cleaner(modalities=_known_modalities(program, previous), staff={}, findings={}, template=True)
    return cleaner.body(body)


def plan_in_force(episode) -> TreatmentPlan | None:
    return TreatmentPlan.objects.filter(episode=episode, status=TreatmentPlan.Status.SIGNED).first()


def latest_plan(episode) -> TreatmentPlan | None:
    return TreatmentPlan.objects.filter(episode=episode).order_by("-version").first()


def _open_episode(patient) -> Episode:
    episode = Episode.objects.filter(patient=patient, discharged_at__isnull=True).first()
    if episode is None:
        raise ValidationError({"episode": "The patient is not in care: a plan belongs to an open episode."})
    return episode


def _save(obj, field, message):
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:  # a concurrent save won the race: same rule, same answer
        raise StaleVersion(message) from exc


# --- treatment plans ---------------------------------------------------------------------------------


@transaction.atomic
def start_plan(
    *, acting_user, patient: Patient, template: PlanTemplate | None = None, responsible: int | None = None
) -> TreatmentPlan:
    """Open the episode's first plan as a draft, empty or from one of the program's templates (which the clinician
    then adapts); `responsible` fills every intervention of the template with that staff member."""
    require(acting_user, patient.program_id, PLAN_WRITE)
    episode = _open_episode(patient)
    if TreatmentPlan.objects.filter(episode=episode).exists():
        raise ValidationError({"template": "This episode already has a plan: open it, or amend the signed version."})
    body = {"problems": []}
    if template is not None:
        if template.program_id != patient.program_id or not template.active:
            raise ValidationError({"template": "Not a template of this program."})
        body = plans.from_template(template.body, timezone.localdate())
        if responsible is not None:
            for problem in body["problems"]:
                for intervention in problem["interventions"]:
                    intervention["responsible"] = responsible
    body = clean_plan_body(patient, body, previous=template.body if template else None)
    plan = TreatmentPlan(
        program_id=patient.program_id,
        patient=patient,
        episode=episode,
        body=body,
        template_name=template.name if template else "",
        created_by=acting_user,
    )
    try:
        _save(plan, "template", "Another plan was started for this episode at the same time.")
    except StaleVersion as race:
        raise ValidationError({"template": str(race)}) from race
    write_timeline(
        patient,
        "plan.start",
        "Treatment plan v1 started" + (f" from the template {template.name}" if template else ""),
        at=plan.created_at,
        by=acting_user,
        episode=episode,
    )
    audit.record(
        acting_user, "plan.create", patient=patient, obj=plan, detail={"version": 1, "template": plan.template_name}
    )
    return plan


def _locked_draft(plan: TreatmentPlan, revision: int | None) -> TreatmentPlan:
    locked = TreatmentPlan.objects.select_for_update().select_related("patient__program").get(pk=plan.pk)
    if locked.status != TreatmentPlan.Status.DRAFT:
        raise StaleVersion(
            f"Plan version {locked.version} is {locked.get_status_display().lower()}: a signed plan "
            "is never edited; amend it with a new version."
        )
    if revision is not None and revision != locked.revision:
        raise StaleVersion(f"This draft was changed since you read it (now revision {locked.revision}).")
    if not locked.episode.is_open:
        raise ValidationError({"episode": "The episode of care is closed."})
    return locked


@transaction.atomic
def save_draft(*, acting_user, plan: TreatmentPlan, body: dict, revision: int | None) -> TreatmentPlan:
    """Replace a draft's body (validated, incomplete parts allowed); `revision` must be the one read."""
    require(acting_user, plan.program_id, PLAN_WRITE)
    plan = _locked_draft(plan, revision)
    previous = plan.replaces.body if plan.replaces_id else None
    plan.body = clean_plan_body(plan.patient, body, previous=_merge(previous, plan.body))
    plan.revision += 1
    plan.updated_at = timezone.now()
    plan.save(update_fields=["body", "revision", "updated_at"])
    audit.record(
        acting_user,
        "plan.draft.update",
        patient=plan.patient,
        obj=plan,
        detail={"version": plan.version, "revision": plan.revision},
    )
    return plan


def _merge(*bodies):
    return {"problems": [p for b in bodies if b for p in b.get("problems", [])]}


@transaction.atomic
def sign_plan(*, acting_user, plan: TreatmentPlan, revision: int | None) -> TreatmentPlan:
    """The clinician's electronic signature (who, when): the plan must be complete; it is locked from now on, and
    the version it amends is superseded."""
    require(acting_user, plan.program_id, PLAN_WRITE)
    plan = _locked_draft(plan, revision)
    previous = plan.replaces.body if plan.replaces_id else None
    plan.body = clean_plan_body(plan.patient, plan.body, previous=_merge(previous, plan.body), complete=True)
    now = timezone.now()
    if plan.replaces_id:
        TreatmentPlan.objects.filter(pk=plan.replaces_id).update(
            status=TreatmentPlan.Status.SUPERSEDED, superseded_at=now, updated_at=now
        )
    plan.status, plan.clinician_signed_by, plan.clinician_signed_at = TreatmentPlan.Status.SIGNED, acting_user, now
    plan.updated_at = now
    plan.save(update_fields=["body", "status", "clinician_signed_by", "clinician_signed_at", "updated_at"])
    write_timeline(
        plan.patient,
        "plan.sign",
        f"Treatment plan v{plan.version} signed by {acting_user.get_full_name() or acting_user.username}",
        at=now,
        by=acting_user,
        episode=plan.episode,
    )
    audit.record(
        acting_user,
        "plan.sign",
        patient=plan.patient,
        obj=plan,
        detail={"version": plan.version, "supersedes": plan.replaces_id},
    )
    return plan


def _names_match(typed: str, patient: Patient) -> bool:
    typed = " ".join(typed.split()).casefold()
    names = {f"{patient.given_name} {patient.family_name}", f"{patient.display_name}"}
    return typed in {" ".join(n.split()).casefold() for n in names}


@transaction.atomic
def acknowledge_plan(*, acting_user, plan: TreatmentPlan, patient_name: str, attested: bool) -> TreatmentPlan:
    """The patient's electronic acknowledgement of the signed plan: their name as registered, typed by them, and
    the attestation that they reviewed it; the time and the staff member present are kept."""
    require(acting_user, plan.program_id, PLAN_WRITE)
    plan = TreatmentPlan.objects.select_for_update().select_related("patient").get(pk=plan.pk)
    errors = {}
    if plan.status != TreatmentPlan.Status.SIGNED:
        raise ValidationError({"plan": "Only the signed plan in force can be acknowledged by the patient."})
    if plan.patient_signed_at is not None:
        raise ValidationError({"plan": "The patient already acknowledged this version."})
    if not _names_match(patient_name, plan.patient):
        errors["patient_name"] = "The patient types their name as registered (e.g. given and family name)."
    if not attested:
        errors["attested"] = "The patient confirms they reviewed the plan and took part in writing it."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    plan.patient_signed_name, plan.patient_signed_at, plan.patient_witnessed_by = (
        " ".join(patient_name.split()),
        now,
        acting_user,
    )
    plan.updated_at = now
    plan.save(update_fields=["patient_signed_name", "patient_signed_at", "patient_witnessed_by", "updated_at"])
    write_timeline(
        plan.patient,
        "plan.acknowledge",
        f"Treatment plan v{plan.version} acknowledged by the patient",
        at=now,
        by=acting_user,
        episode=plan.episode,
    )
    audit.record(acting_user, "plan.acknowledge", patient=plan.patient, obj=plan, detail={"version": plan.version})
    return plan


@transaction.atomic
def amend_plan(*, acting_user, plan: TreatmentPlan, version: int, reason: str) -> TreatmentPlan:
    """A new draft version copying the signed plan in force; `version` must be the version the client read."""
    require(acting_user, plan.program_id, PLAN_WRITE)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the plan is amended."})
    locked = TreatmentPlan.objects.select_for_update().select_related("patient", "episode").get(pk=plan.pk)
    newest = TreatmentPlan.objects.filter(episode_id=locked.episode_id).order_by("-version").first()
    if locked.status != TreatmentPlan.Status.SIGNED or newest.pk != locked.pk or version != locked.version:
        raise StaleVersion(
            f"Plan version {version} is not the newest signed version (the newest is version "
            f"{newest.version}, {newest.get_status_display().lower()})."
        )
    if not locked.episode.is_open:
        raise ValidationError({"episode": "The episode of care is closed."})
    draft = TreatmentPlan(
        program_id=locked.program_id,
        patient=locked.patient,
        episode=locked.episode,
        version=locked.version + 1,
        replaces=locked,
        body=locked.body,
        template_name=locked.template_name,
        change_reason=reason.strip(),
        created_by=acting_user,
    )
    _save(draft, "version", "Another amendment of this plan was started at the same time.")
    write_timeline(
        locked.patient,
        "plan.amend",
        f"Treatment plan v{draft.version} started (amends v{locked.version}): {_short(reason)}",
        at=draft.created_at,
        by=acting_user,
        episode=locked.episode,
    )
    audit.record(acting_user, "plan.amend", patient=locked.patient, obj=draft, detail={"replaces": locked.pk})
    return draft


@transaction.atomic
def review_plan(*, acting_user, plan: TreatmentPlan, note: str, reviewed_at: datetime | None = None) -> PlanReview:
    """Record a review that keeps the signed plan unchanged (to change it, amend)."""
    require(acting_user, plan.program_id, PLAN_WRITE)
    if plan.status != TreatmentPlan.Status.SIGNED:
        raise ValidationError({"plan": "Only the signed plan in force is reviewed."})
    if not plan.episode.is_open:
        raise ValidationError({"episode": "The episode of care is closed."})
    if not note.strip():
        raise ValidationError({"note": "Summarise the review (progress, why the plan stays as it is)."})
    reviewed_at = reviewed_at or timezone.now()
    _not_future(reviewed_at, "reviewed_at")
    if reviewed_at < plan.clinician_signed_at:
        raise ValidationError({"reviewed_at": "The review cannot be before the plan was signed."})
    review = PlanReview.objects.create(
        program_id=plan.program_id,
        patient=plan.patient,
        plan=plan,
        reviewed_at=reviewed_at,
        reviewed_by=acting_user,
        note=note.strip(),
    )
    write_timeline(
        plan.patient,
        "plan.review",
        f"Treatment plan v{plan.version} reviewed, unchanged: {_short(note)}",
        at=reviewed_at,
        by=acting_user,
        episode=plan.episode,
    )
    audit.record(acting_user, "plan.review", patient=plan.patient, obj=review, detail={"plan": plan.pk})
    return review


@transaction.atomic
def save_template(*, acting_user, program, name: str, level_codes: list[str], body: dict) -> PlanTemplate:
    """Save a program template (same name: the old one is retired)."""
    require(acting_user, program.pk, TREATMENT_CONFIGURE)
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Name the template (e.g. Residential)."
    offered = set(program.levels.filter(active=True).values_list("code", flat=True))
    if not isinstance(level_codes, list) or not level_codes or not set(level_codes) <= offered:
        errors["level_codes"] = "Choose one or more levels of care the program offers: " + ", ".join(sorted(offered))
    if errors:
        raise ValidationError(errors)
    old = PlanTemplate.objects.select_for_update().filter(program=program, name=name, active=True).first()
    clean = clean_template_body(program, body, previous=old.body if old else None)
    if old is not None:
        old.active = False
        old.save(update_fields=["active"])
    template = PlanTemplate.objects.create(
        program=program, name=name, level_codes=sorted(set(level_codes)), body=clean, created_by=acting_user
    )
    audit.record(
        acting_user,
        "plan_template.save",
        program=program,
        obj=template,
        detail={"name": name, "replaces": old.pk if old else None},
    )
    return template


@transaction.atomic
def template_from_plan(*, acting_user, plan: TreatmentPlan, name: str, level_codes: list[str]) -> PlanTemplate:
    start = timezone.localtime(plan.created_at).date()
    return save_template(
        acting_user=acting_user,
        program=plan.patient.program,
        name=name,
        level_codes=level_codes,
        body=plans.to_template(plan.body, start),
    )


# --- sessions, roster, attendance ----------------------------------------------------------------------


@transaction.atomic
def schedule_session(
    *,
    acting_user,
    program,
    kind: str,
    modality: str,
    topic: str,
    facilitator,
    room: str = "",
    starts_at: datetime,
    ends_at: datetime,
    patient: Patient | None = None,
) -> Session:
    """A group session (roster added after) or an individual session with its one patient."""
    require(acting_user, program.pk, SESSION_WRITE)
    errors = {}
    if kind not in Session.Kind.values:
        errors["kind"] = "Choose group or individual."
    labels = modality_labels(program)
    if modality not in labels:
        errors["modality"] = f"{modality!r} is not one of the program's modalities."
    if not (topic or "").strip():
        errors["topic"] = "Give the session's topic."
    if facilitator is None or facilitator.pk not in session_staff(program):
        errors["facilitator"] = "The facilitator is a staff member of this program who runs sessions."
    if ends_at <= starts_at:
        errors["ends_at"] = "The session ends after it starts."
    elif ends_at - starts_at > SESSION_MAX:
        errors["ends_at"] = "A session lasts at most 12 hours."
    if kind == Session.Kind.INDIVIDUAL and patient is None:
        errors["patient"] = "An individual session is with one patient."
    if kind == Session.Kind.GROUP and patient is not None:
        errors["patient"] = "Add a group's patients to its roster."
    if errors:
        raise ValidationError(errors)
    session = Session.objects.create(
        program=program,
        kind=kind,
        modality=modality,
        modality_label=labels[modality],
        topic=topic.strip(),
        facilitator=facilitator,
        room=(room or "").strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=acting_user,
    )
    audit.record(acting_user, "session.create", program=program, obj=session, detail={"kind": kind})
    if patient is not None:
        add_to_roster(acting_user=acting_user, session=session, patient=patient)
    return session


@transaction.atomic
def add_to_roster(*, acting_user, session: Session, patient: Patient) -> RosterEntry:
    require(acting_user, session.program_id, SESSION_WRITE)
    if patient.program_id != session.program_id:
        raise ValidationError({"patient": "This patient belongs to another program."})
    if not Episode.objects.filter(patient=patient, discharged_at__isnull=True).exists():
        raise ValidationError({"patient": f"{patient.display_name} is not in care (no open episode)."})
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.kind == Session.Kind.INDIVIDUAL and session.roster.exists():
        raise ValidationError({"patient": "An individual session has one patient."})
    if session.roster.filter(patient=patient).exists():
        raise ValidationError({"patient": f"{patient.display_name} is already on the roster."})
    entry = RosterEntry.objects.create(
        program_id=session.program_id, session=session, patient=patient, added_by=acting_user
    )
    audit.record(acting_user, "session.roster.add", patient=patient, obj=entry, detail={"session": session.pk})
    return entry


@transaction.atomic
def mark_attendance(
    *, acting_user, session: Session, patient: Patient, status: str, now: datetime | None = None
) -> Attendance:
    """Attendance of a rostered patient, from the session's start. A change of mark is audited (from -> to)."""
    require(acting_user, session.program_id, SESSION_WRITE)
    now = now or timezone.now()
    if status not in Attendance.Status.values:
        raise ValidationError({"status": "Choose one of: " + ", ".join(Attendance.Status.values) + "."})
    if not session.has_started(now):
        begins = timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M")
        raise ValidationError(
            {"session": f"The session has not started yet (it starts {begins}): attendance is marked from its start."}
        )
    if not RosterEntry.objects.filter(session=session, patient=patient).exists():
        raise ValidationError(
            {
                "patient": f"{patient.display_name} is not on this session's roster: add them to the "
                "roster before marking attendance."
            }
        )
    mark = Attendance.objects.select_for_update().filter(session=session, patient=patient).first()
    label = Attendance.Status(status).label
    what = f"{session.get_kind_display()} session, {session.modality_label}: {session.topic}"
    if mark is None:
        mark = Attendance.objects.create(
            program_id=session.program_id, session=session, patient=patient, status=status, recorded_by=acting_user
        )
        write_timeline(patient, "session.attendance", f"{what}: {label}", at=session.starts_at, by=acting_user)
        audit.record(
            acting_user,
            "session.attendance",
            patient=patient,
            obj=mark,
            detail={"session": session.pk, "status": status},
        )
    elif mark.status != status:
        before = mark.status
        mark.status, mark.recorded_by, mark.recorded_at = status, acting_user, timezone.now()
        mark.save(update_fields=["status", "recorded_by", "recorded_at"])
        write_timeline(
            patient,
            "session.attendance",
            f"{what}: attendance corrected from {Attendance.Status(before).label} to {label}",
            at=session.starts_at,
            by=acting_user,
        )
        audit.record(
            acting_user,
            "session.attendance.change",
            patient=patient,
            obj=mark,
            detail={"session": session.pk, "from": before, "to": status},
        )
    return mark


@transaction.atomic
def write_group_note(*, acting_user, session: Session, body: str, entries: dict[int, str]) -> GroupNote:
    """One note for the group and a short individualized part for each attendee (present, late, left early), each
    landing in that attendee's chart; every rostered patient's attendance must be marked first."""
    require(acting_user, session.program_id, SESSION_WRITE)
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.kind != Session.Kind.GROUP:
        raise ValidationError({"session": "A group note is written for a group session; use a progress note."})
    if not session.has_started():
        raise ValidationError({"session": "The session has not started yet."})
    if GroupNote.objects.filter(session=session).exists():
        raise ValidationError({"session": "The group note of this session is already written."})
    errors = {}
    if not (body or "").strip():
        errors["body"] = "Write the group part of the note (topic, process, what the group worked on)."
    marks = {m.patient_id: m for m in Attendance.objects.filter(session=session).select_related("patient")}
    roster = list(session.roster.select_related("patient"))
    unmarked = [e.patient.display_name for e in roster if e.patient_id not in marks]
    if unmarked:
        errors["attendance"] = "Mark attendance first for: " + ", ".join(unmarked) + "."
    clean = {}
    for patient_id, text in (entries or {}).items():
        mark = marks.get(patient_id)
        text = (text or "").strip()
        if mark is None or not mark.attended:
            if text:
                errors[f"entries.{patient_id}"] = "Only an attendee (present, late, left early) gets a part."
            continue
        clean[patient_id] = text
    for patient_id, mark in marks.items():
        if mark.attended and not clean.get(patient_id):
            errors[f"entries.{patient_id}"] = f"Write the individualized part for {mark.patient.display_name}."
    if errors:
        raise ValidationError(errors)
    note = GroupNote.objects.create(
        program_id=session.program_id, session=session, body=body.strip(), written_by=acting_user
    )
    for patient_id, text in clean.items():
        patient = marks[patient_id].patient
        GroupNoteEntry.objects.create(program_id=session.program_id, note=note, patient=patient, text=text)
        write_timeline(
            patient,
            "session.group_note",
            f"Group note, {session.modality_label}: {session.topic}: {_short(text)}",
            at=session.starts_at,
            by=acting_user,
        )
    audit.record(
        acting_user,
        "session.group_note",
        program=session.program,
        obj=note,
        detail={"session": session.pk, "patients": sorted(clean)},
    )
    return note


# --- notes ------------------------------------------------------------------------------------------


@transaction.atomic
def write_progress_note(
    *,
    acting_user,
    patient: Patient,
    body: str,
    occurred_at: datetime,
    session: Session | None = None,
    objective_updates=None,
) -> ProgressNote:
    """A progress note; `objective_updates` [{objective, status, comment}] report on the signed plan's objectives."""
    require(acting_user, patient.program_id, PLAN_WRITE)
    errors = {}
    if not (body or "").strip():
        errors["body"] = "Write the note."
    _not_future(occurred_at, "occurred_at")
    if session is not None and not RosterEntry.objects.filter(session=session, patient=patient).exists():
        errors["session"] = "The patient is not on this session's roster."
    episode = episode_at(patient, occurred_at)
    plan = plan_in_force(episode) if episode else None
    objectives = {o["id"]: o for o in plan.objectives()} if plan else {}
    updates = []
    if not isinstance(objective_updates or [], list):
        errors["objective_updates"] = "A list of {objective, status, comment} expected."
        objective_updates = []
    for n, update in enumerate(objective_updates or []):
        key = f"objective_updates.{n}"
        if not isinstance(update, dict) or set(update) - {"objective", "status", "comment"}:
            errors[key] = "Each update is {objective, status, comment}."
            continue
        if update.get("objective") not in objectives:
            errors[f"{key}.objective"] = (
                "Not an objective of the patient's signed plan."
                if plan
                else "The patient has no signed plan in force at this time."
            )
        if update.get("status") not in OBJECTIVE_STATUS_LABELS:
            errors[f"{key}.status"] = "Choose one of: " + ", ".join(OBJECTIVE_STATUS_LABELS) + "."
        comment = update.get("comment") or ""
        if not isinstance(comment, str):
            errors[f"{key}.comment"] = "Text expected."
            comment = ""
        updates.append(
            {"objective": update.get("objective"), "status": update.get("status"), "comment": comment.strip()}
        )
    if errors:
        raise ValidationError(errors)
    note = ProgressNote.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode,
        session=session,
        plan=plan,
        occurred_at=occurred_at,
        body=body.strip(),
        objective_updates=updates,
        written_by=acting_user,
    )
    statuses = "; ".join(
        f"{_short(objectives[u['objective']]['text'], 50)}: {OBJECTIVE_STATUS_LABELS[u['status']].lower()}"
        for u in updates
    )
    write_timeline(
        patient,
        "note.progress",
        "Progress note" + (f" ({statuses})" if statuses else "") + ": " + _short(body),
        at=occurred_at,
        by=acting_user,
        episode=episode,
    )
    audit.record(
        acting_user,
        "note.progress.create",
        patient=patient,
        obj=note,
        detail={"objectives": [u["objective"] for u in updates]},
    )
    return note


@transaction.atomic
def write_counseling_note(*, acting_user, patient: Patient, body: str, occurred_at: datetime) -> CounselingNote:
    """An SUD counseling note: no timeline line, no chart section; only its readers see it (see readable_...)."""
    require(acting_user, patient.program_id, COUNSELING_NOTE_WRITE)
    if not (body or "").strip():
        raise ValidationError({"body": "Write the note."})
    _not_future(occurred_at, "occurred_at")
    note = CounselingNote.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode_at(patient, occurred_at),
        occurred_at=occurred_at,
        body=body.strip(),
        written_by=acting_user,
    )
    audit.record(acting_user, "note.counseling.create", patient=patient, obj=note)
    return note


def on_care_team(user, patient) -> bool:
    return patient.care_team_id is not None and user.care_teams.filter(pk=patient.care_team_id).exists()


def readable_counseling_notes(user, patient):
    """Counseling notes this user may read: their own, and, when their role may read counseling notes and they are
    on the patient's care team (not through break-the-glass), the team's. Everyone else: none."""
    if not has_permission(user, patient.program_id, CHART_READ):
        return CounselingNote.objects.none()
    notes = CounselingNote.objects.filter(patient=patient, program_id=patient.program_id)
    if has_permission(user, patient.program_id, COUNSELING_NOTE_READ) and on_care_team(user, patient):
        return notes
    return notes.filter(written_by=user)


def may_keep_counseling_notes(user, patient) -> bool:
    return has_permission(user, patient.program_id, COUNSELING_NOTE_WRITE) or has_permission(
        user, patient.program_id, COUNSELING_NOTE_READ
    )


def require_counseling_access(user, patient) -> None:
    if not (
        has_permission(user, patient.program_id, COUNSELING_NOTE_WRITE)
        or has_permission(user, patient.program_id, COUNSELING_NOTE_READ)
    ):
        raise PermissionDenied("Your role does not keep or read SUD counseling notes.")
