"""Questionnaire resources generated from the instrument declarations in waypoint/scales (one per instrument).

They are definitions, not patient data: no program, no patient, no Part 2 label. An item's answers are codes of
the instrument's own answer CodeSystem ("<item>.<score>"), each carrying its score as an ordinalValue, so a
QuestionnaireResponse keeps the score itself, never an option's position.
"""

from __future__ import annotations

import re

from waypoint.scales import INSTRUMENTS, Instrument, Item

from .codes import ORDINAL_VALUE, own, prune


def questionnaire_url(instrument: Instrument) -> str:
    return own(f"Questionnaire/{instrument.code}")


def answer_system(instrument: Instrument) -> str:
    return own(f"CodeSystem/{instrument.code}-answers")


def answer_coding(instrument: Instrument, item: Item, score: int) -> dict:
    return {
        "extension": [{"url": ORDINAL_VALUE, "valueDecimal": score}],
        "system": answer_system(instrument),
        "code": f"{item.key}.{score}",
        "display": item.anchor(score),
    }


def _help(item: Item) -> str:
    parts = [item.help]
    if item.unit:
        parts.append(f"anchors in {item.unit}")
    if item.derive_from is not None:
        parts.append(f"may be derived from the measured vital sign {item.derive_from.vital}")
    return "; ".join(p for p in parts if p)


def _item(instrument: Instrument, item: Item) -> dict:
    help_text = _help(item)
    return {
        "linkId": item.key,
        "text": item.label,
        "type": "choice",
        "required": True,
        "answerOption": [{"valueCoding": answer_coding(instrument, item, score)} for score in item.scores],
        "item": [{"linkId": f"{item.key}.help", "text": help_text, "type": "display"}] if help_text else [],
    }


def questionnaire(instrument: Instrument) -> dict:
    bands = "; ".join(f"{b.low}-{b.high} {b.label}" for b in instrument.bands)
    description = " ".join(
        filter(
            None,
            [
                f"{instrument.title}. Source: {instrument.source}.",
                f"Answered by the {instrument.reporter}.",
                f"Total {instrument.min_total}-{instrument.max_total}.",
                f"Severity bands: {bands}." if bands else "No severity bands.",
                instrument.instructions,
            ],
        )
    )
    return prune(
        {
            "resourceType": "Questionnaire",
            "id": instrument.code,
            "url": questionnaire_url(instrument),
            "version": instrument.version,
            "name": re.sub(r"[^A-Za-z0-9]", "", instrument.title.title()),
            "title": instrument.title,
            "status": "active",
            "subjectType": ["Patient"],
            "publisher": "Waypoint",
            "description": description,
            "item": [_item(instrument, item) for item in instrument.items],
        }
    )


def all_questionnaires() -> list[dict]:
    return [questionnaire(instrument) for instrument in INSTRUMENTS.values()]
