"""The privacy officer's audit page: its filters and its sort keys, from allowlists only."""

from django import forms

from .models import AuditEvent

# Sort key (as it appears in the address) -> the column it orders by. Anything else is refused.
SORT_KEYS = {
    "at": "at",
    "user": "actor_name",
    "action": "action",
    "patient": "patient_id",
    "outcome": "outcome",
    "channel": "channel",
    "object": "object_type",
}
SORT_CHOICES = [(key, key) for key in SORT_KEYS] + [(f"-{key}", f"-{key}") for key in SORT_KEYS]
PARAMETERS = {"date_from", "date_to", "user", "patient", "action", "outcome", "sort", "format", "page"}


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))
    user = forms.CharField(required=False, max_length=150, label="User (username or name, or part of it)")
    patient = forms.CharField(required=False, max_length=64, label="Patient (MRN)")
    action = forms.CharField(required=False, max_length=64, label="Action, or part of it (e.g. chart, break_glass)")
    outcome = forms.ChoiceField(
        required=False,
        choices=[("", "any"), (AuditEvent.Outcome.DENIED, "Refused access (denied)")]
        + [choice for choice in AuditEvent.Outcome.choices if choice[0] != AuditEvent.Outcome.DENIED],
    )
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, initial="-at")
    format = forms.ChoiceField(required=False, choices=[("", "page"), ("csv", "csv")])

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data
