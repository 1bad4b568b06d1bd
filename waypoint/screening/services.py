"""Every change to the screening records: one function each, atomic, with its audit event and timeline line.

Errors are ValidationErrors keyed by field: `uses.<n>.<field>` for a substance row of the history,
`answers.<item>[.<field>]` for the screen, plain field names otherwise.
"""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from waypoint.accounts.models import User
from waypoint.accounts.roles import CHART_READ, EPISODE_MANAGE
from waypoint.audit import trail as audit
from waypoint.patients.access import require
from waypoint.patients.models import Episode, LevelOfCareStay, Patient
from waypoint.patients.recording import episode_at, write_timeline
from waypoint.patients.services import CLOCK_SKEW
from waypoint.screening_rules import complications, followups, overdose

from . import settings as program_settings
from .models import (
    FREQUENCIES,
    ROUTE_LABELS,
    ROUTES_FOR,
    SUBSTANCE_LABELS,
    Education,
    FollowUp,
    History,
    NaloxoneKit,
    Refusal,
    Screen,
    SubstanceUse,
    UseEvent,
)

SCREEN = complications.HEROIN_COMPLICATIONS


def _not_future(value: date | datetime | None, field: str) -> None:
    if value is None:
        return
    if isinstance(value, datetime):
        if value > timezone.now() + CLOCK_SKEW:
            raise ValidationError({field: "This time is in the future."})
    elif value > timezone.localdate():
        raise ValidationError({field: "This date is in the future."})


# --- substance use history ---------------------------------------------------------------------------

HISTORY_FIELDS = (
    "fentanyl_xylazine",
    "prior_overdoses",
    "most_recent_overdose",
    "naloxone_used",
    "uses_alone",
    "shared_equipment",
    "prior_treatment",
    "conditions",
)
USE_FIELDS = ("substance", "other_name", "routes", "frequency", "amount", "age_first_use", "last_use")


def _check_use(patient: Patient, n: int, use: dict[str, Any], errors: dict[str, str]) -> None:
    key = f"uses.{n}"
    unknown = set(use) - set(USE_FIELDS)
    for name in sorted(unknown):
        errors[f"{key}.{name}"] = "Unknown field."
    substance = use.get("substance")
    if substance not in SUBSTANCE_LABELS:
        errors[f"{key}.substance"] = f"Choose one of: {', '.join(SUBSTANCE_LABELS)}."
        return
    if substance == "other" and not (use.get("other_name") or "").strip():
        errors[f"{key}.other_name"] = "Name the other substance."
    routes = use.get("routes") or []
    if not isinstance(routes, list) or any(r not in ROUTE_LABELS for r in routes):
        errors[f"{key}.routes"] = f"Routes are a list of: {', '.join(ROUTE_LABELS)}."
    else:
        wrong = [r for r in routes if r not in ROUTES_FOR[substance]]
        if wrong:
            errors[f"{key}.routes"] = (
                f"{', '.join(ROUTE_LABELS[r] for r in wrong)} does not apply to {SUBSTANCE_LABELS[substance].lower()}."
            )
        elif len(set(routes)) != len(routes):
            errors[f"{key}.routes"] = "A route is listed twice."
    if use.get("frequency", "unknown") not in dict(FREQUENCIES):
        errors[f"{key}.frequency"] = f"Choose one of: {', '.join(dict(FREQUENCIES))}."
    age = use.get("age_first_use")
    if age is not None and (isinstance(age, bool) or not isinstance(age, int) or not 1 <= age <= patient.age):
        errors[f"{key}.age_first_use"] = f"Give an age from 1 to the patient's age ({patient.age})."
    last = use.get("last_use")
    if last is not None:
        if not isinstance(last, datetime) or last.tzinfo is None:
            errors[f"{key}.last_use"] = "Give a date and time."
        elif last > timezone.now() + CLOCK_SKEW:
            errors[f"{key}.last_use"] = "The last use cannot be in the future."
        elif last.date() < patient.birth_date:
            errors[f"{key}.last_use"] = "The last use is before the patient's birth date."


