"""Every change to plans, sessions, attendance and notes: one function each, atomic, audited.

Errors are ValidationErrors keyed by field (plan bodies by path, see plans.py); a stale plan version or
revision raises StaleVersion (HTTP 409). SUD counseling notes write no timeline line.
"""

import copy
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from waypoint.accounts.models import Membership, Program, User
from waypoint.accounts.roles import (
    CHART_READ,
    COUNSELING_NOTE_READ,
    COUNSELING_NOTE_WRITE,
    PLAN_WRITE,
    SESSION_WRITE,
    TREATMENT_CONFIGURE,
    role_allows,
)
from waypoint.audit import trail as audit
from waypoint.patients.access import Viewer, has_permission, require, visible_patients
from waypoint.patients.models import Episode, Patient
from waypoint.patients.recording import episode_at, write_timeline
from waypoint.patients.services import CLOCK_SKEW
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


def named_for(reader: Viewer, patients: Iterable[Patient]) -> str:
    """The patients as this reader may read them: the names of those they may see, and a count of the others
    ("Maria Rivera and 1 patient outside your care teams"). Every message of a service that mentions a patient
    goes through here, so that no error or notice names a patient to someone who may not see them."""
    patients = list(patients)
    if not patients:
        return ""
    visible = visible_patients(reader, patients[0].program).filter(pk__in=[p.pk for p in patients])
    seen = set(visible.values_list("pk", flat=True))
    names = [p.display_name for p in patients if p.pk in seen]
    hidden = len(patients) - len(names)
    if hidden:
        names.append(f"{hidden} patient{'s' if hidden > 1 else ''} outside your care teams")
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def clinical_staff(program: Program) -> dict[int, str]:
    """Members of the program whose role may write plans: who can be responsible for an intervention."""
    rows = Membership.objects.filter(program=program, user__is_active=True).select_related("user")
    return {m.user_id: m.user.get_full_name() or m.user.username for m in rows if role_allows(m.role, PLAN_WRITE)}


def session_staff(program: Program) -> dict[int, str]:
    rows = Membership.objects.filter(program=program, user__is_active=True).select_related("user")
    return {m.user_id: m.user.get_full_name() or m.user.username for m in rows if role_allows(m.role, SESSION_WRITE)}


def present_findings(patient: Patient) -> dict[str, str]:
    """Findings present on the patient's latest complication screen (key -> label), for linking problems."""
    from waypoint.screening.models import Screen
    from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS

    screen = Screen.objects.filter(patient=patient).first()
    if screen is None:
        return {}
    present = set(screen.present)  # in the screen's item order: jsonb (PostgreSQL) does not keep the stored order
    return {key: HEROIN_COMPLICATIONS.item(key).label for key in HEROIN_COMPLICATIONS.keys if key in present}


def _known_modalities(program: Program, *bodies: dict[str, Any] | None) -> dict[str, str]:
    """The program's modalities, plus those already on the plan (a retired modality keeps its label)."""
    known = {}
    for body in bodies:
        for problem in (body or {}).get("problems", []):
            for intervention in problem.get("interventions", []):
                if intervention.get("modality") and intervention.get("modality_label"):
                    known[intervention["modality"]] = intervention["modality_label"]
    return known | modality_labels(program)


def clean_plan_body(
    patient: Patient, body: object, *, previous: dict[str, Any] | None = None, complete: bool = False
) -> dict[str, Any]:
    cleaner = plans.Cleaner(
        modalities=_known_modalities(patient.program, previous),
        staff=clinical_staff(patient.program),
        findings=present_findings(patient),
        complete=complete,
    )
    return cleaner.body(body)


