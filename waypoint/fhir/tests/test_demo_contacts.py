"""The demo's patients as FHIR: an emergency contact the demo gives a name but no phone carries no telecom (a
contact point with a system and no value is not one), and no telecom anywhere lacks its value."""

import io

from django.core.management import call_command

from waypoint.accounts.models import Program
from waypoint.accounts.scoping import program_scope
from waypoint.fhir.registry import KINDS

from .validation import assert_valid


def test_demo_contacts_never_carry_a_telecom_system_without_a_value(db):
    call_command("demo", "--patients", "8", stdout=io.StringIO())
    kind = KINDS["patient"]
    with program_scope(*Program.objects.values_list("pk", flat=True)):
        resources = [r for row in kind.queryset() for r in kind.to_resources(row)]
    contacts = [c for r in resources for c in r.get("contact", [])]
    assert contacts  # the demo gives its patients emergency contacts
    for resource in resources:
        assert_valid(resource)
        points = resource.get("telecom", []) + [t for c in resource.get("contact", []) for t in c.get("telecom", [])]
        assert all(point.get("system") and point.get("value") for point in points), resource["id"]
