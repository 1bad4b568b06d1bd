"""Every change to a patient's record: one function each, atomic, with its audit event and timeline line.

Views and API views parse input, call these, and render; the demo command calls them too.
Rule violations raise django.core.exceptions.ValidationError keyed by the offending field.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Field, Model, Q
from django.utils import timezone

from waypoint.accounts.models import CareTeam, Program, ProgramLevel, User
from waypoint.accounts.roles import CAPACITY_OVERRIDE, EPISODE_MANAGE, PATIENT_EDIT, PATIENT_REGISTER
from waypoint.audit import trail as audit
from waypoint.web.errors import StaleVersion

from . import settings as registration
from . import transition_checks
from .access import has_permission, require
from .models import Episode, LevelOfCareStay, Patient
from .recording import write_timeline

if TYPE_CHECKING:
    from waypoint.placements.models import PlacementAssessment

# Functions `(acting_user, episode, event)` called after an admission ("admission") or a discharge
# ("end_of_treatment") is saved, in its transaction; other areas register them in their ready()
# (waypoint/regulatory: the central-registry report). The patients app depends on none of them.
EPISODE_HOOKS: list[Callable[[User, Episode, str], None]] = []


def _episode_hooks(acting_user: User, episode: Episode, event: str) -> None:
    for hook in EPISODE_HOOKS:
        hook(acting_user, episode, event)


# A timestamp a few minutes ahead of the server's clock is a device's clock drift, not a future event.
CLOCK_SKEW = timedelta(minutes=5)

EDITABLE_FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "preferred_name",
    "birth_date",
    "sex_at_birth",
    "gender_identity",
    "pronouns",
    "preferred_language",
    "phone",
    "address_line",
    "city",
    "state",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "allergies",
    "alerts",
    "care_team",
)


def _not_future(value: datetime, field: str) -> None:
    if value > timezone.now() + CLOCK_SKEW:
        raise ValidationError({field: "This time is in the future."})


def _check_team(program: Program, team: CareTeam | None) -> None:
    if team is not None and team.program_id != program.pk:
        raise ValidationError({"care_team": "This care team belongs to another program."})


def _check_mrn(program: Program, mrn: str, exclude_pk: int | None = None) -> None:
    # sanctioned (not visible_patients): an MRN is unique in the whole program, seen or not
    # the stubs refuse None for pk, which Django reads as IS NULL: excluding it (no patient to spare) excludes nothing
    clash = Patient.objects.filter(program=program, mrn=mrn).exclude(pk=exclude_pk)  # type: ignore[misc]
    if clash.exists():
        raise ValidationError({"mrn": f"MRN {mrn} is already in use in this program."})


def _save(obj: Model, field_on_clash: str, message: str) -> None:
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:  # lost a race with a concurrent save: same rule, same answer
        raise ValidationError({field_on_clash: message}) from exc


def _day(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def check_no_overlap(
    patient: Patient, start: datetime, end: datetime | None, *, field: str, what: str, episode: Episode | None = None
) -> None:
    """Refuse an admission or stay [start, end) (end None: still open) that overlaps another episode of care of
    the patient or a level-of-care stay outside `episode`; touching (one ends when the next begins) is allowed.
    The message names the period it collides with."""
    episodes = Episode.objects.filter(patient=patient).filter(
        Q(discharged_at__isnull=True) | Q(discharged_at__gt=start)
    )
    stays = LevelOfCareStay.objects.filter(patient=patient).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
    if end is not None:
        episodes = episodes.filter(admitted_at__lt=end)
        stays = stays.filter(started_at__lt=end)
    if episode is not None:
        episodes = episodes.exclude(pk=episode.pk)
        stays = stays.exclude(episode=episode)
    clash = episodes.order_by("admitted_at").first()
    if clash is not None:
        until = f"to {_day(clash.discharged_at)}" if clash.discharged_at else "still open"
        raise ValidationError(
            {
                field: f"{what} overlaps the episode of care from {_day(clash.admitted_at)} ({until}); "
                "episodes and stays of a patient may not overlap."
            }
        )
    stay = stays.order_by("started_at").first()
    if stay is not None:
        until = f"to {_day(stay.ended_at)}" if stay.ended_at else "still open"
        raise ValidationError(
            {
                field: f"{what} overlaps the stay at {stay.level_code} from {_day(stay.started_at)} "
                f"({until}); episodes and stays of a patient may not overlap."
            }
        )


def team_for_level(patient: Patient, level_code: str, chosen: CareTeam | None) -> CareTeam:
    """The care team that will look after the patient at `level_code`: the one chosen, else the patient's own, else
    the program's only team covering the level. A patient admitted to a level of care is always on a team that
    covers it, so that the staff who must care for them see them (board, search, work lists). Refused, naming
    `care_team`: no such team, or several to choose from."""
    team = chosen or patient.care_team
    if team is not None:
        _check_team(patient.program, team)
        if not team.covers(level_code):
            names = ", ".join(t.name for t in _teams_covering(patient.program, level_code)) or "none"
            raise ValidationError(
                {
                    "care_team": f"The {team.name} does not look after patients at {level_code}. "
                    f"Choose a team that does ({names})."
                }
            )
        return team
    covering = _teams_covering(patient.program, level_code)
    if len(covering) == 1:
        return covering[0]
    if not covering:
        message = (
            f"No care team of this program looks after patients at {level_code}: an administrator must set one up."
        )
    else:
        message = (
            f"{patient.display_name} is on no care team: choose the team that will care for them at {level_code} "
            f"({', '.join(t.name for t in covering)}), or nobody on the ward would see them."
        )
    raise ValidationError({"care_team": message})


def _keep_covered(patient: Patient) -> None:
    """A change of care team may not leave an admitted patient on no team, or on one not covering their level."""
    stay = LevelOfCareStay.objects.filter(patient=patient, ended_at__isnull=True).first()
    if stay is None:
        return
    if patient.care_team is None:
        raise ValidationError(
            {
                "care_team": f"{patient.display_name} is admitted at {stay.level_code}: "
                "choose the team that cares for them."
            }
        )
    team_for_level(patient, stay.level_code, patient.care_team)


def _teams_covering(program: Program, level_code: str) -> list[CareTeam]:
    return [team for team in CareTeam.objects.filter(program=program) if team.covers(level_code)]


def _join_team(
    acting_user: User, patient: Patient, team: CareTeam, level_code: str, episode: Episode, at: datetime
) -> None:
    """Put the patient on the team for the new level (same transaction as the admission or transfer)."""
    if patient.care_team_id == team.pk:
        return
    # sanctioned: the patient this admission or transfer already holds
    Patient.objects.filter(pk=patient.pk).update(care_team=team, updated_at=timezone.now(), version=patient.version + 1)
    patient.care_team, patient.version = team, patient.version + 1
    write_timeline(
        patient, "care_team", f"Care team: {team.name} (for {level_code})", at=at, by=acting_user, episode=episode
    )
    audit.record(acting_user, "patient.update", patient=patient, obj=patient, detail={"fields": ["care_team"]})


def offered_level(program: Program, code: str) -> ProgramLevel:
    found = ProgramLevel.objects.filter(program=program, code=code, active=True).first()
    if found is None:
        raise ValidationError({"level_of_care": f"{code!r} is not a level of care this program offers."})
    return found


def _peak_use(offered: ProgramLevel, at: datetime, episode: Episode | None) -> tuple[int, datetime]:
    """The most stays open at once in the level from `at` on (a backdated stay is open from then until now), and
    the first moment it is reached."""
    occupied = LevelOfCareStay.objects.filter(program_id=offered.program_id, level_code=offered.code).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=at)
    )
    if episode is not None:
        occupied = occupied.exclude(episode=episode)
    intervals = list(occupied.values_list("started_at", "ended_at"))
    peak, when = 0, at
    for instant in sorted({at, *(start for start, _ in intervals if start > at)}):
        in_use = sum(1 for start, end in intervals if start <= instant and (end is None or end > instant))
        if in_use > peak:
            peak, when = in_use, instant
    return peak, when


def check_capacity(
    acting_user: User, offered: ProgramLevel, at: datetime, override_reason: str, episode: Episode | None = None
) -> dict[str, Any]:
    """Refuse a level at capacity (beds or slots in use at `at`, or at any later moment, since the new stay stays
    open from `at` on) unless a director/administrator overrides with a reason. Returns the audit detail of an
    override ({} when none was needed)."""
    if offered.capacity is None:
        return {}
    ProgramLevel.objects.select_for_update().get(pk=offered.pk)  # one capacity decision at a time per level
    in_use, when = _peak_use(offered, at, episode)
    if in_use < offered.capacity:
        return {}
    moment = "" if when == at else f" on {_day(when)}"
    if not override_reason.strip():
        raise ValidationError(
            {
                "level_of_care": f"{offered.code} is full{moment} ({in_use} of {offered.capacity} in "
                "use). A program director or administrator may override with a reason."
            }
        )
    if not has_permission(acting_user, offered.program_id, CAPACITY_OVERRIDE):
        raise ValidationError(
            {
                "capacity_override_reason": "Only a program director or administrator may place "
                "a patient in a full level of care."
            }
        )
    return {"capacity_override": override_reason.strip(), "in_use": in_use, "capacity": offered.capacity}


def next_mrn(program: Program) -> str:
    """The next free MRN in the program's format (setting patients.mrn_format): nobody types one by hand."""
    pattern: str = registration.MRN_FORMAT.get(program)
    # sanctioned: MRNs in use anywhere in the program (uniqueness, not reading anyone's record)
    number = Patient.objects.filter(program=program).count() + 1
    while Patient.objects.filter(program=program, mrn=pattern.format(number=number)).exists():
        number += 1
    return pattern.format(number=number)


