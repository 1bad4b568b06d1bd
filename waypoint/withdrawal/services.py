"""Recording withdrawal assessments: score, validate, store, audit — one transaction each.

Every error names its key: `instrument`, `taken_at`, `late_entry_reason`, `responses.<item>`,
`vitals.<sign>`, `reason`, `version`. Nothing is written when any of them fails.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from waypoint.accounts.models import Program, User
from waypoint.accounts.roles import CHART_READ, EPISODE_MANAGE, MOUD_ADMINISTER
from waypoint.audit import trail as audit
from waypoint.patients.access import require
from waypoint.patients.models import Patient
from waypoint.patients.recording import episode_at, write_timeline
from waypoint.patients.records import RecordStatus
from waypoint.patients.records import mark_entered_in_error as mark_record_in_error
from waypoint.patients.services import CLOCK_SKEW
from waypoint.scales import INSTRUMENTS, Instrument, ScoreError, ScoreResult, get_instrument, score
from waypoint.web.errors import StaleVersion

from . import settings as protocol
from .models import Assessment, CiwaArMonitoring, KioskSession
from .vitals import VitalsError, clean_vitals

KIOSK_INSTRUMENTS = ("sows-handelsman", "sows-gossop", "craving-nrs")
KIOSK_MINUTES = 30


def _instrument(code: str) -> Instrument:
    if code not in INSTRUMENTS:
        raise ValidationError({"instrument": f"Unknown instrument {code!r}; known: {', '.join(INSTRUMENTS)}."})
    return get_instrument(code)


def _scored(instrument: Instrument, responses: object, vitals: object) -> tuple[ScoreResult, dict[str, int | Decimal]]:
    """Score and check vitals together, so that every offending key is reported at once."""
    errors = {}
    try:
        clean = clean_vitals(vitals)
    except VitalsError as error:
        errors.update(error.errors)
        clean = {}
    result: ScoreResult | None = None
    if not isinstance(responses, dict):
        errors["responses"] = "Expected an object of item scores."
    else:
        try:
            result = score(instrument, responses, {k: v for k, v in clean.items() if isinstance(v, int)})
        except ScoreError as error:
            for key, message in error.errors.items():
                errors[key if key.startswith("vitals.") else f"responses.{key}"] = message
    if errors:
        raise ValidationError(errors)
    assert result is not None  # scored, or an error was raised above
    return result, clean


def _check_time(program: Program, taken_at: datetime, late_entry_reason: str) -> None:
    now = timezone.now()
    if taken_at > now + CLOCK_SKEW:
        raise ValidationError({"taken_at": "The assessment time is in the future."})
    days = protocol.LATE_ENTRY_DAYS.get(program)
    if taken_at < now - timedelta(days=days) and not late_entry_reason.strip():
        raise ValidationError(
            {
                "late_entry_reason": f"The assessment is more than {days} days old: give a "
                f"late-entry reason ({protocol.LATE_ENTRY_DAYS.describe(days)})."
            }
        )


def _store(
    *,
    acting_user: User,
    patient: Patient,
    instrument: Instrument,
    result: ScoreResult,
    vitals: dict[str, int | Decimal],
    taken_at: datetime,
    note: str,
    late_entry_reason: str,
    source: str,
    replaces: Assessment | None = None,
    change_reason: str = "",
) -> Assessment:
    band = program_band(patient.program, instrument, result.total)
    return Assessment.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode_at(patient, taken_at),
        instrument=instrument.code,
        instrument_version=instrument.version,
        taken_at=taken_at,
        responses=result.responses,
        total=result.total,
        severity=result.severity.code if result.severity else "",
        band_label=band[0] if band else "",
        band_source=band[1] if band else "",
        derived=list(result.derived),
        note=note,
        reporter=instrument.reporter,
        source=source,
        late_entry_reason=late_entry_reason,
        recorded_by=acting_user,
        version=(replaces.version + 1) if replaces else 1,
        replaces=replaces,
        change_reason=change_reason,
        **vitals,
    )


def program_band(program: Program, instrument: Instrument, total: int) -> tuple[str, str] | None:
    """(label, source) of the program's own band for an instrument that publishes none (CIWA-Ar), at this moment."""
    if instrument.code == "ciwa-ar" and not instrument.bands:
        return protocol.ciwa_ar_band(program, total)
    return None


