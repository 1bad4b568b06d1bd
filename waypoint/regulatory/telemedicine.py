"""Buprenorphine prescribed by telemedicine: the prescriber records the telemedicine encounter (when, audio-video or
audio-only, where the patient was); a buprenorphine order written on the program day of an encounter not yet used is
linked to it, with the PDMP check current at the order. The conditions of the DEA's telemedicine rule are program
settings, off by default (settings.VERIFY_DEA: the reference states no DEA rule, so none is encoded here)."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from waypoint.accounts.roles import MOUD_ORDER
from waypoint.audit import trail as audit
from waypoint.medication.catalog import BUPRENORPHINES
from waypoint.patients.access import require

from . import pdmp
from . import settings as policy
from .models import TelemedicineEncounter


def pending_encounter(patient, at: datetime) -> TelemedicineEncounter | None:
    """The patient's latest telemedicine encounter not yet used for an order, on the same program day as `at` and
    not after it."""
    latest = (
        TelemedicineEncounter.objects.filter(patient=patient, order__isnull=True, at__lte=at).order_by("-at").first()
    )
    if latest is None or pdmp.program_day(patient.program, latest.at) != pdmp.program_day(patient.program, at):
        return None
    return latest


def before_order(patient, medication: str, at: datetime, errors: dict) -> str:
    """Registered in medication.services.ORDER_CHECKS: the program's telemedicine conditions (each off by default)
    for a buprenorphine order written from a telemedicine encounter."""
    if medication not in BUPRENORPHINES:
        return ""
    encounter = pending_encounter(patient, at)
    if encounter is None:
        return ""
    problems = []
    if (
        policy.uncached(policy.TELEMEDICINE_NO_AUDIO_ONLY, patient.program)
        and encounter.modality == TelemedicineEncounter.Modality.AUDIO_ONLY
    ):
        problems.append("the encounter was audio-only (" + policy.TELEMEDICINE_NO_AUDIO_ONLY.describe("on") + ")")
    if policy.uncached(policy.TELEMEDICINE_NEEDS_PDMP, patient.program) and pdmp.current_check(patient, at) is None:
        days = policy.uncached(policy.PDMP_DAYS, patient.program)
        current = (
            "no PDMP check is current"
            if days is not None
            else "no PDMP check counts as current until the program sets how many days a check stays current"
        )
        problems.append(f"{current} ({policy.TELEMEDICINE_NEEDS_PDMP.describe('on')})")
    if problems:
        errors["telemedicine"] = (
            "A buprenorphine order from this telemedicine encounter is refused: " + "; ".join(problems) + "."
        )
    return ""


def on_order(acting_user, order) -> None:
    """Registered in medication.services.ORDER_HOOKS: the order records its telemedicine encounter and the PDMP
    check current at the order (in the order's transaction)."""
    if order.medication not in BUPRENORPHINES:
        return
    encounter = pending_encounter(order.patient, order.start_at)
    if encounter is None:
        return
    encounter.order = order
    encounter.pdmp_check = pdmp.current_check(order.patient, order.start_at)
    encounter.save(update_fields=["order", "pdmp_check"])
    audit.record(
        acting_user,
        "telemedicine.order",
        patient=order.patient,
        obj=encounter,
        detail={"order": order.pk, "pdmp_check": encounter.pdmp_check_id, "modality": encounter.modality},
    )


@transaction.atomic
def record_encounter(
    *, acting_user, patient, at: datetime | None, modality: str, patient_location: str = "", note: str = ""
) -> TelemedicineEncounter:
    require(acting_user, patient.program_id, MOUD_ORDER)
    errors = {}
    if at is None or at > timezone.now():
        errors["at"] = "Give when the telemedicine encounter took place (not in the future)."
    if modality not in TelemedicineEncounter.Modality.values:
        errors["modality"] = "Choose audio and video, or audio only."
    if errors:
        raise ValidationError(errors)
    assert at is not None  # refused above otherwise
    encounter = TelemedicineEncounter.objects.create(
        program_id=patient.program_id,
        patient=patient,
        prescriber=acting_user,
        at=at,
        modality=modality,
        patient_location=patient_location.strip(),
        note=note.strip(),
    )
    audit.record(acting_user, "telemedicine.encounter", patient=patient, obj=encounter, detail={"modality": modality})
    return encounter
