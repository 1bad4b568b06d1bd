"""The level-of-care area's kinds of clinical record (see waypoint/records/registry.py)."""

from waypoint.records.registry import RecordKind, register

from .models import PlacementAssessment, Referral


def placements_of(patient, user):
    return PlacementAssessment.objects.filter(patient=patient).order_by("at", "pk")


def placement_row(placement: PlacementAssessment) -> dict:
    return {
        "at": placement.at,
        "ratings": ", ".join(f"D{n} {rating}" for n, rating in enumerate(placement.ratings, start=1)),
        "recommended": placement.recommended_label,
        "decided": placement.decided_label,
        "reason": placement.reason_text or placement.get_reason_display() if placement.differs else "",
    }


def referrals_of(patient, user):
    return Referral.objects.filter(patient=patient).order_by("received_at", "pk")


def referral_row(referral: Referral) -> dict:
    return {
        "received_at": referral.received_at,
        "source": referral.source_detail or referral.get_source_display(),
        "requested_level": referral.requested_level,
        "status": referral.get_status_display(),
        "outcome_at": referral.outcome_at,
    }


register(
    RecordKind(
        key="placement_assessments",
        title="Level-of-care placement assessments",
        model="placements.PlacementAssessment",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="all_sud_records",
        rows=placements_of,
        columns=(
            ("at", "Assessed"),
            ("ratings", "Dimension ratings"),
            ("recommended", "Recommended level"),
            ("decided", "Decided level"),
            ("reason", "Why it differs"),
        ),
        render=placement_row,
        not_in_fhir="no FHIR mapping is written for it yet",
        chart_section="waypoint.placements.sections.latest_placement",
        seed="placements",
        position=15,
    )
)
register(
    RecordKind(
        key="referrals",
        title="Referrals",
        model="placements.Referral",
        program_field="program",
        patient_field="patient",
        part2=True,
        information_kind="all_sud_records",
        rows=referrals_of,
        columns=(
            ("received_at", "First contact"),
            ("source", "Referred by"),
            ("requested_level", "Requested level"),
            ("status", "Status"),
            ("outcome_at", "Outcome"),
        ),
        render=referral_row,
        not_in_fhir="no FHIR mapping is written for it yet",
        not_on_chart="a referral is worked on the waitlist, before and apart from the chart",
        seed="referrals",
        position=14,
    )
)
