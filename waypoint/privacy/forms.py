from django import forms


class BreakGlassForm(forms.Form):
    mrn = forms.CharField(label="MRN", max_length=32)
    reason = forms.CharField(label="Emergency: why you need this chart now", widget=forms.Textarea(attrs={"rows": 3}))


class DateRangeForm(forms.Form):
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
