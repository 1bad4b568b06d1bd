"""Who may see which patients; deny by default. Pages and API views find a patient through `visible_patients`
(or one of the `access_*` helpers below, which answer 404 alike for missing and forbidden); the program scope
(`accounts.scoping`) keeps every query of clinical records inside the user's programs even where one does not.

A user sees the patients of a program they belong to when their role may read charts there, and:
program-wide roles (intake coordinator, program director) see all of that program's patients;
everyone else sees the patients of the care teams they are on, plus any patient they opened through
break-the-glass emergency access while it lasts. Anything else is not found (404).
"""

from typing import Any, cast

from django.db.models import Model, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

# Who a user is in a program moved to accounts.membership (the web plumbing needs it and sits below patients);
# re-exported here, where the pages and services of every area import it.
from waypoint.accounts.asking import care_team_ids
from waypoint.accounts.membership import Viewer as Viewer
from waypoint.accounts.membership import has_permission as has_permission
from waypoint.accounts.membership import memberships as memberships
from waypoint.accounts.membership import require as require
from waypoint.accounts.membership import role_in as role_in
from waypoint.accounts.membership import user_scope as user_scope
from waypoint.accounts.models import CareTeam, Program, User
from waypoint.accounts.roles import CHART_READ, PROGRAM_WIDE, role_allows

from .models import EmergencyAccess, Patient


def visible_patients(user: Viewer, program: Program | None = None) -> QuerySet[Patient]:
    """The patients this user may see, optionally narrowed to one program."""
    rule = Q(pk__in=[])
    team_ids = None
    member = cast(User, user)  # the loop runs only for a signed-in user: memberships() is empty for anyone else
    for membership in memberships(user):
        if program is not None and membership.program_id != program.pk:
            continue
        if not role_allows(membership.role, CHART_READ):
            continue
        if membership.role in PROGRAM_WIDE:
            rule |= Q(program_id=membership.program_id)
        else:
            if team_ids is None:
                # the care teams read with the user by the request's one query (accounts.asking), else a subquery
                # (no round trip of its own) on the membership table itself: `user.care_teams` would build a
                # related manager on every call, which cost as much as the patient query it narrows
                loaded = care_team_ids(member)
                team_ids = (
                    sorted(loaded)
                    if loaded is not None
                    else CareTeam.members.through.objects.filter(user_id=member.id).values("careteam_id")
                )
            rule |= Q(program_id=membership.program_id, care_team_id__in=team_ids)
            emergency = EmergencyAccess.objects.filter(
                user=member, program_id=membership.program_id, expires_at__gt=timezone.now()
            ).values("patient_id")
            rule |= Q(program_id=membership.program_id, pk__in=emergency)
    return Patient.objects.filter(rule)  # sanctioned: this is the rule itself


def access_patient(user: Viewer, pk: object, program: Program | None = None) -> Patient:
    """The patient with this id if the user may see them (optionally in that program only). A patient who does not
    exist and one the user may not see answer the same 404, so an id reveals nothing."""
    return get_object_or_404(visible_patients(user, program).select_related("program", "care_team"), pk=pk)


def access_record(patient: Patient, records: type[Model] | QuerySet[Any], pk: object) -> Any:
    """One of this patient's records (`records`: its model, or a queryset of it) by id: a record of another patient,
    of another program or of none at all is the same 404. Find the patient with `access_patient` first."""
    return get_object_or_404(records, pk=pk, patient=patient)
