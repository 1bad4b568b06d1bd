"""Recording a urine drug screen (one atomic, audited function) and reading screens with their expected and
unexpected results."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from waypoint.accounts.models import User
from waypoint.accounts.roles import DRUG_SCREEN_WRITE
from waypoint.audit import trail as audit
from waypoint.medication.models import MedicationOrder
from waypoint.patients.access import require
from waypoint.patients.models import Patient
from waypoint.patients.recording import episode_at, write_timeline
from waypoint.patients.records import mark_entered_in_error
from waypoint.patients.services import CLOCK_SKEW

from . import rules
from .models import DrugScreen


@transaction.atomic
def record_screen(
    *,
    acting_user: User,
    patient: Patient,
    collected_at: datetime,
    observed: bool,
    results: dict[str, str],
    note: str = "",
) -> DrugScreen:
    """Errors: `collected_at`, `observed`, `results` (none tested), `results.<analyte>` (unknown analyte or
    result)."""
    require(acting_user, patient.program_id, DRUG_SCREEN_WRITE)
    errors: dict[str, str] = {}
    if collected_at > timezone.now() + CLOCK_SKEW:
        errors["collected_at"] = "The collection time is in the future."
    if not isinstance(observed, bool):
        errors["observed"] = "Say whether the collection was observed (true or false)."
    if not isinstance(results, dict):
        raise ValidationError({"results": "Give the results as an object of analyte: result."})
    for analyte, result in results.items():
        if analyte not in rules.ANALYTES:
            errors[f"results.{analyte}"] = f"Unknown analyte; choose from: {', '.join(rules.ANALYTES)}."
        elif result not in rules.RESULTS:
            errors[f"results.{analyte}"] = f"Choose one of: {', '.join(rules.RESULTS)}."
    complete = {analyte: results.get(analyte, "not_tested") for analyte in rules.ANALYTES}
    if not errors and all(value == "not_tested" for value in complete.values()):
        errors["results"] = "Give the result of at least one analyte."
    if errors:
        raise ValidationError(errors)
    screen = DrugScreen.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode_at(patient, collected_at),
        collected_at=collected_at,
        observed=observed,
        results=complete,
        note=note,
        recorded_by=acting_user,
    )
    read = with_findings([screen])[0]
    positives = [f.label for f in read.findings if f.result == "positive"]
    summary = (
        f"Urine drug screen ({'observed' if observed else 'unobserved'}): "
        + (f"positive for {', '.join(positives)}" if positives else "no positive result")
        + (f"; unexpected: {', '.join(f.label for f in read.unexpected)}" if read.unexpected else "")
    )
    write_timeline(patient, "drug_screen", summary, at=collected_at, by=acting_user, episode=screen.episode)
    audit.record(
        acting_user,
        "drug_screen.create",
        patient=patient,
        obj=screen,
        detail={"unexpected": [f.analyte for f in read.unexpected]},
    )
    return screen


@transaction.atomic
def mark_screen_in_error(*, acting_user: User, screen: DrugScreen, reason: str) -> DrugScreen:
    """A screen recorded by mistake stays, marked entered-in-error with the reason, out of every figure."""
    require(acting_user, screen.program_id, DRUG_SCREEN_WRITE)
    return mark_entered_in_error(
        DrugScreen.objects.select_for_update().select_related("patient").get(pk=screen.pk),
        acting_user=acting_user,
        reason=reason,
        noun="screen",
        audit_action="drug_screen.entered_in_error",
        timeline=lambda marked, marked_at: marked.write_timeline(
            "drug_screen.error",
            f"Urine drug screen of {timezone.localtime(marked.collected_at):%Y-%m-%d %H:%M} entered in error "
            f"({marked.change_reason})",
            at=marked_at,
            by=acting_user,
        ),
    )


@dataclass
class ReadScreen:
    screen: DrugScreen
    findings: list[rules.Finding]

    @property
    def unexpected(self) -> list[rules.Finding]:
        return rules.unexpected(self.findings)

    @property
    def expected_absent(self) -> list[rules.Finding]:
        return [f for f in self.findings if f.kind == "expected_absent"]

    @property
    def positives(self) -> list[rules.Finding]:
        return [f for f in self.findings if f.result == "positive"]

    @property
    def negatives(self) -> list[rules.Finding]:
        return [f for f in self.findings if f.kind == "negative"]

    @property
    def tested(self) -> list[rules.Finding]:
        return [f for f in self.findings if f.kind != "not_tested"]


def with_findings(screens: list[DrugScreen]) -> list[ReadScreen]:
    """Each screen classified against the MOUD orders of its patient active at its collection time (one query
    for all the orders of the screens' patients)."""
    if not screens:
        return []
    patient_ids = {s.patient_id for s in screens}
    earliest, latest = min(s.collected_at for s in screens), max(s.collected_at for s in screens)
    orders = list(
        MedicationOrder.objects.filter(patient_id__in=patient_ids, start_at__lte=latest)
        .filter(Q(stop_at__isnull=True) | Q(stop_at__gt=earliest))
        .values_list("patient_id", "medication", "start_at", "stop_at")
    )
    read = []
    for screen in screens:
        active = {
            medication
            for patient_id, medication, start, stop in orders
            if patient_id == screen.patient_id
            and start <= screen.collected_at
            and (stop is None or stop > screen.collected_at)
        }
        read.append(ReadScreen(screen, rules.classify(screen.results, active)))
    return read