def _timeline_line(assessment: Assessment, verb: str) -> None:
    definition = assessment.definition
    severity = f" ({assessment.severity_label})" if assessment.severity_label else ""
    write_timeline(
        assessment.patient,
        f"assessment.{verb}",
        f"{definition.short_title} {assessment.total}{severity}" + ("" if verb == "create" else f" {verb}"),
        at=assessment.taken_at,
        by=assessment.recorded_by,
        episode=assessment.episode,
    )


@transaction.atomic
def record_assessment(
    *,
    acting_user: User,
    patient: Patient,
    instrument: str,
    responses: object,
    vitals: object = None,
    taken_at: datetime,
    note: str = "",
    late_entry_reason: str = "",
    source: str = Assessment.Source.STAFF,
) -> Assessment:
    """Score and store one assessment; a ValidationError naming each bad key, and nothing saved, otherwise."""
    require(acting_user, patient.program_id, EPISODE_MANAGE if source == Assessment.Source.STAFF else CHART_READ)
    definition = _instrument(instrument)
    result, clean = _scored(definition, responses, vitals)
    _check_time(patient.program, taken_at, late_entry_reason)
    assessment = _store(
        acting_user=acting_user,
        patient=patient,
        instrument=definition,
        result=result,
        vitals=clean,
        taken_at=taken_at,
        note=note,
        late_entry_reason=late_entry_reason,
        source=source,
    )
    _timeline_line(assessment, "create")
    audit.record(
        acting_user,
        "assessment.create",
        patient=patient,
        obj=assessment,
        detail={"instrument": definition.code, "source": source},
    )
    return assessment


def _current_version(assessment: Assessment, version: int | None) -> Assessment:
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if not locked.in_force or (version is not None and version != locked.version):
        raise StaleVersion(
            f"This assessment was changed since you read it (it is now "
            f"{locked.get_record_status_display().lower()}, version {locked.version})."
        )
    return locked


@transaction.atomic
def amend_assessment(
    *,
    acting_user: User,
    assessment: Assessment,
    responses: object,
    vitals: object = None,
    taken_at: datetime | None = None,
    note: str = "",
    reason: str,
    version: int | None = None,
) -> Assessment:
    """Correct an assessment with a new version; the old one stays, marked as amended."""
    require(acting_user, assessment.program_id, EPISODE_MANAGE)
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the amendment."})
    old = _current_version(assessment, version)
    definition = old.definition
    result, clean = _scored(definition, responses, vitals)
    taken_at = taken_at or old.taken_at
    _check_time(old.patient.program, taken_at, old.late_entry_reason or reason)
    old.record_status, old.status_changed_by, old.status_changed_at = RecordStatus.AMENDED, acting_user, timezone.now()
    old.save(update_fields=["record_status", "status_changed_by", "status_changed_at"])
    new = _store(
        acting_user=acting_user,
        patient=old.patient,
        instrument=definition,
        result=result,
        vitals=clean,
        taken_at=taken_at,
        note=note,
        late_entry_reason=old.late_entry_reason,
        source=old.source,
        replaces=old,
        change_reason=reason,
    )
    _timeline_line(new, "amended")
    audit.record(acting_user, "assessment.amend", patient=old.patient, obj=new, detail={"replaces": old.pk})
    return new


@transaction.atomic
def mark_entered_in_error(
    *, acting_user: User, assessment: Assessment, reason: str, version: int | None = None
) -> Assessment:
    require(acting_user, assessment.program_id, EPISODE_MANAGE)
    if not reason.strip():
        raise ValidationError({"reason": "Say why this entry is in error."})
    return mark_record_in_error(
        _current_version(assessment, version),
        acting_user=acting_user,
        reason=reason,
        noun="entry",
        audit_action="assessment.entered_in_error",
        timeline=lambda old, _at: _timeline_line(old, "marked entered in error"),
    )


