"""What a FHIR client may receive, and the record of what it received.

MINIMAL VERSION (bulk-export branch): staff only. A staff member reads what `visible_patients` lets them
see in the program and every release is audited. The facade's version (external system clients, whose
Part 2 resources need an active consent covering them, and whose releases are recorded as disclosures
through waypoint.privacy.services) replaces this file with the same interface.
"""

from __future__ import annotations

from django.db.models import QuerySet

from waypoint.accounts.roles import CHART_READ
from waypoint.fhir.registry import ResourceKind
from waypoint.patients.access import require, visible_patients
from waypoint.privacy import audit


def patient_lookup(kind: ResourceKind) -> str:
    """The ORM lookup from a row of this kind to its patient's id ("pk" for Patient itself)."""
    return kind.patient_field or "pk"


class Reader:
    """One client's view of one program's records."""

    def __init__(self, user, program):
        self.user = user
        self.program = program

    def rows(self, kind: ResourceKind) -> QuerySet:
        """Every row of this kind the client may receive, in this program only."""
        rows = kind.queryset().filter(**{kind.program_field: self.program.pk})
        if kind.patient_field is not None:
            patients = visible_patients(self.user, self.program).values("pk")
            rows = rows.filter(**{f"{patient_lookup(kind)}__in": patients})
        return rows

    def may_receive(self, kind: ResourceKind) -> bool:
        return True  # staff: the scope of `rows` is the whole rule

    def record_release(self, kind: ResourceKind, patient_ids: set[int]) -> None:
        """Staff reads are audited: one event per release, naming the patients whose records went out."""
        if not patient_ids and kind.patient_field is not None:
            return
        audit.record(self.user, "fhir.release", program=self.program,
                     detail={"kind": kind.key, "resource_type": kind.resource_type,
                             "patients": sorted(patient_ids)})


def reader_for(user, program) -> Reader:
    """The reader for this client in this program; PermissionDenied when it may read no FHIR data there."""
    require(user, program.pk, CHART_READ)
    return Reader(user, program)
