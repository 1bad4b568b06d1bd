"""Assessment forms, generated from the instrument's declaration (items, anchors, allowed scores)."""

import json

from django import forms

from waypoint.patients.forms import DateTimeInput

from .vitals import VITALS


class ScoreRadios(forms.RadioSelect):
    template_name = "withdrawal/widgets/score_radios.html"


def item_fields(instrument, *, plain: bool = False) -> dict[str, forms.Field]:
    """One radio group per item; the value is the score itself (COWS scores are sparse)."""
    fields: dict[str, forms.Field] = {}
    for item in instrument.items:
        fields[item.key] = forms.TypedChoiceField(
            label=item.label,
            help_text=item.help,
            required=False,
            coerce=int,
            empty_value=None,
            choices=[(score, text if plain else f"{score} — {text}") for score, text in item.choices],
            widget=ScoreRadios,
        )
    return fields


def score_table(item, vital) -> list[list]:
    """The scores the item's declared derivation gives over the vital's possible values, as [highest value, score]
    steps (the last with no highest): the page scores the item as the measurement is typed, by the same rule."""
    steps: list[list] = []
    for value in range(max(1, int(vital.low)), int(vital.high) + 1):
        item_score = item.derive_from.rule(value)
        if steps and steps[-1][1] == item_score:
            steps[-1][0] = value
        else:
            steps.append([value, item_score])
    steps[-1][0] = None
    return steps


def vital_fields(instrument) -> dict[str, forms.Field]:
    """The vital signs, in units people read; one an item is scored from carries that item and its score table."""
    derives = {item.derive_from.vital: item for item in instrument.items if item.derive_from is not None}
    fields: dict[str, forms.Field] = {}
    for vital in VITALS:
        field_class = forms.IntegerField if vital.whole else forms.DecimalField
        field = field_class(label=f"{vital.label} ({vital.readable_unit})", required=False)
        item = derives.get(vital.key)
        if item is not None:
            field.widget.attrs |= {
                "data-scores-item": item.key,
                "data-score-table": json.dumps(score_table(item, vital)),
            }
            field.help_text = f"Scores \u201c{item.label}\u201d automatically."
        fields[vital.key] = field
    return fields


def assessment_form(instrument, *, with_vitals: bool, amending: bool = False):
    """A form class for this instrument: items, time, vitals (for clinician scales), note, reasons."""
    fields: dict[str, forms.Field] = {"taken_at": forms.DateTimeField(label="Taken at", widget=DateTimeInput())}
    fields |= item_fields(instrument)
    if with_vitals:
        fields |= vital_fields(instrument)
    fields["note"] = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    if amending:
        fields["reason"] = forms.CharField(label="Reason for the amendment", widget=forms.Textarea(attrs={"rows": 2}))
        fields["version"] = forms.IntegerField(widget=forms.HiddenInput)
    else:
        fields["late_entry_reason"] = forms.CharField(
            label="Late-entry reason",
            required=False,
            help_text="Needed when the assessment is older than the program's late-entry limit.",
        )
    return type(f"{instrument.code.title().replace('-', '')}Form", (forms.Form,), fields)


def split(instrument, data: dict) -> tuple[dict, dict]:
    """Responses (answered items only) and vitals from a form's cleaned data."""
    responses = {item.key: data[item.key] for item in instrument.items if data.get(item.key) is not None}
    vitals = {v.key: data[v.key] for v in VITALS if data.get(v.key) is not None}
    return responses, vitals


def field_name(key: str) -> str:
    """A service error key (`responses.gooseflesh`, `vitals.pulse_bpm`) as the form field it belongs to."""
    return key.split(".", 1)[1] if key.startswith(("responses.", "vitals.")) else key


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)