def _default_team(acting_user: User, program: Program) -> CareTeam | None:
    """The registering clinician's team; for staff on no team (intake), the program's only team. None when there
    are several: the admission then asks for one (`team_for_level`)."""
    mine = CareTeam.objects.filter(program=program, members=acting_user).first()
    if mine is not None:
        return mine
    teams = list(CareTeam.objects.filter(program=program)[:2])
    return teams[0] if len(teams) == 1 else None


@transaction.atomic
def register_patient(*, acting_user: User, program: Program, **fields: Any) -> Patient:
    require(acting_user, program.pk, PATIENT_REGISTER)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    if fields.get("care_team") is None:  # a new patient joins the registering clinician's team, else the only one
        fields["care_team"] = _default_team(acting_user, program)
    if not (fields.get("mrn") or "").strip():
        fields["mrn"] = next_mrn(program)
    patient = Patient(program=program, **fields)
    patient.full_clean(exclude=["program"], validate_constraints=False)
    _check_team(program, patient.care_team)
    _check_mrn(program, patient.mrn)
    _save(patient, "mrn", f"MRN {patient.mrn} is already in use in this program.")
    write_timeline(patient, "registered", "Registered", at=patient.created_at, by=acting_user)
    audit.record(acting_user, "patient.create", patient=patient, obj=patient)
    return patient