@transaction.atomic
def record_history(*, acting_user: User, patient: Patient, uses: list[Any], **fields: Any) -> History:
    """Record the substance use history as a new version (the previous one stays)."""
    require(acting_user, patient.program_id, EPISODE_MANAGE)
    errors: dict[str, str] = {name: "Unknown field." for name in sorted(set(fields) - set(HISTORY_FIELDS))}
    if not isinstance(uses, list) or not uses:
        errors["uses"] = "List at least one substance."
        uses = []
    seen = set()
    for n, use in enumerate(uses):
        if not isinstance(use, dict):
            errors[f"uses.{n}"] = "Expected an object."
            continue
        _check_use(patient, n, use, errors)
        marker = (use.get("substance"), (use.get("other_name") or "").strip().lower())
        if marker in seen:
            errors[f"uses.{n}.substance"] = "This substance is listed twice."
        seen.add(marker)
    prior = fields.get("prior_overdoses", 0)
    if isinstance(prior, bool) or not isinstance(prior, int) or prior < 0:
        errors["prior_overdoses"] = "Give a whole number, 0 or more."
        prior = 0
    recent = fields.get("most_recent_overdose")
    if recent is not None:
        if recent > patient.program.today():  # the program's day, also for an API call (no time zone active)
            errors["most_recent_overdose"] = "This date is in the future."
        elif prior == 0:
            errors["most_recent_overdose"] = "A most recent overdose is given but no prior overdoses are counted."
    if fields.get("naloxone_used") is not None and prior == 0:
        errors["naloxone_used"] = "Naloxone use at an overdose is given but no prior overdoses are counted."
    routes = {r for use in uses if isinstance(use, dict) for r in (use.get("routes") or []) if isinstance(r, str)}
    if fields.get("shared_equipment") and "injection" not in routes:
        errors["shared_equipment"] = "Shared injection equipment is given but no substance is injected."
    conditions = fields.get("conditions") or []
    if not isinstance(conditions, list) or any(c not in overdose.CONDITIONS for c in conditions):
        errors["conditions"] = f"Conditions are a list of: {', '.join(overdose.CONDITIONS)}."
    supply = fields.get("fentanyl_xylazine", History.Supply.NO)
    if supply not in History.Supply.values:
        errors["fentanyl_xylazine"] = f"Choose one of: {', '.join(History.Supply.values)}."
    if errors:
        raise ValidationError(errors)
    # sanctioned (not visible_patients): locks the row of a patient the caller found
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    latest = History.objects.filter(patient=patient).order_by("-version").first()
    history = History.objects.create(
        program_id=patient.program_id,
        patient=patient,
        version=(latest.version + 1) if latest else 1,
        recorded_by=acting_user,
        **{**fields, "conditions": conditions},
    )
    for use in uses:
        SubstanceUse.objects.create(program_id=patient.program_id, history=history, **use)
    now = timezone.now()
    names = ", ".join(SUBSTANCE_LABELS[u["substance"]].lower() for u in uses)
    write_timeline(
        patient,
        "screening.history",
        f"Substance use history recorded (version {history.version}): {names}",
        at=now,
        by=acting_user,
        episode=episode_at(patient, now),
    )
    audit.record(
        acting_user, "screening.history.create", patient=patient, obj=history, detail={"version": history.version}
    )
    return history


def current_history(patient: Patient) -> History | None:
    return History.objects.filter(patient=patient).prefetch_related("uses").order_by("-version").first()


# --- complication screen and follow-ups ---------------------------------------------------------------


def _answers_from(raw: object) -> dict[str, object]:
    """Accept JSON-ish answers (since as ISO text) for the pure validator."""
    if not isinstance(raw, dict):
        raise ValidationError({"answers": "Expected an object of item answers."})
    converted = {}
    for key, value in raw.items():
        if isinstance(value, dict) and isinstance(value.get("since"), str):
            since = parse_date(value["since"]) if value["since"] else None
            if value["since"] and since is None:
                raise ValidationError({f"answers.{key}.since": "Give a date (YYYY-MM-DD)."})
            value = {**value, "since": since}
        converted[key] = value
    return converted


