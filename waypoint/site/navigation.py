"""The navigation and the start page of each role: only what the role may use, in the clinic's words.

Each link names the permission its page requires (the page checks it again), so a role never sees a link that
would answer 403. Links come in groups; a role with more links than fit one line at 1280 px (the director's bar
used to wrap into two) sees the group holding its start page inline and the other groups as menus.
"""

from dataclasses import dataclass

from django.shortcuts import redirect
from django.urls import reverse

from waypoint.accounts import roles
from waypoint.accounts.membership import role_in
from waypoint.accounts.roles import Role

INLINE_AT_MOST = 8  # links that fit one line of the bar at 1280 px beside the brand and the user's name


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
            Link("Census", "patients:census", roles.CENSUS_READ),
            Link("Waitlist", "placements:waitlist", roles.REFERRAL_READ),
            Link("Placement rules", "placements:rule-table", roles.CENSUS_READ),
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
        ),
    ),
    ("Administration", (Link("Program settings", "accounts:settings", roles.SETTINGS_MANAGE),)),
)

# Where each role starts after signing in: its own daily work (the first link it may use otherwise).
START = {
    Role.NURSE: "withdrawal:board",  # scores due and alerts on the unit
    Role.PRESCRIBER: "withdrawal:board",  # who is in withdrawal and ready for induction
    Role.COUNSELOR: "treatment:schedule",  # today's groups and sessions
    Role.INTAKE: "placements:waitlist",  # people waiting to be admitted
    Role.DIRECTOR: "outcomes:dashboard",
    Role.PRIVACY: "audit:trail",
    Role.ADMIN: "accounts:settings",
}


def links_for(role: str | None) -> list[tuple[str, list[dict]]]:
    """The groups of links this role may use (empty groups left out)."""
    groups = []
    for name, links in GROUPS:
        allowed = [
            {"label": link.label, "url": reverse(link.url_name)}
            for link in links
            if role is not None and roles.role_allows(role, link.permission)
        ]
        if allowed:
            groups.append((name, allowed))
    return groups


def navigation(request) -> dict:
    """Template context: `nav_inline` (the group holding the role's start page) and `nav_menus` (the others)."""
    user = getattr(request, "user", None)
    program = getattr(request, "program", None)
    if user is None or not user.is_authenticated or program is None:
        return {}
    role = role_in(user, program.pk)
    groups = links_for(role)
    if role is None or role not in Role.values or not groups:
        return {"role_label": Role(role).label if role in Role.values else ""}
    if sum(len(links) for _, links in groups) <= INLINE_AT_MOST:
        return {
            "nav_inline": [link for _, links in groups for link in links],
            "nav_menus": [],
            "role_label": Role(role).label,
        }
    start = reverse(START[Role(role)]) if role in START else None
    main = next((i for i, (_, links) in enumerate(groups) if any(link["url"] == start for link in links)), 0)
    return {
        "nav_inline": groups[main][1],
        "nav_menus": groups[:main] + groups[main + 1 :],
        "role_label": Role(role).label,  # "Program director", not the role's code
    }


def start_page(request):
    """The signed-in user's start page: their role's own work."""
    program = getattr(request, "program", None)
    role = role_in(request.user, program.pk) if program is not None else None
    return redirect(START.get(role, "patients:list"))