@transaction.atomic
def update_patient(*, acting_user: User, patient: Patient, version: int | None = None, **changes: Any) -> Patient:
    """Change demographics. With `version` (the one the editor read), a record changed since is refused with
    StaleVersion naming who changed which fields, so nobody overwrites another clinician's edit unseen."""
    require(acting_user, patient.program_id, PATIENT_EDIT)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    # sanctioned (not visible_patients): locks the row of a patient the caller found
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if version is not None and version != patient.version:
        raise StaleVersion(changed_since(patient, version))
    changed = sorted(name for name, value in changes.items() if getattr(patient, name) != value)
    for name in changed:
        setattr(patient, name, changes[name])
    if not changed:
        return patient
    patient.full_clean(exclude=["program"], validate_constraints=False)
    _check_team(patient.program, patient.care_team)
    if "care_team" in changed:
        _keep_covered(patient)
    if "mrn" in changed:
        _check_mrn(patient.program, patient.mrn, exclude_pk=patient.pk)
    patient.updated_at = timezone.now()
    patient.version += 1
    _save(patient, "mrn", f"MRN {patient.mrn} is already in use in this program.")
    # The audit event names the fields that changed, not their values: the trail holds no extra PHI.
    audit.record(acting_user, "patient.update", patient=patient, obj=patient, detail={"fields": changed})
    return patient


def changed_since(patient: Patient, version: int) -> str:
    """Who changed which fields of the demographics after `version` (from the audit trail, which names the
    fields but not their values)."""
    from waypoint.audit.models import AuditEvent

    later = (
        AuditEvent.objects.filter(action="patient.update", patient_id=patient.pk)
        .select_related("actor")
        .order_by("-id")[: max(patient.version - version, 0)]
    )
    fields = sorted({field for event in later for field in event.detail.get("fields", [])})
    people = sorted({event.actor.get_full_name() or event.actor.username for event in later if event.actor})
    labels = (
        ", ".join(str(cast("Field[Any, Any]", Patient._meta.get_field(f)).verbose_name) for f in fields)
        or "some fields"
    )
    return (
        f"These demographics were changed by {', '.join(people) or 'someone else'} since you opened them "
        f"(now version {patient.version}; changed: {labels}). Nothing of yours was saved: the form below "
        f"shows your entries; compare them with the chart and save again to keep them."
    )