@transaction.atomic
def record_screen(*, acting_user: User, patient: Patient, answers: object, taken_at: datetime) -> Screen:
    """Store a complication screen and open the follow-ups its present items (and injection) call for."""
    require(acting_user, patient.program_id, EPISODE_MANAGE)
    _not_future(taken_at, "taken_at")
    try:
        clean = complications.validate(SCREEN, _answers_from(answers), today=patient.program.today())
    except complications.ScreenError as error:
        raise ValidationError(error.errors) from error
    stored = {
        key: {"status": a.status, "since": a.since.isoformat() if a.since else None, "note": a.note}
        for key, a in clean.items()
    }
    screen = Screen.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode_at(patient, taken_at),
        screen_code=SCREEN.code,
        screen_version=SCREEN.version,
        taken_at=taken_at,
        answers=stored,
        recorded_by=acting_user,
    )
    history = current_history(patient)
    due = followups.follow_ups_for(complications.present_keys(clean), history.routes if history else ())
    already = set(FollowUp.objects.filter(patient=patient, status__in=FollowUp.OPEN).values_list("code", flat=True))
    opened = [
        FollowUp.objects.create(
            program_id=patient.program_id, patient=patient, code=d.code, reasons=list(d.reasons), updated_by=acting_user
        )
        for d in due
        if d.code not in already
    ]
    present = len(screen.present)
    write_timeline(
        patient,
        "screening.screen",
        f"Complication screen: {present} present, {len(opened)} follow-up(s) opened",
        at=taken_at,
        by=acting_user,
        episode=screen.episode,
    )
    audit.record(
        acting_user,
        "screening.screen.create",
        patient=patient,
        obj=screen,
        detail={"present": present, "follow_ups": [f.code for f in opened]},
    )
    return screen


NEXT: dict[str, set[str]] = {
    FollowUp.Status.DUE: {
        FollowUp.Status.ORDERED,
        FollowUp.Status.DONE,
        FollowUp.Status.DECLINED,
        FollowUp.Status.NOT_APPLICABLE,
    },
    FollowUp.Status.ORDERED: {FollowUp.Status.DONE, FollowUp.Status.DECLINED, FollowUp.Status.NOT_APPLICABLE},
}


@transaction.atomic
def update_follow_up(
    *, acting_user: User, follow_up: FollowUp, status: str, result: str = "", note: str = ""
) -> FollowUp:
    """Move a follow-up on: due -> ordered -> done (with its result) / declined / not applicable."""
    require(acting_user, follow_up.program_id, EPISODE_MANAGE)
    follow_up = FollowUp.objects.select_for_update().select_related("patient").get(pk=follow_up.pk)
    allowed = NEXT.get(follow_up.status, set())
    if status not in allowed:
        if not allowed:
            raise ValidationError({"status": f"This follow-up is already {follow_up.get_status_display().lower()}."})
        raise ValidationError({"status": f"From {follow_up.status} it can go to: {', '.join(sorted(allowed))}."})
    if status == FollowUp.Status.DONE and not result.strip():
        raise ValidationError({"result": "Give the result."})
    if status in (FollowUp.Status.DECLINED, FollowUp.Status.NOT_APPLICABLE) and not note.strip():
        raise ValidationError({"note": "Say why."})
    follow_up.status, follow_up.result, follow_up.note = status, result, note
    follow_up.updated_by, follow_up.updated_at = acting_user, timezone.now()
    follow_up.save(update_fields=["status", "result", "note", "updated_by", "updated_at"])
    if status != FollowUp.Status.ORDERED:
        write_timeline(
            follow_up.patient,
            "screening.follow_up",
            f"{follow_up.get_code_display()}: {follow_up.get_status_display().lower()}",
            at=follow_up.updated_at,
            by=acting_user,
            episode=episode_at(follow_up.patient, follow_up.updated_at),
        )
    audit.record(
        acting_user, "screening.follow_up.update", patient=follow_up.patient, obj=follow_up, detail={"status": status}
    )
    return follow_up


# --- naloxone, education, refusals, events ----------------------------------------------------------


