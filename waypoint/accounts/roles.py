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
    EXTERNAL_SYSTEM = "external_system", "External system (FHIR client)"


CHART_READ = "patient.chart:read"
PATIENT_REGISTER = "patient.record:create"
PATIENT_EDIT = "patient.record:update"
EPISODE_MANAGE = "patient.episode:write"
CENSUS_READ = "program.census:read"
BREAK_GLASS = "patient.chart:emergency"  # open a chart outside one's care team, with a reason, audited
PRIVACY_REPORTS = "privacy.reports:read"
CONSENT_MANAGE = "patient.consent:write"  # record and revoke consents, disclose under them
REFERRAL_READ = "program.referral:read"  # the waitlist: people who asked for care, not yet patients
REFERRAL_WRITE = "program.referral:write"
CAPACITY_OVERRIDE = "program.capacity:override"  # admit or transfer into a full level, with a reason
AUDIT_READ = "audit.trail:read"
STAFF_MANAGE = "staff.account:write"
SETTINGS_MANAGE = "program.settings:write"  # program settings and the placement rule table (new versions)
# Treatment (issue 6): plans, sessions, notes.
PLAN_WRITE = "patient.plan:write"  # draft, amend, sign and review treatment plans; progress notes
SESSION_WRITE = "program.session:write"  # schedule group/individual sessions, roster, attendance, group notes
COUNSELING_NOTE_WRITE = "patient.counseling_note:write"  # write SUD counseling notes (kept apart from the chart)
COUNSELING_NOTE_READ = "patient.counseling_note:read"  # read others' counseling notes of care-team patients
TREATMENT_CONFIGURE = "program.treatment:configure"  # the program's modality list and plan templates
# A registered external system (a hospital, an HIE) receiving records over the FHIR API: only what an active
# 42 CFR Part 2 consent of each patient covers for it, each release recorded as a disclosure.
FHIR_RECEIVE = "fhir.records:receive"
# SMART Backend Services: register and replace an external system's public keys and allowed scopes.
FHIR_CLIENT_KEYS = "fhir.client_keys:write"
MOUD_ORDER = "patient.moud:order"  # write and stop MOUD orders: prescribers only
MOUD_ADMINISTER = "patient.moud:administer"  # record a dose given, held, refused or missed
DRUG_SCREEN_WRITE = "patient.drug_screen:write"  # record a urine drug screen's collection and results
OUTCOMES_READ = "program.outcomes:read"  # the program's outcome figures (aggregate counts, no names)
STOCK_SIGN_OFF = "program.stock_count:sign_off"  # sign off a controlled-substance count discrepancy (director)
STATE_REPORTS = "program.state_reports:read"  # TEDS admission/discharge records for the state: view and export

CLINICAL = {CHART_READ, PATIENT_EDIT, EPISODE_MANAGE, CENSUS_READ, BREAK_GLASS}

PERMISSIONS: dict[str, frozenset[str]] = {
    Role.NURSE: frozenset(
        CLINICAL
        | {
            PATIENT_REGISTER,
            CONSENT_MANAGE,
            REFERRAL_READ,
            REFERRAL_WRITE,
            PLAN_WRITE,
            SESSION_WRITE,
            MOUD_ADMINISTER,
            DRUG_SCREEN_WRITE,
        }
    ),
    Role.PRESCRIBER: frozenset(
        CLINICAL
        | {
            CONSENT_MANAGE,
            REFERRAL_READ,
            PLAN_WRITE,
            SESSION_WRITE,
            COUNSELING_NOTE_WRITE,
            MOUD_ORDER,
            MOUD_ADMINISTER,
            DRUG_SCREEN_WRITE,
        }
    ),
    Role.COUNSELOR: frozenset(
        CLINICAL
        | {
            CONSENT_MANAGE,
            REFERRAL_READ,
            PLAN_WRITE,
            SESSION_WRITE,
            COUNSELING_NOTE_WRITE,
            COUNSELING_NOTE_READ,
            DRUG_SCREEN_WRITE,
        }
    ),
    Role.INTAKE: frozenset(CLINICAL | {PATIENT_REGISTER, CONSENT_MANAGE, REFERRAL_READ, REFERRAL_WRITE}),
    Role.DIRECTOR: frozenset(
        CLINICAL
        | {
            PATIENT_REGISTER,
            CONSENT_MANAGE,
            REFERRAL_READ,
            REFERRAL_WRITE,
            CAPACITY_OVERRIDE,
            TREATMENT_CONFIGURE,
            OUTCOMES_READ,
            STOCK_SIGN_OFF,
            STATE_REPORTS,
        }
    ),
    # The privacy officer audits access (reports of who opened what); does not open charts.
    Role.PRIVACY: frozenset({CENSUS_READ, PRIVACY_REPORTS, AUDIT_READ, FHIR_CLIENT_KEYS}),
    # The administrator manages staff and settings, not charts.
    Role.ADMIN: frozenset(
        {CENSUS_READ, CAPACITY_OVERRIDE, STAFF_MANAGE, SETTINGS_MANAGE, TREATMENT_CONFIGURE, FHIR_CLIENT_KEYS}
    ),
    # Not staff: no chart, no census; the FHIR facade alone, under consent (waypoint.fhir.access).
    Role.EXTERNAL_SYSTEM: frozenset({FHIR_RECEIVE}),
}

# Roles that see every patient of their program; the others see the patients of their care teams.
PROGRAM_WIDE = frozenset({Role.INTAKE, Role.DIRECTOR})


def role_allows(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())
