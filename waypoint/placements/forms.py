from django import forms

from waypoint.accounts.models import CareTeam
from waypoint.patients.forms import DateTimeInput
from waypoint.patients.models import Patient
from waypoint.placement.levels import levels_of
from waypoint.placement.rules import DIMENSIONS

from .models import PlacementAssessment
from .services import KEYS

RATING_CHOICES = [(str(n), str(n)) for n in range(5)]


def placement_form(edition: int):
    fields: dict[str, forms.Field] = {}
    for key, name in zip(KEYS, DIMENSIONS[edition], strict=True):
        fields[f"rating_{key}"] = forms.TypedChoiceField(
            label=f"{key[1]}. {name}", choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect, required=False
        )
        fields[f"note_{key}"] = forms.CharField(
            label=f"Note on dimension {key[1]}", required=False, widget=forms.TextInput(attrs={"placeholder": "Note"})
        )
    fields["at"] = forms.DateTimeField(label="Assessed at", widget=DateTimeInput())
    fields["decided_level"] = forms.ChoiceField(
        label="Level decided",
        required=False,
        choices=[("", "Follow the recommendation")] + [(lvl.code, lvl.label) for lvl in levels_of(edition)],
    )
    fields["reason"] = forms.ChoiceField(
        label="Reason (when the decision differs)", required=False, choices=PlacementAssessment.Reason.choices
    )
    fields["reason_text"] = forms.CharField(
        label="Reason in words", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    return type("PlacementForm", (forms.Form,), fields)


def field_for(key: str) -> str:
    """A service error key (ratings.d1, notes.d1, reason...) as the form field's name."""
    if key.startswith("ratings."):
        return "rating_" + key.split(".", 1)[1]
    if key.startswith("notes."):
        return "note_" + key.split(".", 1)[1]
    return key


def referral_form(program):
    from . import referrals
    from .models import Referral

    class ReferralForm(forms.Form):
        name = forms.CharField(label="Name")
        contact = forms.CharField(label="Contact (phone, e-mail)")
        source = forms.ChoiceField(label="Source", choices=Referral.Source.choices)
        source_detail = forms.CharField(label="Referred by (person, organisation)", required=False)
        received_at = forms.DateTimeField(label="First contact", widget=DateTimeInput())
        urgency = forms.ChoiceField(label="Urgency", choices=Referral.Urgency.choices)
        requested_level = forms.ChoiceField(
            label="Requested level", choices=[(lvl.code, lvl.label) for lvl in levels_of(program.asam_edition)]
        )
        priority_flags = forms.MultipleChoiceField(
            label="Priority flags",
            required=False,
            choices=referrals.flag_choices(program),
            widget=forms.CheckboxSelectMultiple,
        )
        note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    return ReferralForm


class AdmitReferralForm(forms.Form):
    """Admit from the referral: the person is registered in the same step (MRN generated); or name the MRN of a
    patient already registered."""

    admitted_at = forms.DateTimeField(label="Admitted at", widget=DateTimeInput())
    level_code = forms.CharField(label="Level (empty: the requested level)", required=False)
    birth_date = forms.DateField(label="Birth date", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sex_at_birth = forms.ChoiceField(
        label="Sex at birth", required=False, choices=[("", "— choose —"), *Patient.SexAtBirth.choices]
    )
    care_team = forms.ModelChoiceField(
        label="Care team",
        queryset=CareTeam.objects.none(),
        required=False,
        empty_label="— the only team for the level —",
    )
    mrn = forms.CharField(
        label="Already registered? Their MRN", required=False, help_text="Empty: registered now from this referral."
    )

    def __init__(self, *args, program=None, **kwargs):
        super().__init__(*args, **kwargs)
        if program is not None:
            self.fields["care_team"].queryset = CareTeam.objects.filter(program=program)


class CloseReferralForm(forms.Form):
    status = forms.ChoiceField(
        label="Outcome", choices=[("referred_elsewhere", "Referred elsewhere"), ("closed", "Closed")]
    )
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}))


class RuleTableForm(forms.Form):
    table = forms.CharField(
        label="Rule table (JSON)",
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "wrap": "off", "class": "code"}),
        help_text="Shape: intensity ranks least to most intensive, default_level, withdrawal needs least to most, "
        "default_withdrawal, rules (id, when, level and/or withdrawal, why). The version number is set on saving.",
    )
    note = forms.CharField(
        label="Note: what changed and why", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