@transaction.atomic
def admit(
    *,
    acting_user: User,
    patient: Patient,
    admitted_at: datetime,
    level_code: str,
    reason: str = "",
    capacity_override_reason: str = "",
    care_team: CareTeam | None = None,
) -> Episode:
    """Open an episode of care at a level the program offers, with the patient on a care team that covers that
    level (`team_for_level`)."""
    require(acting_user, patient.program_id, EPISODE_MANAGE)
    # sanctioned (not visible_patients): locks the row of a patient the caller found
    patient = Patient.objects.select_for_update().select_related("program").get(pk=patient.pk)
    _not_future(admitted_at, "admitted_at")
    if admitted_at.date() < patient.birth_date:
        raise ValidationError({"admitted_at": "The admission is before the patient's birth date."})
    if patient.episodes.filter(discharged_at__isnull=True).exists():
        raise ValidationError({"admitted_at": "This patient already has an open episode of care."})
    check_no_overlap(patient, admitted_at, None, field="admitted_at", what="The admission")
    offered = offered_level(patient.program, level_code)
    team = team_for_level(patient, offered.code, care_team)
    override = check_capacity(acting_user, offered, admitted_at, capacity_override_reason)
    episode = Episode(program_id=patient.program_id, patient=patient, admitted_at=admitted_at, admitted_by=acting_user)
    _save(episode, "admitted_at", "This patient already has an open episode of care.")
    stay = LevelOfCareStay.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode,
        level_code=offered.code,
        asam_edition=patient.program.asam_edition,
        started_at=admitted_at,
        reason=reason,
        recorded_by=acting_user,
    )
    write_timeline(
        patient, "admitted", f"Admitted to {stay.level.label}", at=admitted_at, by=acting_user, episode=episode
    )
    _join_team(acting_user, patient, team, offered.code, episode, admitted_at)
    audit.record(acting_user, "episode.admit", patient=patient, obj=episode, detail={"level": offered.code, **override})
    _episode_hooks(acting_user, episode, "admission")
    return episode


def _open_episode(episode: Episode) -> Episode:
    episode = Episode.objects.select_for_update().select_related("patient", "program").get(pk=episode.pk)
    if not episode.is_open:
        raise ValidationError({"episode": "This episode of care is already closed."})
    return episode


def _placements() -> type["PlacementAssessment"]:
    """The placement assessments' model, reached through the stay's link (the patients app imports no later app)."""
    return cast("type[PlacementAssessment]", LevelOfCareStay._meta.get_field("placement").related_model)


def latest_placement(patient: Patient, at: datetime, episode: Episode | None = None) -> "PlacementAssessment | None":
    """The patient's most recent placement assessment at or before `at` (with `episode`: not from before the
    previous discharge, so an earlier episode's placement does not count), or None."""
    placements = _placements().objects.filter(patient=patient, at__lte=at)
    if episode is not None:
        previous = (
            Episode.objects.filter(patient=patient, discharged_at__lte=episode.admitted_at)
            .order_by("-discharged_at")
            .values_list("discharged_at", flat=True)
            .first()
        )
        if previous is not None:
            placements = placements.filter(at__gte=previous)
    return placements.order_by("-at", "-id").first()


def _supporting_placement(
    patient: Patient, placement_id: int | str | None, at: datetime
) -> "PlacementAssessment | None":
    if placement_id in (None, ""):
        return None
    found = _placements().objects.filter(patient=patient, pk=placement_id).first()
    if found is None:
        raise ValidationError({"placement": "Not a placement assessment of this patient."})
    if found.at > at:
        raise ValidationError({"placement": f"This placement was assessed after the transfer ({_day(found.at)})."})
    return found


