"""The PDMP check rule before a controlled-substance order (methadone, buprenorphine: Schedule II / III, per
../shared/reference/opioid-treatment-programs.md). The program chooses refuse, flag or off, and for how many
program days a check stays current (program settings; no default for the days)."""

import hashlib
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from waypoint.accounts.roles import MOUD_ORDER
from waypoint.audit import trail as audit
from waypoint.medication.catalog import AGONISTS
from waypoint.patients.access import require

from . import settings as policy
from .models import PdmpCheck

CONTROLLED = AGONISTS  # methadone, buprenorphine, buprenorphine-naloxone


def program_day(program, at: datetime):
    return program.day_of(at)


def current_check(patient, at: datetime) -> PdmpCheck | None:
    """The latest check done (not a could-not-be-done entry) that is current at `at`: made on a program day no
    more than the set number of days before `at`'s program day, and not after `at`."""
    days = policy.uncached(policy.PDMP_DAYS, patient.program)
    if days is None:
        return None
    day = program_day(patient.program, at)
    for check in PdmpCheck.objects.filter(patient=patient, checked_at__lte=at, not_done_reason="").order_by(
        "-checked_at"
    ):
        return check if (day - program_day(patient.program, check.checked_at)).days <= days else None
    return None


def before_order(patient, medication: str, at: datetime, errors: dict) -> str:
    """Called by the order service: adds a `pdmp` error under the refuse rule, or returns the flag to record
    with the order under the flag rule ("" when the rule is off, not set, not controlled, or a check is current)."""
    rule = policy.uncached(policy.PDMP_RULE, patient.program)
    days = policy.uncached(policy.PDMP_DAYS, patient.program)
    if rule == "off" or days is None or medication not in CONTROLLED:
        return ""
    if current_check(patient, at) is not None:
        return ""
    latest = PdmpCheck.objects.filter(patient=patient, checked_at__lte=at).order_by("-checked_at").first()
    why = f"no PDMP check within {days} day{'s' if days != 1 else ''} ({policy.PDMP_DAYS.describe(days)})" + (
        f"; last entry: could not be done ({latest.not_done_reason})" if latest and not latest.done else ""
    )
    if rule == "refuse":
        errors["pdmp"] = f"Record the PDMP check before ordering a controlled substance: {why}."
        return ""
    return why


# The report files a PDMP gives (its PDF, or a screenshot), known by their first bytes, not by what the browser says.
REPORT_TYPES = {
    b"%PDF-": ("application/pdf", "pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
}
MAX_REPORT_BYTES = 5 * 1024 * 1024


def report_type(content: bytes) -> tuple[str, str] | None:
    return next((kind for magic, kind in REPORT_TYPES.items() if content.startswith(magic)), None)


@transaction.atomic
def record_check(
    *,
    acting_user,
    patient,
    state: str,
    checked_at: datetime,
    findings: str = "",
    report: str = "",
    not_done_reason: str = "",
    report_file: bytes = b"",
    report_file_name: str = "",
) -> PdmpCheck:
    require(acting_user, patient.program_id, MOUD_ORDER)
    errors = {}
    kind = report_type(report_file) if report_file else None
    if report_file and len(report_file) > MAX_REPORT_BYTES:
        errors["report_file"] = f"The report file is larger than {MAX_REPORT_BYTES // (1024 * 1024)} MB."
    elif report_file and kind is None:
        errors["report_file"] = "Attach the PDMP's report as a PDF, PNG or JPEG file."
    elif report_file and not_done_reason.strip():
        errors["report_file"] = "A check that could not be done has no report."
    if len(state.strip()) != 2 or not state.strip().isalpha():
        errors["state"] = "Give the state's two-letter code."
    if checked_at is None or checked_at > timezone.now():
        errors["checked_at"] = "Give when the PDMP was checked (not in the future)."
    if not findings.strip() and not not_done_reason.strip():
        errors["findings"] = "Summarise the findings, or say why the check could not be done."
    if findings.strip() and not_done_reason.strip():
        errors["not_done_reason"] = "A check is either done (findings) or could not be done (reason), not both."
    if errors:
        raise ValidationError(errors)
    check = PdmpCheck.objects.create(
        program_id=patient.program_id,
        patient=patient,
        state=state.strip().upper(),
        checked_at=checked_at,
        checked_by=acting_user,
        findings=findings.strip(),
        report=report,
        not_done_reason=not_done_reason.strip(),
        report_file=report_file,
        report_file_name=report_file_name.strip()[:200] if report_file else "",
        report_file_type=kind[0] if kind else "",
        report_file_sha256=hashlib.sha256(report_file).hexdigest() if report_file else "",
    )
    audit.record(
        acting_user,
        "pdmp.check",
        patient=patient,
        obj=check,
        detail={"done": check.done} | ({"report_file_sha256": check.report_file_sha256} if report_file else {}),
    )
    return check
