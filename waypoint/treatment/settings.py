"""The treatment choices of a program, each with where its default comes from."""

from django.core.exceptions import ValidationError

from waypoint.accounts.program_settings import ProgramSetting, whole_number

CATEGORIES = (("format", "Format"), ("behavioral", "Behavioral"), ("experiential", "Experiential"), ("other", "Other"))
CATEGORY_LABELS = dict(CATEGORIES)

# The modalities issue 6 lists, as the default the program edits.
DEFAULT_MODALITIES = [
    {"code": "individual_therapy", "label": "Individual therapy", "category": "format"},
    {"code": "group_therapy", "label": "Group therapy", "category": "format"},
    {"code": "cbt", "label": "Cognitive behavioral therapy", "category": "behavioral"},
    {"code": "contingency_management", "label": "Contingency management", "category": "behavioral"},
    {"code": "motivational_interviewing", "label": "Motivational interviewing", "category": "behavioral"},
    {"code": "relapse_prevention", "label": "Relapse prevention", "category": "behavioral"},
    {"code": "dbt_skills", "label": "DBT skills", "category": "behavioral"},
    {"code": "art", "label": "Art", "category": "experiential"},
    {"code": "music", "label": "Music", "category": "experiential"},
    {"code": "movement_adventure", "label": "Movement/adventure", "category": "experiential"},
    {"code": "mindfulness", "label": "Mindfulness", "category": "experiential"},
    {"code": "family_therapy", "label": "Family therapy", "category": "other"},
    {"code": "case_management", "label": "Case management", "category": "other"},
    {"code": "peer_recovery_support", "label": "Peer recovery support", "category": "other"},
    {"code": "moud", "label": "Medication for opioid use disorder (MOUD)", "category": "other"},
]


def modality_list(value):
    if not isinstance(value, list) or not value:
        raise ValidationError('Give a list of {"code": ..., "label": ..., "category": ...} modalities.')
    for entry in value:
        if (
            not isinstance(entry, dict)
            or set(entry) != {"code", "label", "category"}
            or not isinstance(entry["code"], str)
            or not entry["code"].strip()
            or not isinstance(entry["label"], str)
            or not entry["label"].strip()
            or entry["category"] not in CATEGORY_LABELS
        ):
            raise ValidationError(
                'Each modality is {"code", "label", "category"}; category one of ' + ", ".join(CATEGORY_LABELS) + "."
            )
    codes = [entry["code"] for entry in value]
    if len(set(codes)) != len(codes):
        raise ValidationError("Each modality code once.")


MODALITIES = ProgramSetting(
    "treatment.modalities",
    label="treatment modalities",
    default=DEFAULT_MODALITIES,
    validate=modality_list,
    help="The therapeutic modalities plans and sessions choose from (code, label, category). Removing one keeps "
    "its label on the plans and sessions that used it.",
    origin="Waypoint's starting list (individual and group therapy; behavioral: CBT, contingency management, "
    "motivational interviewing, relapse prevention, DBT skills; experiential: art, music, movement/adventure, "
    "mindfulness; family therapy, case management, peer recovery support, MOUD); the program edits the list.",
)

REVIEW_INTERVAL_DAYS = ProgramSetting(
    "treatment.review_interval_days",
    label="plan review every (days)",
    default=None,
    validate=whole_number(1, 365),
    help="Days after a plan is signed or reviewed when the next review is due (a review is also due at every "
    "change of level of care). Empty: due only at changes of level of care.",
    origin="Program protocol (state rules and accreditors differ); no published standard interval, so no default.",
)

REVIEW_OVERDUE_AFTER_DAYS = ProgramSetting(
    "treatment.review_overdue_after_days",
    label="plan review overdue after (days)",
    default=None,
    validate=whole_number(0, 90),
    help="A due plan review counts as overdue this many days after it fell due (0: at once). Empty: shown as due, "
    "never as overdue.",
    origin="Program protocol; no published standard, so no default.",
)


def modalities(program) -> list[dict]:
    return MODALITIES.get(program)


def modality_labels(program) -> dict[str, str]:
    return {m["code"]: m["label"] for m in modalities(program)}
