"""The Groups a client may export: one per program (all its patients) and one per level of care the program
offers (the patients whose current stay is at that level). Ids: `program-<pk>` and `program-<pk>-level-<code>`
(ASAM codes such as "3.7-WM" fit FHIR's id syntax)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from waypoint.accounts.models import Program, ProgramLevel
from waypoint.patients.access import memberships
from waypoint.patients.models import LevelOfCareStay, Patient

GROUP_ID = re.compile(r"^program-(?P<program>\d+)(?:-level-(?P<level>[A-Za-z0-9.\-]+))?$")


@dataclass(frozen=True)
class Group:
    program: Program
    level: ProgramLevel | None = None

    @property
    def id(self) -> str:
        base = f"program-{self.program.pk}"
        return f"{base}-level-{self.level.code}" if self.level else base

    @property
    def name(self) -> str:
        if self.level is None:
            return f"{self.program.name}: all patients"
        return f"{self.program.name}: patients currently at {self.level.level.label}"

    def members(self) -> QuerySet[Patient]:
        """Every patient in the group, before any client's scope narrows it."""
        # sanctioned (not visible_patients): a Group is the whole program's; the reader narrows it
        patients = Patient.objects.filter(program=self.program)
        if self.level is None:
            return patients
        current = LevelOfCareStay.objects.filter(
            program=self.program, level_code=self.level.code, ended_at__isnull=True
        ).values("patient_id")
        return patients.filter(pk__in=current)

    def resource(self, quantity: int) -> dict:
        resource = {
            "resourceType": "Group",
            "id": self.id,
            "active": True,
            "type": "person",
            "actual": True,
            "name": self.name,
            "quantity": quantity,
        }
        if self.level is not None:
            resource["code"] = {"text": self.level.level.label}
        return resource


def groups_of(program: Program) -> list[Group]:
    levels = ProgramLevel.objects.filter(program=program, active=True).select_related("program").order_by("code")
    return [Group(program), *(Group(program, level) for level in levels)]


def groups_for(user) -> list[Group]:
    """The groups of every program the user belongs to (what they may export is then up to their reader)."""
    return [group for membership in memberships(user) for group in groups_of(membership.program)]


def find_group(user, group_id: str) -> Group:
    """The group by id among the user's programs; anything else (unknown, another program's) is 404."""
    match = GROUP_ID.match(group_id)
    if match is None:
        raise Http404
    program = next((m.program for m in memberships(user) if str(m.program_id) == match["program"]), None)
    if program is None:
        raise Http404
    if match["level"] is None:
        return Group(program)
    level = ProgramLevel.objects.filter(program=program, code=match["level"], active=True).first()
    if level is None:
        raise Http404
    return Group(program, level)