@transaction.atomic
def open_kiosk(*, acting_user: User, patient: Patient) -> KioskSession:
    require(acting_user, patient.program_id, EPISODE_MANAGE)
    kiosk = KioskSession.objects.create(
        program_id=patient.program_id,
        patient=patient,
        opened_by=acting_user,
        expires_at=timezone.now() + timedelta(minutes=KIOSK_MINUTES),
    )
    audit.record(acting_user, "kiosk.open", patient=patient, obj=kiosk)
    return kiosk


@transaction.atomic
def close_kiosk(kiosk: KioskSession) -> None:
    if kiosk.closed_at is None:
        kiosk.closed_at = timezone.now()
        kiosk.save(update_fields=["closed_at"])
        audit.record(kiosk.opened_by, "kiosk.close", patient=kiosk.patient, obj=kiosk)


def record_self_report(*, kiosk: KioskSession, instrument: str, responses: object) -> Assessment:
    """A patient's own report from the kiosk: patient-reported, recorded under the staff member who opened it."""
    if instrument not in KIOSK_INSTRUMENTS:
        raise ValidationError({"instrument": "This questionnaire is not offered on the kiosk."})
    return record_assessment(
        acting_user=kiosk.opened_by,
        patient=kiosk.patient,
        instrument=instrument,
        responses=responses,
        taken_at=timezone.now(),
        source=Assessment.Source.KIOSK,
    )


def ciwa_ar_monitoring(patient: Patient) -> CiwaArMonitoring | None:
    """The patient's CIWA-Ar instruction in force (alcohol co-use), or None."""
    return CiwaArMonitoring.objects.filter(patient=patient, stopped_at__isnull=True).first()


def _reason(reason: object, field: str, what: str) -> str:
    text = str(reason or "").strip()
    if not text:
        raise ValidationError({field: f"Give the reason {what}."})
    if len(text) > 200 or any(ord(char) < 32 for char in text):
        raise ValidationError({field: "One line of at most 200 characters."})
    return text


@transaction.atomic
def start_ciwa_ar(*, acting_user: User, patient: Patient, reason: str) -> CiwaArMonitoring:
    """A nurse or prescriber turns CIWA-Ar on for a patient (e.g. alcohol co-use): the board shows its column."""
    require(acting_user, patient.program_id, MOUD_ADMINISTER)
    text = _reason(reason, "reason", "to assess CIWA-Ar (e.g. alcohol co-use)")
    # sanctioned (not visible_patients): locks the row of a patient the caller found, so two requests never race
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    if ciwa_ar_monitoring(patient) is not None:
        raise ValidationError({"reason": "CIWA-Ar is already being assessed for this patient."})
    now = timezone.now()
    monitoring = CiwaArMonitoring.objects.create(
        program_id=patient.program_id, patient=patient, reason=text, started_at=now, started_by=acting_user
    )
    write_timeline(patient, "ciwa_ar.start", f"Assess CIWA-Ar: {text}", at=now, by=acting_user)
    audit.record(acting_user, "ciwa_ar.monitoring.start", patient=patient, obj=monitoring, detail={"reason": text})
    return monitoring


@transaction.atomic
def stop_ciwa_ar(*, acting_user: User, patient: Patient, reason: str) -> CiwaArMonitoring:
    require(acting_user, patient.program_id, MOUD_ADMINISTER)
    text = _reason(reason, "stop_reason", "to stop CIWA-Ar")
    monitoring = CiwaArMonitoring.objects.select_for_update().filter(patient=patient, stopped_at__isnull=True).first()
    if monitoring is None:
        raise ValidationError({"stop_reason": "CIWA-Ar is not being assessed for this patient."})
    monitoring.stopped_at, monitoring.stopped_by, monitoring.stop_reason = timezone.now(), acting_user, text
    monitoring.save(update_fields=["stopped_at", "stopped_by", "stop_reason"])
    write_timeline(patient, "ciwa_ar.stop", f"CIWA-Ar stopped: {text}", at=monitoring.stopped_at, by=acting_user)
    audit.record(acting_user, "ciwa_ar.monitoring.stop", patient=patient, obj=monitoring, detail={"reason": text})
    return monitoring