def clean_template_body(program: Program, body: object, *, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    cleaner = plans.Cleaner(modalities=_known_modalities(program, previous), staff={}, findings={}, template=True)
    return cleaner.body(body)


def plan_in_force(episode: Episode) -> TreatmentPlan | None:
    return TreatmentPlan.objects.filter(episode=episode, status=TreatmentPlan.Status.SIGNED).first()


def latest_plan(episode: Episode) -> TreatmentPlan | None:
    return TreatmentPlan.objects.filter(episode=episode).order_by("-version").first()


def _open_episode(patient: Patient) -> Episode:
    episode = Episode.objects.filter(patient=patient, discharged_at__isnull=True).first()
    if episode is None:
        raise ValidationError({"episode": "The patient is not in care: a plan belongs to an open episode."})
    return episode


def _save(obj: Model, field: str, message: str) -> None:
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:  # a concurrent save won the race: same rule, same answer
        raise StaleVersion(message) from exc


# --- treatment plans ---------------------------------------------------------------------------------


@transaction.atomic
def start_plan(
    *, acting_user: User, patient: Patient, template: PlanTemplate | None = None, responsible: int | None = None
) -> TreatmentPlan:
    """Open the episode's first plan as a draft, empty or from one of the program's templates (which the clinician
    then adapts); `responsible` fills every intervention of the template with that staff member."""
    require(acting_user, patient.program_id, PLAN_WRITE)
    episode = _open_episode(patient)
    if TreatmentPlan.objects.filter(episode=episode).exists():
        raise ValidationError({"template": "This episode already has a plan: open it, or amend the signed version."})
    body: dict[str, Any] = {"problems": []}
    if template is not None:
        if template.program_id != patient.program_id or not template.active:
            raise ValidationError({"template": "Not a template of this program."})
        body = plans.from_template(template.body, patient.program.today())
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
def save_draft(*, acting_user: User, plan: TreatmentPlan, body: dict[str, Any], revision: int | None) -> TreatmentPlan:
    """Replace a draft's whole body (the API's PUT; validated, incomplete parts allowed); `revision` must be the one
    read. The plan page edits item by item with the named edits below, each audited as what it did."""
    require(acting_user, plan.program_id, PLAN_WRITE)
    return _store(acting_user, _locked_draft(plan, revision), body, "plan.draft.update")


def _store(acting_user: User, plan: TreatmentPlan, body: dict[str, Any], action: str, **detail: Any) -> TreatmentPlan:
    previous = plan.replaces.body if plan.replaces else None
    plan.body = clean_plan_body(plan.patient, body, previous=_merge(previous, plan.body))
    plan.revision += 1
    plan.updated_at = timezone.now()
    plan.save(update_fields=["body", "revision", "updated_at"])
    audit.record(
        acting_user,
        action,
        patient=plan.patient,
        obj=plan,
        detail={"version": plan.version, "revision": plan.revision, **detail},
    )
    return plan


def _item_ids(body: dict[str, Any] | None) -> set[str]:
    ids = set()
    for problem in (body or {}).get("problems", []):
        ids |= {problem["id"]} | {i["id"] for i in problem.get("interventions", [])}
        for goal in problem.get("goals", []):
            ids |= {goal["id"]} | {o["id"] for o in goal.get("objectives", [])}
    return ids


def _edit(
    acting_user: User,
    plan: TreatmentPlan,
    revision: int | None,
    action: str,
    edit: Callable[[dict[str, Any]], dict[str, Any]],
    item: str | None = None,
) -> TreatmentPlan:
    """One named edit of a draft: `edit` changes a copy of the body; the audit event names the action and the item
    (for an addition, the items it made)."""
    require(acting_user, plan.program_id, PLAN_WRITE)
    plan = _locked_draft(plan, revision)
    body = edit(copy.deepcopy(plan.body) or {"problems": []})
    items = [item] if item else sorted(_item_ids(body) - _item_ids(plan.body))
    return _store(acting_user, plan, body, action, items=items)


@transaction.atomic
def add_problem(
    *,
    acting_user: User,
    plan: TreatmentPlan,
    revision: int | None,
    description: str,
    diagnosis: str = "",
    screen_findings: Iterable[str] = (),
    goal: str = "",
) -> TreatmentPlan:
    """A problem (and, when given, its first goal in the patient's words)."""
    edit = partial(
        plans.add_problem, description=description, diagnosis=diagnosis, screen_findings=screen_findings, goal=goal
    )
    return _edit(acting_user, plan, revision, "plan.problem.add", edit)


@transaction.atomic
def update_problem(
    *, acting_user: User, plan: TreatmentPlan, revision: int | None, item: str, description: str, diagnosis: str = ""
) -> TreatmentPlan:
    edit = partial(plans.update_problem, item=item, description=description, diagnosis=diagnosis)
    return _edit(acting_user, plan, revision, "plan.problem.update", edit, item)


@transaction.atomic
def remove_problem(*, acting_user: User, plan: TreatmentPlan, revision: int | None, item: str) -> TreatmentPlan:
    """Takes the problem off the draft with its goals, objectives and interventions."""
    edit = partial(plans.remove, item=item, kind="problem")
    return _edit(acting_user, plan, revision, "plan.problem.remove", edit, item)


@transaction.atomic
def add_goal(*, acting_user: User, plan: TreatmentPlan, revision: int | None, problem: str, text: str) -> TreatmentPlan:
    edit = partial(plans.add_goal, problem=problem, text=text)
    return _edit(acting_user, plan, revision, "plan.goal.add", edit)


@transaction.atomic
def update_goal(*, acting_user: User, plan: TreatmentPlan, revision: int | None, item: str, text: str) -> TreatmentPlan:
    edit = partial(plans.update_goal, item=item, text=text)
    return _edit(acting_user, plan, revision, "plan.goal.update", edit, item)


@transaction.atomic
def remove_goal(*, acting_user: User, plan: TreatmentPlan, revision: int | None, item: str) -> TreatmentPlan:
    edit = partial(plans.remove, item=item, kind="goal")
    return _edit(acting_user, plan, revision, "plan.goal.remove", edit, item)


@transaction.atomic
def add_objective(
    *, acting_user: User, plan: TreatmentPlan, revision: int | None, goal: str, text: str, target_date: date | None
) -> TreatmentPlan:
    edit = partial(plans.add_objective, goal=goal, text=text, target_date=target_date)
    return _edit(acting_user, plan, revision, "plan.objective.add", edit)


@transaction.atomic
def update_objective(
    *, acting_user: User, plan: TreatmentPlan, revision: int | None, item: str, text: str, target_date: date | None
) -> TreatmentPlan:
    edit = partial(plans.update_objective, item=item, text=text, target_date=target_date)
    return _edit(acting_user, plan, revision, "plan.objective.update", edit, item)


@transaction.atomic
def remove_objective(*, acting_user: User, plan: TreatmentPlan, revision: int | None, item: str) -> TreatmentPlan:
    edit = partial(plans.remove, item=item, kind="objective")
    return _edit(acting_user, plan, revision, "plan.objective.remove", edit, item)


@transaction.atomic
def add_intervention(
    *,
    acting_user: User,
    plan: TreatmentPlan,
    revision: int | None,
    problem: str,
    modality: str,
    frequency: str,
    responsible: int | None,
) -> TreatmentPlan:
    edit = partial(
        plans.add_intervention, problem=problem, modality=modality, frequency=frequency, responsible=responsible
    )
    return _edit(acting_user, plan, revision, "plan.intervention.add", edit)


@transaction.atomic
def update_intervention(
    *, acting_user: User, plan: TreatmentPlan, revision: int | None, item: str, frequency: str, responsible: int | None
) -> TreatmentPlan:
    edit = partial(plans.update_intervention, item=item, frequency=frequency, responsible=responsible)
    return _edit(acting_user, plan, revision, "plan.intervention.update", edit, item)


@transaction.atomic
def remove_intervention(*, acting_user: User, plan: TreatmentPlan, revision: int | None, item: str) -> TreatmentPlan:
    edit = partial(plans.remove, item=item, kind="intervention")
    return _edit(acting_user, plan, revision, "plan.intervention.remove", edit, item)


REMOVE: dict[str, Callable[..., TreatmentPlan]] = {
    "problem": remove_problem,
    "goal": remove_goal,
    "objective": remove_objective,
    "intervention": remove_intervention,
}


@transaction.atomic
def remove_item(*, acting_user: User, plan: TreatmentPlan, revision: int | None, item: str) -> TreatmentPlan:
    """Whatever the item is (the page's "remove" buttons): the named removal of its kind."""
    kind = plans.kind_of(plan.body or {"problems": []}, item)
    return REMOVE[kind](acting_user=acting_user, plan=plan, revision=revision, item=item)


@transaction.atomic
def save_rows(
    *,
    acting_user: User,
    plan: TreatmentPlan,
    revision: int | None,
    goals: dict[str, str],
    interventions: dict[str, tuple[str, int | None]],
) -> tuple[TreatmentPlan, int]:
    """The plan editor's one Save: every goal text ({id: text}) and intervention ({id: (frequency, responsible)})
    as the form shows them; each row that changed is saved by its named edit (audited one by one), all or none.
    Returns the plan and how many rows changed."""
    require(acting_user, plan.program_id, PLAN_WRITE)
    plan = _locked_draft(plan, revision)
    current = {g["id"]: g for p in plan.body.get("problems", []) for g in p["goals"]}
    doing = {i["id"]: i for p in plan.body.get("problems", []) for i in p["interventions"]}
    changed = 0
    for item, text in goals.items():
        if item in current and current[item]["text"] != text:
            plan = update_goal(acting_user=acting_user, plan=plan, revision=plan.revision, item=item, text=text)
            changed += 1
    for item, (frequency, responsible) in interventions.items():
        if item in doing and (doing[item]["frequency"], doing[item]["responsible"]) != (frequency, responsible):
            plan = update_intervention(
                acting_user=acting_user,
                plan=plan,
                revision=plan.revision,
                item=item,
                frequency=frequency,
                responsible=responsible,
            )
            changed += 1
    return plan, changed


def _merge(*bodies: dict[str, Any] | None) -> dict[str, Any]:
    return {"problems": [p for b in bodies if b for p in b.get("problems", [])]}


@transaction.atomic
def sign_plan(*, acting_user: User, plan: TreatmentPlan, revision: int | None) -> TreatmentPlan:
    """The clinician's electronic signature (who, when): the plan must be complete; it is locked from now on, and
    the version it amends is superseded."""
    require(acting_user, plan.program_id, PLAN_WRITE)
    plan = _locked_draft(plan, revision)
    previous = plan.replaces.body if plan.replaces else None
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
def acknowledge_plan(*, acting_user: User, plan: TreatmentPlan, patient_name: str, attested: bool) -> TreatmentPlan:
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
def amend_plan(*, acting_user: User, plan: TreatmentPlan, version: int, reason: str) -> TreatmentPlan:
    """A new draft version copying the signed plan in force; `version` must be the version the client read."""
    require(acting_user, plan.program_id, PLAN_WRITE)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the plan is amended."})
    locked = TreatmentPlan.objects.select_for_update().select_related("patient", "episode").get(pk=plan.pk)
    newest = TreatmentPlan.objects.filter(episode_id=locked.episode_id).order_by("-version").first()
    assert newest is not None  # the episode has at least the locked plan
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
def review_plan(
    *, acting_user: User, plan: TreatmentPlan, note: str, reviewed_at: datetime | None = None
) -> PlanReview:
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
    assert plan.clinician_signed_at is not None  # a signed plan has its signature time
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
def save_template(
    *, acting_user: User, program: Program, name: str, level_codes: list[str], body: dict[str, Any]
) -> PlanTemplate:
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
def template_from_plan(*, acting_user: User, plan: TreatmentPlan, name: str, level_codes: list[str]) -> PlanTemplate:
    start = plan.patient.program.day_of(plan.created_at)  # the day start_plan counted from
    return save_template(
        acting_user=acting_user,
        program=plan.patient.program,
        name=name,
        level_codes=level_codes,
        body=plans.to_template(plan.body, start),
    )


# --- sessions, roster, attendance ----------------------------------------------------------------------


def readable_sessions(user: Viewer, program: Program) -> QuerySet[Session]:
    """The sessions of the program this user may open: every group session (its roster then shows only the patients
    they may see), and an individual session only when they may open its patient's chart. Anyone else finds an
    individual session missing, and sees its time on the schedule as "busy" (see `is_busy`)."""
    if not has_permission(user, program.pk, CHART_READ):
        return Session.objects.none()
    own_patients = RosterEntry.objects.filter(
        session__program=program, patient__in=visible_patients(user, program)
    ).values("session_id")
    return Session.objects.filter(program=program).filter(
        Q(kind=Session.Kind.GROUP) | Q(kind=Session.Kind.INDIVIDUAL, pk__in=own_patients)
    )


def readable_session(user: Viewer, session_id: int | str) -> Session | None:
    """The session if this user may open it (any of their programs); None, the same for missing and forbidden."""
    session = Session.objects.select_related("program", "facilitator").filter(pk=session_id).first()
    if session is None or not readable_sessions(user, session.program).filter(pk=session.pk).exists():
        return None
    return session


def session_as_seen_by(user: Viewer, session: Session) -> dict[str, Any]:
    """What a reader sees of a session, for the page and the API alike: a row for each rostered patient they may see
    (the patient, the attendance mark, their part of the group note), how many others are on the roster, and the
    group note."""
    visible = set(visible_patients(user, session.program).values_list("pk", flat=True))
    roster = list(session.roster.select_related("patient"))
    marks = {m.patient_id: m for m in session.attendance.all()}
    note = GroupNote.objects.filter(session=session).select_related("written_by").prefetch_related("entries").first()
    parts = {e.patient_id: e.text for e in note.entries.all()} if note else {}
    rows = [
        {"patient": e.patient, "mark": marks.get(e.patient_id), "entry": parts.get(e.patient_id, "")}
        for e in roster
        if e.patient_id in visible
    ]
    return {"rows": rows, "hidden": len(roster) - len(rows), "note": note}


def mark_busy(user: Viewer, program: Program, sessions: list[Session]) -> list[Session]:
    """Sets `busy` on each session the user may not open (an individual session of a patient outside their care
    teams): the schedule then shows its time only."""
    readable = set(
        readable_sessions(user, program).filter(pk__in=[s.pk for s in sessions]).values_list("pk", flat=True)
    )
    for session in sessions:
        cast(Any, session).busy = session.pk not in readable  # a mark for the schedule, not a field
    return sessions


@transaction.atomic
def schedule_session(
    *,
    acting_user: User,
    program: Program,
    kind: str,
    modality: str,
    topic: str,
    facilitator: User | None,
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
    assert facilitator is not None  # refused above otherwise
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
def add_to_roster(*, acting_user: User, session: Session, patient: Patient) -> RosterEntry:
    require(acting_user, session.program_id, SESSION_WRITE)
    if patient.program_id != session.program_id:
        raise ValidationError({"patient": "This patient belongs to another program."})
    if not Episode.objects.filter(patient=patient, discharged_at__isnull=True).exists():
        raise ValidationError({"patient": f"{named_for(acting_user, [patient])} is not in care (no open episode)."})
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.kind == Session.Kind.INDIVIDUAL and session.roster.exists():
        raise ValidationError({"patient": "An individual session has one patient."})
    if session.roster.filter(patient=patient).exists():
        raise ValidationError({"patient": f"{named_for(acting_user, [patient])} is already on the roster."})
    entry = RosterEntry.objects.create(
        program_id=session.program_id, session=session, patient=patient, added_by=acting_user
    )
    audit.record(acting_user, "session.roster.add", patient=patient, obj=entry, detail={"session": session.pk})
    return entry


@transaction.atomic
def mark_attendance(
    *, acting_user: User, session: Session, patient: Patient, status: str, now: datetime | None = None
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
                "patient": f"{named_for(acting_user, [patient])} is not on this session's roster: add them to the "
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
def mark_group_attendance(
    *, acting_user: User, session: Session, marks: dict[Patient, str], now: datetime | None = None
) -> list[Attendance]:
    """The attendance of several rostered patients in one save ({patient: status}): every mark is recorded, or, when
    one is wrong, none; each error says whose mark it is, as the reader may see them."""
    require(acting_user, session.program_id, SESSION_WRITE)
    recorded, errors = [], []
    for patient, status in marks.items():
        try:
            with transaction.atomic():
                recorded.append(
                    mark_attendance(acting_user=acting_user, session=session, patient=patient, status=status, now=now)
                )
        except ValidationError as error:
            errors += [f"{named_for(acting_user, [patient])}: {m}" for m in error.messages]
    if errors:
        raise ValidationError({"attendance": errors})
    return recorded


@transaction.atomic
def write_group_note(*, acting_user: User, session: Session, body: str, entries: dict[int, str]) -> GroupNote:
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
    elif named := patients_named_in(body, session.program):
        errors["body"] = (
            f"The group part names {named_for(acting_user, named)}: it is copied into every attendee's chart, so "
            "write about one patient only in their individualized part."
        )
    marks = {m.patient_id: m for m in Attendance.objects.filter(session=session).select_related("patient")}
    roster = list(session.roster.select_related("patient"))
    unmarked = [e.patient for e in roster if e.patient_id not in marks]
    if unmarked:
        errors["attendance"] = f"Mark attendance first for {named_for(acting_user, unmarked)}."
    clean = {}
    for patient_id, text in (entries or {}).items():
        mark = marks.get(patient_id)
        text = (text or "").strip()
        if mark is None or not mark.attended:
            if text:
                errors[f"entries.{patient_id}"] = "Only an attendee (present, late, left early) gets a part."
            continue
        clean[patient_id] = text
    missing = [mark.patient for patient_id, mark in marks.items() if mark.attended and not clean.get(patient_id)]
    visible = set(visible_patients(acting_user, session.program).values_list("pk", flat=True))
    for patient in missing:
        if patient.pk in visible:
            errors[f"entries.{patient.pk}"] = f"Write the individualized part for {named_for(acting_user, [patient])}."
    hidden = [patient for patient in missing if patient.pk not in visible]
    if hidden:  # keyed by no patient id: the reader learns how many, not who
        errors["entries"] = (
            f"Write the individualized part for {named_for(acting_user, hidden)}: only someone on their care "
            "team can write it."
        )
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


def patients_named_in(text: str, program: Program) -> list[Patient]:
    """The program's patients whose given, family or preferred name appears in the text as a whole word, in any case:
    the roster's and everyone else's, since a group part lands in every attendee's chart."""
    text = " ".join(text.casefold().split())
    # sanctioned: names of every patient of the program, compared only; a writer is told only those they may see
    return [
        patient
        for patient in Patient.objects.filter(program=program).select_related("program")
        if any(_names_word(name, text) for name in (patient.given_name, patient.family_name, patient.preferred_name))
    ]


def _names_word(name: str, text: str) -> bool:
    name = " ".join(name.casefold().split())
    return bool(name) and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


# --- notes ------------------------------------------------------------------------------------------


@transaction.atomic
def write_progress_note(
    *,
    acting_user: User,
    patient: Patient,
    body: str,
    occurred_at: datetime,
    session: Session | None = None,
    objective_updates: list[dict[str, Any]] | None = None,
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
    updates: list[dict[str, Any]] = []
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
def write_counseling_note(*, acting_user: User, patient: Patient, body: str, occurred_at: datetime) -> CounselingNote:
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


def on_care_team(user: User, patient: Patient) -> bool:
    return patient.care_team_id is not None and user.care_teams.filter(pk=patient.care_team_id).exists()


def readable_counseling_notes(user: User, patient: Patient) -> QuerySet[CounselingNote]:
    """Counseling notes this user may read: their own, and, when their role may read counseling notes and they are
    on the patient's care team (not through break-the-glass), the team's. Everyone else: none."""
    if not has_permission(user, patient.program_id, CHART_READ):
        return CounselingNote.objects.none()
    notes = CounselingNote.objects.filter(patient=patient, program_id=patient.program_id)
    if has_permission(user, patient.program_id, COUNSELING_NOTE_READ) and on_care_team(user, patient):
        return notes
    return notes.filter(written_by=user)


def may_keep_counseling_notes(user: Viewer, patient: Patient) -> bool:
    return has_permission(user, patient.program_id, COUNSELING_NOTE_WRITE) or has_permission(
        user, patient.program_id, COUNSELING_NOTE_READ
    )


def require_counseling_access(user: Viewer, patient: Patient) -> None:
    if not (
        has_permission(user, patient.program_id, COUNSELING_NOTE_WRITE)
        or has_permission(user, patient.program_id, COUNSELING_NOTE_READ)
    ):
        raise PermissionDenied("Your role does not keep or read SUD counseling notes.")
