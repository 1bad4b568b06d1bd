"""Demo data for the FHIR facade: one registered external system, and consents naming it for a few patients, so
that `/fhir/` can be tried both as staff and as an external system (token: `waypoint apitoken riverside-hie`)."""

from datetime import timedelta

from waypoint.patients.access import visible_patients
from waypoint.privacy.services import record_consent

from .services import register_external_client

DEMO_CLIENT = "riverside-hie"
DEMO_RECIPIENT = "Riverside Primary Care"


def build(program, nurse, rng, consents: int = 3) -> None:
    if program.slug != "demo":
        return
    register_external_client(acting_user=None, program=program, username=DEMO_CLIENT, recipient=DEMO_RECIPIENT)
    patients = list(visible_patients(nurse, program).order_by("pk")[:consents])
    for patient in patients:
        record_consent(
            acting_user=nurse,
            patient=patient,
            disclosing_party=program.name,
            information=["all_sud_records"],
            information_description="All treatment records",
            recipients=[DEMO_RECIPIENT],
            purposes=["treatment"],
            expiry="none",
            signed_by=f"{patient.given_name} {patient.family_name}",
            signed_on=program.today() - timedelta(days=rng.randint(0, 5)),
            right_to_revoke_explained=True,
        )
