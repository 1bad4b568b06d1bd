"""Privacy services: break-the-glass emergency access (HIPAA 164.312(a)(2)(ii))."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from waypoint.accounts.roles import BREAK_GLASS
from waypoint.patients.access import require, visible_patients
from waypoint.patients.models import Patient

from . import audit
from . import settings as policy
from .models import EmergencyAccess

MIN_REASON_LENGTH = 10


@transaction.atomic
def break_the_glass(*, acting_user, program, mrn: str, reason: str) -> tuple[Patient, EmergencyAccess | None]:
    """Open one chart outside the user's care teams for a limited time, with a reason; audited either way.

    The one lookup of a patient outside visible_patients: by exact MRN within the user's own program.
    """
    require(acting_user, program.pk, BREAK_GLASS)
    errors = {}
    if len(reason.strip()) < MIN_REASON_LENGTH:
        errors["reason"] = "Describe the emergency (at least 10 characters): it goes on the privacy officer's report."
    patient = Patient.objects.filter(program=program, mrn=mrn.strip()).first()
    if patient is None:
        errors["mrn"] = "No patient with this MRN in this program."
    if errors:
        raise ValidationError(errors)
    if visible_patients(acting_user, program).filter(pk=patient.pk).exists():
        return patient, None  # already on the user's care team: nothing to break
    now = timezone.now()
    access = EmergencyAccess.objects.create(
        program=program, user=acting_user, patient=patient, reason=reason.strip(), started_at=now,
        expires_at=now + timedelta(hours=policy.BREAK_GLASS_HOURS.get(program)),
    )
    audit.record(acting_user, "chart.break_glass", patient=patient, obj=access, detail={"reason": reason.strip()})
    return patient, access


def active_access(user, patient) -> EmergencyAccess | None:
    return (EmergencyAccess.objects.filter(user=user, patient=patient, expires_at__gt=timezone.now())
            .order_by("-expires_at").first())