@transaction.atomic
def dispense_naloxone(
    *,
    acting_user: User,
    patient: Patient,
    dispensed_at: datetime,
    formulation: str,
    strength: str,
    quantity: int,
    recipient: str = "patient",
    recipient_name: str = "",
) -> NaloxoneKit:
    require(acting_user, patient.program_id, EPISODE_MANAGE)
    errors = {}
    if formulation not in NaloxoneKit.Formulation.values:
        errors["formulation"] = f"Choose one of: {', '.join(NaloxoneKit.Formulation.values)}."
    if not strength.strip():
        errors["strength"] = "Give the strength (e.g. 4 mg per spray)."
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 20:
        errors["quantity"] = "Give a quantity from 1 to 20."
    if recipient not in NaloxoneKit.Recipient.values:
        errors["recipient"] = "Choose patient or family."
    elif recipient == NaloxoneKit.Recipient.FAMILY and not recipient_name.strip():
        errors["recipient_name"] = "Name the family member who received the kit."
    if errors:
        raise ValidationError(errors)
    _not_future(dispensed_at, "dispensed_at")
    kit = NaloxoneKit.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode_at(patient, dispensed_at),
        dispensed_at=dispensed_at,
        formulation=formulation,
        strength=strength,
        quantity=quantity,
        recipient=recipient,
        recipient_name=recipient_name,
        recorded_by=acting_user,
    )
    to = "the patient" if recipient == "patient" else recipient_name
    write_timeline(
        patient,
        "screening.naloxone",
        f"Naloxone dispensed: {quantity} x {kit.get_formulation_display()} to {to}",
        at=dispensed_at,
        by=acting_user,
        episode=kit.episode,
    )
    audit.record(acting_user, "screening.naloxone.dispense", patient=patient, obj=kit)
    return kit


@transaction.atomic
def record_education(
    *, acting_user: User, patient: Patient, given_at: datetime, given_by: User | None = None, note: str = ""
) -> Education:
    require(acting_user, patient.program_id, EPISODE_MANAGE)
    _not_future(given_at, "given_at")
    given_by = given_by or acting_user
    education = Education.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode_at(patient, given_at),
        given_at=given_at,
        given_by=given_by,
        note=note,
        recorded_by=acting_user,
    )
    write_timeline(
        patient,
        "screening.education",
        f"Overdose-prevention education given by {given_by.get_username()}",
        at=given_at,
        by=acting_user,
        episode=education.episode,
    )
    audit.record(acting_user, "screening.education.create", patient=patient, obj=education)
    return education


@transaction.atomic
def record_refusal(*, acting_user: User, patient: Patient, what: str, refused_at: datetime, note: str = "") -> Refusal:
    require(acting_user, patient.program_id, EPISODE_MANAGE)
    if what not in Refusal.What.values:
        raise ValidationError({"what": "Choose kit or education."})
    _not_future(refused_at, "refused_at")
    refusal = Refusal.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode_at(patient, refused_at),
        what=what,
        refused_at=refused_at,
        note=note,
        recorded_by=acting_user,
    )
    write_timeline(
        patient,
        "screening.refusal",
        f"Patient refused: {refusal.get_what_display().lower()}",
        at=refused_at,
        by=acting_user,
        episode=refusal.episode,
    )
    audit.record(acting_user, "screening.refusal.create", patient=patient, obj=refusal, detail={"what": what})
    return refusal


@transaction.atomic
def record_event(
    *,
    acting_user: User,
    patient: Patient,
    kind: str,
    occurred_at: datetime,
    place: str = "",
    naloxone_given: bool | None = None,
    outcome: str = "",
    substance: str = "",
    how_known: str = "",
    note: str = "",
) -> UseEvent:
    require(acting_user, patient.program_id, EPISODE_MANAGE)
    errors = {}
    if kind not in UseEvent.Kind.values:
        errors["kind"] = "Choose overdose or return_to_use."
    elif kind == UseEvent.Kind.OVERDOSE:
        if outcome not in UseEvent.Outcome.values:
            errors["outcome"] = f"Choose one of: {', '.join(UseEvent.Outcome.values)}."
        if substance and substance not in SUBSTANCE_LABELS:
            errors["substance"] = f"Choose one of: {', '.join(SUBSTANCE_LABELS)}."
    else:
        if substance not in SUBSTANCE_LABELS:
            errors["substance"] = f"Choose one of: {', '.join(SUBSTANCE_LABELS)}."
        if not how_known.strip():
            errors["how_known"] = "Say how the return to use is known (e.g. patient report, urine test)."
        if naloxone_given is not None or outcome:
            errors["kind"] = "Naloxone and outcome belong to an overdose, not a return to use."
    if errors:
        raise ValidationError(errors)
    _not_future(occurred_at, "occurred_at")
    episode = episode_at(patient, occurred_at)
    event = UseEvent.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode,
        kind=kind,
        occurred_at=occurred_at,
        during_care=episode is not None,
        place=place,
        naloxone_given=naloxone_given,
        outcome=outcome,
        substance=substance,
        how_known=how_known,
        note=note,
        recorded_by=acting_user,
    )
    if kind == UseEvent.Kind.OVERDOSE:
        nal = {True: ", naloxone given", False: ", no naloxone", None: ""}[naloxone_given]
        summary = f"Overdose{' during care' if episode else ''}{nal}: {event.get_outcome_display().lower()}"
    else:
        summary = f"Return to use: {SUBSTANCE_LABELS[substance].lower()} ({how_known})"
    write_timeline(patient, f"screening.{kind}", summary, at=occurred_at, by=acting_user, episode=episode)
    audit.record(acting_user, f"screening.event.{kind}", patient=patient, obj=event)
    return event


