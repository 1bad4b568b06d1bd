"""The navigation and the start page of each role: only what the role may use, in the clinic's words.

Each link names the permission its page requires (the page checks it again), so a role never sees a link that
would answer 403. The bar holds each role's own daily work (BAR, its start page first), one click away and on one
line at 1280 px; every other page it may open is in its group's menu (GROUPS); the lists of patients waiting for
someone (follow-ups due, after discharge, plan reviews, patients on no care team) are gathered on one "Work lists"
page (WORK_LISTS). A page added to GROUPS shows in its group's menu with nothing else to change; a new work list is
one line of WORK_LISTS.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.shortcuts import redirect
from django.urls import reverse

from waypoint.accounts import roles
from waypoint.accounts.membership import role_in
from waypoint.accounts.roles import Role

from . import work_counts


@dataclass(frozen=True)
class Link:
    label: str
    url_name: str
    permission: str


GROUPS: tuple[tuple[str, tuple[Link, ...]], ...] = (
    (
        "Care",
        (
            Link("Patients", "patients:list", roles.CHART_READ),
            Link("Withdrawal board", "withdrawal:board", roles.CHART_READ),
            Link("Follow-ups", "screening:worklist", roles.CHART_READ),
            Link("After discharge", "aftercare:work-list", roles.CHART_READ),
            Link("Schedule", "treatment:schedule", roles.CHART_READ),
            Link("Plan reviews", "treatment:due", roles.CHART_READ),
            Link("Dosing window", "dispensing:queue", roles.MOUD_ADMINISTER),
        ),
    ),
    (
        "Program",
        (
            Link("Outcomes", "outcomes:dashboard", roles.OUTCOMES_READ),
            # the director, who oversees the dosing window (its staff reach the reports from the window's bar)
            Link("Dosing reports", "dispensing:reports", roles.STOCK_SIGN_OFF),
            Link("Census", "patients:census", roles.CENSUS_READ),
            Link("Waitlist", "placements:waitlist", roles.REFERRAL_READ),
            Link("Placement rules", "placements:rule-table", roles.CENSUS_READ),
            Link("State reports", "regulatory:teds", roles.STATE_REPORTS),
        ),
    ),
    (
        "Privacy",
        (
            Link("Audit trail", "audit:trail", roles.AUDIT_READ),
            Link("Break-the-glass report", "privacy:break-glass-report", roles.PRIVACY_REPORTS),
            Link("Consent forms", "regulatory:texts", roles.PRIVACY_REPORTS),
            Link("Consents to renew", "regulatory:review", roles.PRIVACY_REPORTS),
            Link("Breach register", "regulatory:breaches", roles.PRIVACY_REPORTS),
            Link("Central registry reports", "regulatory:registry-reports", roles.PRIVACY_REPORTS),
            # who may receive records over FHIR: a disclosure matter (administrators see it here too)
            Link("External systems (FHIR)", "fhir-clients:list", roles.FHIR_CLIENT_KEYS),
        ),
    ),
    ("Administration", (Link("Program settings", "accounts:settings", roles.SETTINGS_MANAGE),)),
)


@dataclass(frozen=True)
class WorkList:
    label: str
    url_name: str
    permission: str
    holds: str  # what is on it, as the Work lists page says it
    count: Callable[[Any, Any], int]  # how many wait on it for this user in this program (work_counts.py)
    also: str = roles.CHART_READ  # every work list names patients: clinicians only


# Lists of patients waiting for someone, gathered on the Work lists page (one link in the bar).
WORK_LISTS: tuple[WorkList, ...] = (
    WorkList(
        "Follow-ups",
        "screening:worklist",
        roles.CHART_READ,
        "Screening findings and overdose-risk follow-ups still open.",
        work_counts.follow_ups,
    ),
    WorkList(
        "After discharge",
        "aftercare:work-list",
        roles.CHART_READ,
        "Follow-up contacts due today or overdue after discharge, and patients to re-engage.",
        work_counts.after_discharge,
    ),
    WorkList(
        "Plan reviews",
        "treatment:due",
        roles.CHART_READ,
        "Treatment plans to write or review: new admissions, changes of level of care, the program's interval.",
        work_counts.plan_reviews,
    ),
    WorkList(
        "Patients on no care team",
        "patients:unassigned",
        roles.CENSUS_READ,
        "Admitted patients whom no team covering their level of care sees: assign a team.",
        work_counts.on_no_care_team,
    ),
)
WORK_LISTS_LINK = Link("Work lists", "work-lists", roles.CHART_READ)

# The bar: each role's own daily work, its start page first (where it lands after signing in). The withdrawal
# board and the dosing window stay one click away for the nurses and prescribers who use them.
BAR: dict[str, tuple[str, ...]] = {
    Role.NURSE: ("withdrawal:board", "dispensing:queue", "patients:list", "work-lists", "treatment:schedule"),
    Role.PRESCRIBER: ("withdrawal:board", "dispensing:queue", "patients:list", "work-lists", "treatment:schedule"),
    Role.COUNSELOR: ("treatment:schedule", "patients:list", "work-lists"),
    Role.INTAKE: ("placements:waitlist", "patients:list", "patients:census", "work-lists"),
    Role.DIRECTOR: ("outcomes:dashboard", "patients:census", "patients:list", "work-lists"),
    Role.PRIVACY: ("audit:trail", "privacy:break-glass-report", "regulatory:breaches"),
    Role.ADMIN: ("accounts:settings",),
}

# Where each role starts after signing in: its own daily work.
START = {role: bar[0] for role, bar in BAR.items()}


def _allowed(role: str | None, link: Link | WorkList) -> bool:
    needed = (link.permission, link.also) if isinstance(link, WorkList) else (link.permission,)
    return role is not None and all(roles.role_allows(role, permission) for permission in needed)


def work_lists_for(role: str | None) -> list[WorkList]:
    return [work_list for work_list in WORK_LISTS if _allowed(role, work_list)]


def links_for(role: str | None) -> list[tuple[str, list[dict]]]:
    """The groups of links this role may use (empty groups left out), the Work lists page first when the role
    may open one of them."""
    groups = []
    for name, links in GROUPS:
        allowed = [{"label": link.label, "url": reverse(link.url_name)} for link in links if _allowed(role, link)]
        if allowed:
            groups.append((name, allowed))
    if work_lists_for(role) and _allowed(role, WORK_LISTS_LINK):
        groups.insert(0, ("Work lists", [{"label": WORK_LISTS_LINK.label, "url": reverse(WORK_LISTS_LINK.url_name)}]))
    return groups


def navigation(request) -> dict:
    """Template context: `nav_inline` (the role's own work, in the bar) and `nav_menus` (its other pages by group;
    the work lists are on their own page, not repeated in a menu)."""
    user = getattr(request, "user", None)
    program = getattr(request, "program", None)
    if user is None or not user.is_authenticated or program is None:
        return {}
    role = role_in(user, program.pk)
    if role is None or role not in Role.values:
        return {}
    groups = links_for(role)
    by_url = {link["url"]: link for _, links in groups for link in links}
    bar_urls = [reverse(name) for name in BAR.get(role, ())]
    inline = [by_url[url] for url in bar_urls if url in by_url]
    listed = {reverse(work_list.url_name) for work_list in WORK_LISTS}
    menus = []
    for name, links in groups:
        rest = [link for link in links if link["url"] not in bar_urls and link["url"] not in listed]
        if rest:
            menus.append((name, rest))
    return {"nav_inline": inline, "nav_menus": menus, "role_label": Role(role).label}  # "Program director"


def start_page(request):
    """The signed-in user's start page: their role's own work."""
    program = getattr(request, "program", None)
    role = role_in(request.user, program.pk) if program is not None else None
    return redirect(START.get(role, "patients:list"))
