"""The screening area's kinds of clinical record (see waypoint/records/registry.py)."""

from waypoint.records.registry import RecordKind, not_a_record, register
from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS

from .models import ROUTES, Education, FollowUp, History, NaloxoneKit, Refusal, Screen, UseEvent

CHART = "waypoint.screening.sections.screening_body"  # the chart's screening section links to each of them
NOT_IN_FHIR = "no FHIR mapping is written for it yet"
ALL_SUD = "all_sud_records"


def patient_rows(model, *order):
    def rows(patient, user):
        return model.objects.filter(patient=patient).order_by(*order, "pk")

    return rows


def history_row(history: History) -> dict:
    return {
        "version": history.version,
        "recorded_at": history.recorded_at,
        "substances": "; ".join(
            f"{use.label} ({', '.join(dict(ROUTES)[r] for r in use.routes)}, {use.get_frequency_display().lower()})"
            for use in history.uses.all()
        ),
        "fentanyl_xylazine": history.get_fentanyl_xylazine_display(),
        "prior_overdoses": history.prior_overdoses,
        "most_recent_overdose": history.most_recent_overdose,
        "uses_alone": history.uses_alone,
        "prior_treatment": history.prior_treatment,
    }


def screen_row(screen: Screen) -> dict:
    return {
        "taken_at": screen.taken_at,
        "present": ", ".join(HEROIN_COMPLICATIONS.item(key).label for key in screen.present)
        if screen.screen_code == HEROIN_COMPLICATIONS.code
        else ", ".join(screen.present),
    }


def follow_up_row(follow_up: FollowUp) -> dict:
    return {
        "follow_up": follow_up.get_code_display(),
        "reasons": "; ".join(follow_up.reasons),
        "status": follow_up.get_status_display(),
        "result": follow_up.result,
        "updated_at": follow_up.updated_at,
    }


def kit_row(kit: NaloxoneKit) -> dict:
    return {
        "dispensed_at": kit.dispensed_at,
        "formulation": kit.get_formulation_display(),
        "quantity": kit.quantity,
        "recipient": kit.recipient_name or kit.get_recipient_display(),
    }


def education_row(education: Education) -> dict:
    return {"given_at": education.given_at, "given_by": str(education.given_by), "note": education.note}


def refusal_row(refusal: Refusal) -> dict:
    return {"refused_at": refusal.refused_at, "what": refusal.get_what_display(), "note": refusal.note}


def use_event_row(event: UseEvent) -> dict:
    return {
        "occurred_at": event.occurred_at,
        "kind": event.get_kind_display(),
        "during_care": event.during_care,
        "naloxone_given": event.naloxone_given,
        "outcome": event.get_outcome_display(),
        "note": event.note,
    }


def screening_kind(key, title, model, rows, columns, render, *, fhir_kinds=(), seed="", position) -> RecordKind:
    return register(
        RecordKind(
            key=key,
            title=title,
            model=f"screening.{model.__name__}",
            program_field="program",
            patient_field="patient",
            part2=True,
            information_kind=ALL_SUD,
            rows=rows,
            columns=columns,
            render=render,
            fhir_kinds=fhir_kinds,
            not_in_fhir="" if fhir_kinds else NOT_IN_FHIR,
            chart_section=CHART,
            seed=seed,
            not_seeded="" if seed else "the seed's synthetic histories hold none yet: no generator is written for it",
            position=position,
        )
    )


screening_kind(
    "substance_use_histories",
    "Substance use history (every version)",
    History,
    patient_rows(History, "version"),
    (
        ("version", "Version"),
        ("recorded_at", "Recorded"),
        ("substances", "Substances (routes, frequency)"),
        ("fentanyl_xylazine", "Fentanyl or xylazine in the supply"),
        ("prior_overdoses", "Prior overdoses"),
        ("most_recent_overdose", "Most recent overdose"),
        ("uses_alone", "Uses alone"),
        ("prior_treatment", "Prior treatment"),
    ),
    history_row,
    position=40,
)
screening_kind(
    "complication_screens",
    "Health-complication screens",
    Screen,
    patient_rows(Screen, "taken_at"),
    (("taken_at", "Taken"), ("present", "Complications present")),
    screen_row,
    fhir_kinds=("screen-finding",),
    seed="screens",
    position=41,
)
screening_kind(
    "screening_follow_ups",
    "Screening follow-ups",
    FollowUp,
    patient_rows(FollowUp, "created_at"),
    (
        ("follow_up", "Follow-up"),
        ("reasons", "Why"),
        ("status", "Status"),
        ("result", "Result"),
        ("updated_at", "Updated"),
    ),
    follow_up_row,
    position=42,
)
screening_kind(
    "naloxone_kits",
    "Naloxone kits dispensed",
    NaloxoneKit,
    patient_rows(NaloxoneKit, "dispensed_at"),
    (("dispensed_at", "Dispensed"), ("formulation", "Formulation"), ("quantity", "Quantity"), ("recipient", "To")),
    kit_row,
    seed="naloxone",
    position=43,
)
screening_kind(
    "overdose_education",
    "Overdose-prevention education",
    Education,
    patient_rows(Education, "given_at"),
    (("given_at", "Given"), ("given_by", "By"), ("note", "Note")),
    education_row,
    seed="education",
    position=44,
)
screening_kind(
    "naloxone_refusals",
    "Naloxone or education refused",
    Refusal,
    patient_rows(Refusal, "refused_at"),
    (("refused_at", "Refused"), ("what", "What"), ("note", "Note")),
    refusal_row,
    position=45,
)
screening_kind(
    "use_events",
    "Overdoses and returns to use",
    UseEvent,
    patient_rows(UseEvent, "occurred_at"),
    (
        ("occurred_at", "When"),
        ("kind", "Event"),
        ("during_care", "During care"),
        ("naloxone_given", "Naloxone given"),
        ("outcome", "Outcome"),
        ("note", "Note"),
    ),
    use_event_row,
    position=46,
)
not_a_record("screening.SubstanceUse", "one substance of a substance use history: disclosed within that history")