@transaction.atomic
def transfer(
    *,
    acting_user: User,
    episode: Episode,
    at: datetime,
    level_code: str,
    reason: str,
    capacity_override_reason: str = "",
    placement_id: int | None = None,
    care_team: CareTeam | None = None,
) -> LevelOfCareStay:
    """Move a patient to another level of care (step-down or step-up) within the open episode, optionally naming
    the placement assessment that supports the move. The recommendation of the latest placement at that time is
    kept with the stay, so a move against it shows."""
    require(acting_user, episode.program_id, EPISODE_MANAGE)
    episode = _open_episode(episode)
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the change of level of care."})
    _not_future(at, "at")
    current = LevelOfCareStay.objects.select_for_update().get(episode=episode, ended_at__isnull=True)
    transition_checks.run(episode, "transfer")
    if at < current.started_at:
        began = timezone.localtime(current.started_at).strftime("%Y-%m-%d %H:%M")
        raise ValidationError({"at": f"The transfer is before the current stay began ({began})."})
    check_no_overlap(episode.patient, at, None, field="at", what="The new stay", episode=episode)
    offered = offered_level(episode.program, level_code)
    if offered.code == current.level_code:
        raise ValidationError({"level_of_care": "The patient is already at this level of care."})
    supporting = _supporting_placement(episode.patient, placement_id, at)
    team = team_for_level(episode.patient, offered.code, care_team)
    override = check_capacity(acting_user, offered, at, capacity_override_reason, episode=episode)
    latest = latest_placement(episode.patient, at, episode)
    current.ended_at = at
    current.save(update_fields=["ended_at"])
    stay = LevelOfCareStay.objects.create(
        program_id=episode.program_id,
        patient=episode.patient,
        episode=episode,
        level_code=offered.code,
        asam_edition=episode.program.asam_edition,
        started_at=at,
        reason=reason,
        recorded_by=acting_user,
        placement=supporting,
        latest_recommendation=latest.recommended_level if latest else "",
    )
    summary = f"Moved from {current.level.label} to {stay.level.label}: {reason}"
    if supporting is not None:
        summary += f" · placement of {_day(supporting.at)}"
    if stay.against_recommendation:
        summary += f" · against the latest placement's recommendation ({stay.latest_recommendation})"
    write_timeline(episode.patient, "transferred", summary, at=at, by=acting_user, episode=episode)
    _join_team(acting_user, episode.patient, team, offered.code, episode, at)
    audit.record(
        acting_user,
        "episode.transfer",
        patient=episode.patient,
        obj=stay,
        detail={
            "from": current.level_code,
            "to": offered.code,
            "placement": supporting.pk if supporting else None,
            "against_recommendation": stay.against_recommendation,
            **override,
        },
    )
    return stay


@transaction.atomic
def discharge(
    *,
    acting_user: User,
    episode: Episode,
    discharged_at: datetime,
    reason: str,
    note: str = "",
    plan: dict[str, Any] | None = None,
) -> Episode:
    """Close the episode and its open level-of-care stay. `plan` holds the fields of the parts other areas record
    with every discharge (`transition_checks.DISCHARGE_PARTS`, e.g. the continuing-care plan), in this transaction."""
    require(acting_user, episode.program_id, EPISODE_MANAGE)
    episode = _open_episode(episode)
    if reason not in Episode.DischargeReason.values:
        raise ValidationError({"reason": f"Choose one of: {', '.join(Episode.DischargeReason.values)}."})
    if reason == Episode.DischargeReason.OTHER and not note.strip():
        raise ValidationError({"note": "Describe the reason when it is 'other'."})
    _not_future(discharged_at, "discharged_at")
    if discharged_at < episode.admitted_at:
        raise ValidationError({"discharged_at": "The discharge cannot be before the admission."})
    transition_checks.run(episode, "discharge")
    current = LevelOfCareStay.objects.select_for_update().filter(episode=episode, ended_at__isnull=True).first()
    if current is not None:
        if discharged_at < current.started_at:
            raise ValidationError({"discharged_at": "The discharge cannot be before the current level of care began."})
        current.ended_at = discharged_at
        current.save(update_fields=["ended_at"])
    episode.discharged_at = discharged_at
    episode.discharge_reason = reason
    episode.discharge_note = note
    episode.discharged_by = acting_user
    episode.save(update_fields=["discharged_at", "discharge_reason", "discharge_note", "discharged_by"])
    transition_checks.record_discharge_parts(acting_user, episode, plan)
    write_timeline(
        episode.patient,
        "discharged",
        f"Discharged: {episode.get_discharge_reason_display()}",
        at=discharged_at,
        by=acting_user,
        episode=episode,
    )
    audit.record(acting_user, "episode.discharge", patient=episode.patient, obj=episode, detail={"reason": reason})
    _episode_hooks(acting_user, episode, "end_of_treatment")
    return episode


def record_read(
    acting_user: User,
    action: str,
    *,
    patient: Patient | None = None,
    program: Program | None = None,
    obj: Model | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Reads of patient data are audited too (HIPAA audit controls)."""
    audit.record(acting_user, action, patient=patient, program=program, obj=obj, detail=detail)
