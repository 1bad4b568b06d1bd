"""COWS, the Clinical Opiate Withdrawal Scale (Wesson & Ling 2003), as in shared/reference/clinical-scales.md.

Item wording and allowed scores are the reference's, exactly; the scores are sparse (the pulse item
allows 0, 1, 2 or 4, never 3), so a stored answer is the score itself, never an option's position.
The pulse item may be derived from a measured pulse (`vitals["pulse_bpm"]`); see `pulse_score`.
"""

from __future__ import annotations

from .base import Band, Derivation, Instrument, Item, is_whole_number


def pulse_score(bpm: int) -> int:
    """The COWS pulse score of a measured resting pulse in beats/minute:
    80 or below -> 0; 81-100 -> 1; 101-120 -> 2; greater than 120 -> 4.

    Raises TypeError for a non-integer (bools included), ValueError for a pulse that is not positive."""
    if not is_whole_number(bpm):
        raise TypeError(f"a measured pulse must be a whole number of beats/minute, got {bpm!r}")
    if bpm <= 0:
        raise ValueError(f"a measured pulse must be a positive number of beats/minute, got {bpm}")
    if bpm <= 80:
        return 0
    if bpm <= 100:
        return 1
    if bpm <= 120:
        return 2
    return 4


COWS = Instrument(
    code="cows",
    version="2003",
    title="Clinical Opiate Withdrawal Scale",
    short_title="COWS",
    source="Wesson & Ling, J Psychoactive Drugs 2003;35(2):253-259",
    reporter="clinician",
    instructions=(
        "For each item, score only what is apparently due to opiate withdrawal (e.g. a heart rate raised "
        "by jogging just before the assessment does not add to the pulse score)."
    ),
    items=(
        Item(
            "resting_pulse",
            "Resting pulse rate",
            help="measured after sitting or lying for one minute",
            unit="beats/minute",
            choices=((0, "80 or below"), (1, "81-100"), (2, "101-120"), (4, "greater than 120")),
            derive_from=Derivation(
                "pulse_bpm", pulse_score, measured="the measured pulse {value} bpm", name="the measured pulse"
            ),
        ),
        Item(
            "sweating",
            "Sweating",
            help="over the past half hour, not accounted for by room temperature or activity",
            choices=(
                (0, "no report of chills or flushing"),
                (1, "subjective report of chills or flushing"),
                (2, "flushed or observable moistness on face"),
                (3, "beads of sweat on brow or face"),
                (4, "sweat streaming off face"),
            ),
        ),
        Item(
            "restlessness",
            "Restlessness",
            help="observed during assessment",
            choices=(
                (0, "able to sit still"),
                (1, "reports difficulty sitting still, but is able to do so"),
                (3, "frequent shifting or extraneous movements of legs/arms"),
                (5, "unable to sit still for more than a few seconds"),
            ),
        ),
        Item(
            "pupil_size",
            "Pupil size",
            choices=(
                (0, "pupils pinned or normal size for room light"),
                (1, "pupils possibly larger than normal for room light"),
                (2, "pupils moderately dilated"),
                (5, "pupils so dilated that only the rim of the iris is visible"),
            ),
        ),
        Item(
            "bone_joint_aches",
            "Bone or joint aches",
            help="if pain was present before, score only the part attributed to withdrawal",
            choices=(
                (0, "not present"),
                (1, "mild diffuse discomfort"),
                (2, "patient reports severe diffuse aching of joints/muscles"),
                (4, "patient is rubbing joints or muscles and is unable to sit still because of discomfort"),
            ),
        ),
        Item(
            "runny_nose_tearing",
            "Runny nose or tearing",
            help="not accounted for by cold symptoms or allergies",
            choices=(
                (0, "not present"),
                (1, "nasal stuffiness or unusually moist eyes"),
                (2, "nose running or tearing"),
                (4, "nose constantly running or tears streaming down cheeks"),
            ),
        ),
        Item(
            "gi_upset",
            "GI upset",
            help="over the last half hour",
            choices=(
                (0, "no GI symptoms"),
                (1, "stomach cramps"),
                (2, "nausea or loose stool"),
                (3, "vomiting or diarrhea"),
                (5, "multiple episodes of diarrhea or vomiting"),
            ),
        ),
        Item(
            "tremor",
            "Tremor",
            help="observation of outstretched hands",
            choices=(
                (0, "no tremor"),
                (1, "tremor can be felt, but not observed"),
                (2, "slight tremor observable"),
                (4, "gross tremor or muscle twitching"),
            ),
        ),
        Item(
            "yawning",
            "Yawning",
            help="observation during assessment",
            choices=(
                (0, "no yawning"),
                (1, "yawning once or twice during assessment"),
                (2, "yawning three or more times during assessment"),
                (4, "yawning several times/minute"),
            ),
        ),
        Item(
            "anxiety_irritability",
            "Anxiety or irritability",
            choices=(
                (0, "none"),
                (1, "patient reports increasing irritability or anxiousness"),
                (2, "patient obviously irritable or anxious"),
                (4, "patient so irritable or anxious that participation in the assessment is difficult"),
            ),
        ),
        Item(
            "gooseflesh",
            "Gooseflesh skin",
            choices=(
                (0, "skin is smooth"),
                (3, "piloerection of skin can be felt or hairs standing up on arms"),
                (5, "prominent piloerection"),
            ),
        ),
    ),
    # Below 5 is not conclusive of withdrawal: labelled as "no active withdrawal", not as a diagnosis.
    bands=(
        Band(0, 4, "none", "below 5: no active withdrawal by COWS"),
        Band(5, 12, "mild", "mild"),
        Band(13, 24, "moderate", "moderate"),
        Band(25, 36, "moderately_severe", "moderately severe"),
        Band(37, 48, "severe", "severe"),
    ),
)
