from django import forms

from waypoint.patients.forms import DateTimeInput

from .models import Dose


class DoseForm(forms.Form):
    line = forms.TypedChoiceField(label="Drug", coerce=int)
    status = forms.ChoiceField(label="What happened", choices=Dose.Status.choices, initial=Dose.Status.GIVEN)
    dose = forms.DecimalField(label="Dose given (mg)", required=False, min_value=0, decimal_places=2)
    at = forms.DateTimeField(label="Time", widget=DateTimeInput())
    pulse_bpm = forms.IntegerField(label="Pulse now (beats/minute)", required=False, min_value=1, max_value=300)
    systolic_mmhg = forms.IntegerField(label="Systolic pressure now (mmHg)", required=False, min_value=1, max_value=300)
    reason = forms.CharField(label="Why held or refused", required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [("", "Choose the drug")] + [
            (line.pk, f"{line.entry} — {line.dose_range_text}") for line in lines
        ]


class FollowUpForm(forms.Form):
    outcome = forms.ChoiceField(label="The symptom", choices=Dose.Outcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
