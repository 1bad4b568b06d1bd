"""CIWA-Ar, the Clinical Institute Withdrawal Assessment for Alcohol, revised (Sullivan et al. 1989), as in
shared/reference/clinical-scales.md.

Ten items: items 1-9 score every integer 0-7, item 10 scores 0-4; total 0-67. The form prints anchors at
some values only; the values between them are allowed and are shown as "between" their neighbouring
anchors (the project's wording, not the form's), so no anchor text is invented.

No severity bands: protocols differ (the reference marks every cut-off UNVERIFIED as a single standard), so
a result carries its total only. The form's remark that patients scoring less than 10 do not usually need
additional medication for withdrawal is kept in the instructions, attributed to the form.
"""

from __future__ import annotations

from .base import Instrument, Item


def _choices(anchors: dict[int, str], highest: int) -> tuple[tuple[int, str], ...]:
    """Every integer 0..highest: the form's anchor where it prints one, otherwise "between" the anchors either side."""
    choices = []
    for value in range(highest + 1):
        if value in anchors:
            choices.append((value, anchors[value]))
        else:
            below = max(v for v in anchors if v < value)
            above = min(v for v in anchors if v > value)
            choices.append((value, f"between {below} and {above} (no anchor printed for {value})"))
    return tuple(choices)


CIWA_AR = Instrument(
    code="ciwa-ar",
    version="1989",
    title="Clinical Institute Withdrawal Assessment for Alcohol, revised",
    short_title="CIWA-Ar",
    source="Sullivan et al., Br J Addict 1989;84:1353-1357",
    reporter="clinician",
    instructions=(
        "For patients who also use alcohol. Items 1-9 score 0-7, item 10 scores 0-4; the maximum possible "
        "score is 67. The form says patients scoring less than 10 do not usually need additional medication "
        "for withdrawal."
    ),
    items=(
        Item(
            "nausea_vomiting",
            "Nausea and vomiting",
            choices=_choices(
                {
                    0: "no nausea and no vomiting",
                    1: "mild nausea with no vomiting",
                    4: "intermittent nausea with dry heaves",
                    7: "constant nausea, frequent dry heaves and vomiting",
                },
                7,
            ),
        ),
        Item(
            "tremor",
            "Tremor, arms extended and fingers spread",
            choices=_choices(
                {
                    0: "no tremor",
                    1: "not visible, but can be felt fingertip to fingertip",
                    4: "moderate, with patient's arms extended",
                    7: "severe, even with arms not extended",
                },
                7,
            ),
        ),
        Item(
            "paroxysmal_sweats",
            "Paroxysmal sweats",
            choices=_choices(
                {
                    0: "no sweat visible",
                    1: "barely perceptible sweating, palms moist",
                    4: "beads of sweat obvious on forehead",
                    7: "drenching sweats",
                },
                7,
            ),
        ),
        Item(
            "anxiety",
            "Anxiety",
            choices=_choices(
                {
                    0: "no anxiety, at ease",
                    1: "mildly anxious",
                    4: "moderately anxious, or guarded, so anxiety is inferred",
                    7: "equivalent to acute panic states as seen in severe delirium or acute schizophrenic reactions",
                },
                7,
            ),
        ),
        Item(
            "agitation",
            "Agitation",
            choices=_choices(
                {
                    0: "normal activity",
                    1: "somewhat more than normal activity",
                    4: "moderately fidgety and restless",
                    7: "paces back and forth during most of the interview, or constantly thrashes about",
                },
                7,
            ),
        ),
        Item(
            "tactile",
            "Tactile disturbances",
            choices=(
                (0, "none"),
                (1, "very mild itching, pins and needles, burning or numbness"),
                (2, "mild"),
                (3, "moderate"),
                (4, "moderately severe hallucinations"),
                (5, "severe hallucinations"),
                (6, "extremely severe hallucinations"),
                (7, "continuous hallucinations"),
            ),
        ),
        Item(
            "auditory",
            "Auditory disturbances",
            choices=(
                (0, "not present"),
                (1, "very mild harshness or ability to frighten"),
                (2, "mild harshness or ability to frighten"),
                (3, "moderate harshness or ability to frighten"),
                (4, "moderately severe hallucinations"),
                (5, "severe hallucinations"),
                (6, "extremely severe hallucinations"),
                (7, "continuous hallucinations"),
            ),
        ),
        Item(
            "visual",
            "Visual disturbances",
            choices=(
                (0, "not present"),
                (1, "very mild sensitivity"),
                (2, "mild sensitivity"),
                (3, "moderate sensitivity"),
                (4, "moderately severe hallucinations"),
                (5, "severe hallucinations"),
                (6, "extremely severe hallucinations"),
                (7, "continuous hallucinations"),
            ),
        ),
        Item(
            "headache",
            "Headache, fullness in head",
            choices=(
                (0, "not present"),
                (1, "very mild"),
                (2, "mild"),
                (3, "moderate"),
                (4, "moderately severe"),
                (5, "severe"),
                (6, "very severe"),
                (7, "extremely severe"),
            ),
        ),
        Item(
            "orientation",
            "Orientation and clouding of sensorium",
            choices=(
                (0, "oriented and can do serial additions"),
                (1, "cannot do serial additions or is uncertain about date"),
                (2, "disoriented for date by no more than 2 calendar days"),
                (3, "disoriented for date by more than 2 calendar days"),
                (4, "disoriented for place and/or person"),
            ),
        ),
    ),
)
