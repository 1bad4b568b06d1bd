"""The screening and overdose-prevention choices of a program, each with where its default comes from."""

from django.core.exceptions import ValidationError

from waypoint.accounts.program_settings import ProgramSetting, whole_number
from waypoint.screening_rules.overdose import DEFAULT_HIGH_FACTORS, FACTOR_BY_KEY


def factor_keys(value):
    if not isinstance(value, list) or not all(isinstance(k, str) and k in FACTOR_BY_KEY for k in value):
        raise ValidationError(f"Give a list of risk factors from: {', '.join(FACTOR_BY_KEY)}.")


def yes_no(value):
    if not isinstance(value, bool):
        raise ValidationError("Give true or false.")


def text(value):
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("Give the text.")


DAYS_WITHOUT_USE = ProgramSetting(
    "screening.tolerance_days_without_use",
    label="days without use before tolerance is lost",
    default=7,
    validate=whole_number(1, 365),
    help="Days without known use after which the overdose-risk picture shows reduced tolerance.",
    origin="Program protocol. The reference names loss of tolerance but publishes no number of days; 7 is "
    "this implementation's starting value for the program to review.",
)
HIGH_FACTORS = ProgramSetting(
    "screening.high_risk_factors",
    label="factors that make overdose risk high",
    default=list(DEFAULT_HIGH_FACTORS),
    validate=factor_keys,
    help="Risk factors that make the overdose-risk level 'high' on their own; any other present factor "
    "makes it 'elevated'. No score, no weights.",
    origin="The program's clinicians name reduced tolerance as high risk; no source ranks the other factors.",
)
REQUIRE_NALOXONE_AT_TRANSITION = ProgramSetting(
    "screening.require_naloxone_at_transition",
    label="naloxone required before a transition",
    default=True,
    validate=yes_no,
    help="Refuse a discharge or a change of level of care until a naloxone kit and overdose-prevention "
    "education are recorded in the episode, or the patient's refusal of each is recorded.",
    origin="Reference practice: overdose education and naloxone at every discharge or transition.",
)
HANDOUT_EDUCATION = ProgramSetting(
    "screening.handout_education_text",
    label="education text on the handout",
    validate=text,
    default=(
        "Your body's tolerance drops fast when you stop using, even for a few days. The amount you used "
        "before can now kill you.\n"
        "Carry naloxone and make sure the people around you know where it is and how to use it.\n"
        "Do not use alone. If you do, tell someone who can check on you.\n"
        "Fentanyl and xylazine are in much of the supply. Use test strips where they are legal.\n"
        "Signs of an overdose: no response, slow or no breathing, blue lips, pinpoint pupils. Call 911, "
        "give naloxone, start rescue breathing, put the person on their side.\n"
        "You can always come back to us for help."
    ),
    help="The plain-language overdose prevention and response text on the patient handout (one paragraph per line).",
    origin="Program text, written in plain language from the reference's practice note.",
)
