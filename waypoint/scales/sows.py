"""The two instruments abbreviated "SOWS", kept apart by their codes (shared/reference/clinical-scales.md).

- `sows-handelsman`: Subjective Opiate Withdrawal Scale (Handelsman et al. 1987), 16 items 0-4.
- `sows-gossop`: Short Opiate Withdrawal Scale (Gossop 1990), 10 items 0-3.

Neither has severity bands here. The Handelsman bands printed on some forms (1-10 mild, 11-20 moderate,
21-30 severe) are UNVERIFIED as published, and the Gossop scale has no published bands: results of
both carry the total only (severity None), to be shown with its trend.
"""

from __future__ import annotations

from .base import Instrument, Item

_HANDELSMAN_ANCHORS = ((0, "not at all"), (1, "a little"), (2, "moderately"), (3, "quite a bit"), (4, "extremely"))

_HANDELSMAN_STATEMENTS = (
    ("anxious", "I feel anxious"),
    ("yawning", "I feel like yawning"),
    ("perspiring", "I'm perspiring"),
    ("tearing", "My eyes are tearing"),
    ("nose_running", "My nose is running"),
    ("goose_flesh", "I have goose flesh"),
    ("shaking", "I am shaking"),
    ("hot_flashes", "I have hot flashes"),
    ("cold_flashes", "I have cold flashes"),
    ("aches", "My bones and muscles ache"),
    ("restless", "I feel restless"),
    ("nauseous", "I feel nauseous"),
    ("vomiting", "I feel like vomiting"),
    ("twitching", "My muscles twitch"),
    ("stomach_cramps", "I have cramps in my stomach"),
    ("urge_to_use", "I feel like shooting up now"),
)

# No bands: the ones printed on some forms are not verified as published (see the module docstring).
SOWS_HANDELSMAN = Instrument(
    code="sows-handelsman",
    version="1987",
    title="Subjective Opiate Withdrawal Scale",
    short_title="SOWS (Handelsman)",
    source="Handelsman et al., Am J Drug Alcohol Abuse 1987;13(3):293-308",
    reporter="patient",
    items=tuple(Item(key, label, choices=_HANDELSMAN_ANCHORS) for key, label in _HANDELSMAN_STATEMENTS),
)

_GOSSOP_ANCHORS = ((0, "none"), (1, "mild"), (2, "moderate"), (3, "severe"))

_GOSSOP_SYMPTOMS = (
    ("feeling_sick", "Feeling sick"),
    ("stomach_cramps", "Stomach cramps"),
    ("muscle_spasms", "Muscle spasms/twitching"),
    ("feeling_cold", "Feeling of coldness"),
    ("heart_pounding", "Heart pounding"),
    ("muscle_tension", "Muscular tension"),
    ("aches_pains", "Aches and pains"),
    ("yawning", "Yawning"),
    ("runny_eyes", "Runny eyes"),
    ("insomnia", "Insomnia/problems sleeping"),
)

# No bands: the Short Opiate Withdrawal Scale has no published severity bands.
SOWS_GOSSOP = Instrument(
    code="sows-gossop",
    version="1990",
    title="Short Opiate Withdrawal Scale",
    short_title="SOWS (Gossop)",
    source="Gossop, Addict Behav 1990;15:487-490",
    reporter="patient",
    items=tuple(Item(key, label, choices=_GOSSOP_ANCHORS) for key, label in _GOSSOP_SYMPTOMS),
)
