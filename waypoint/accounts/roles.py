"""Staff roles and what each may do. Deny by default: a permission not listed for a role is refused.

Patient visibility is decided separately (waypoint.accounts.access): a permission says what a user may
do to a patient they can see, never which patients they can see.
"""

from django.db import models


class Role(models.TextChoices):
    NURSE = "nurse", "Nurse"
    PRESCRIBER = "prescriber", "Prescriber"
    COUNSELOR = "counselor", "Counselor"
    INTAKE = "intake", "Intake coordinator"
    DIRECTOR = "director", "Program director"
    PRIVACY = "privacy", "Privacy officer"
    ADMIN = "admin", "Administrator"


CHART_READ = "patient.chart:read"
PATIENT_REGISTER = "patient.record:create"
PATIENT_EDIT = "patient.record:update"
EPISODE_MANAGE = "patient.episode:write"
CENSUS_READ = "program.census:read"
AUDIT_READ = "audit.trail:read"
STAFF_MANAGE = "staff.account:write"

CLINICAL = {CHART_READ, PATIENT_EDIT, EPISODE_MANAGE, CENSUS_READ}

PERMISSIONS: dict[str, frozenset[str]] = {
    Role.NURSE: frozenset(CLINICAL | {PATIENT_REGISTER}),
    Role.PRESCRIBER: frozenset(CLINICAL),
    Role.COUNSELOR: frozenset(CLINICAL),
    Role.INTAKE: frozenset(CLINICAL | {PATIENT_REGISTER}),
    Role.DIRECTOR: frozenset(CLINICAL | {PATIENT_REGISTER}),
    # The privacy officer audits access; charts only through break-the-glass.
    Role.PRIVACY: frozenset({CENSUS_READ, AUDIT_READ}),
    # The administrator manages staff and settings, not charts.
    Role.ADMIN: frozenset({CENSUS_READ, STAFF_MANAGE}),
}

# Roles that see every patient of their program; the others see the patients of their care teams.
PROGRAM_WIDE = frozenset({Role.INTAKE, Role.DIRECTOR})


def role_allows(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())