# --- the overdose-risk picture and the transition check ---------------------------------------------


def _stay_kind(stay: LevelOfCareStay) -> str:
    lvl = stay.level
    if lvl.is_withdrawal_management:
        return "withdrawal"
    return "residential" if lvl.has_beds else "other"


def risk_picture(patient: Patient, now: datetime | None = None) -> overdose.Picture:
    """The overdose-risk picture from the records in force: history, latest screen, stays, events."""
    now = now or timezone.now()
    history = current_history(patient)
    screen = Screen.objects.filter(patient=patient).first()
    events = list(UseEvent.objects.filter(patient=patient))
    uses = list(history.uses.all()) if history else []
    times = [u.last_use for u in uses if u.last_use] + [e.occurred_at for e in events]
    last_use = max(times) if times else None
    stays = tuple(
        overdose.Stay(_stay_kind(s), s.started_at, s.ended_at) for s in LevelOfCareStay.objects.filter(patient=patient)
    )
    traces = overdose.derive_loss_of_tolerance(
        stays=stays, last_use=last_use, now=now, days_without_use=program_settings.DAYS_WITHOUT_USE.get(patient.program)
    )
    facts = overdose.Facts(
        prior_overdoses=history.prior_overdoses if history else 0,
        overdose_events=sum(1 for e in events if e.kind == UseEvent.Kind.OVERDOSE),
        substances=tuple(u.substance for u in uses),
        routes=tuple(r for u in uses for r in u.routes),
        uses_alone=bool(history and history.uses_alone),
        fentanyl_or_xylazine=bool(history and history.fentanyl_xylazine != History.Supply.NO),
        conditions=tuple(history.conditions) if history else (),
        present_items=tuple(screen.present) if screen else (),
        tolerance_traces=traces,
        referral_flags=tuple(
            flag for flags in patient.referrals.values_list("priority_flags", flat=True) for flag in flags or ()
        ),
    )
    return overdose.picture(facts, tuple(program_settings.HIGH_FACTORS.get(patient.program)))


def read_risk(*, acting_user: User, patient: Patient) -> overdose.Picture:
    require(acting_user, patient.program_id, CHART_READ)
    return risk_picture(patient)


def naloxone_missing(episode: Episode) -> list[str]:
    """What the episode still lacks before a transition (empty: nothing)."""

    def has(model: type[NaloxoneKit | Education], what: str | None = None) -> bool:
        found = model.objects.filter(episode_id=episode.pk).exists()
        refused = Refusal.objects.filter(episode_id=episode.pk, what=what).exists()
        return found or refused

    missing = []
    if not has(NaloxoneKit, Refusal.What.KIT):
        missing.append("a naloxone kit dispensed (or the patient's refusal)")
    if not has(Education, Refusal.What.EDUCATION):
        missing.append("overdose-prevention education given (or the patient's refusal)")
    return missing


def naloxone_transition_check(episode: Episode, kind: str) -> dict[str, str]:
    if not program_settings.REQUIRE_NALOXONE_AT_TRANSITION.get(episode.program):
        return {}
    missing = naloxone_missing(episode)
    if not missing:
        return {}
    what = "discharge" if kind == "discharge" else "change of level of care"
    return {"naloxone": f"Before this {what}, record {' and '.join(missing)} in this episode."}
