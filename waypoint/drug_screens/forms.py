from django import forms

from waypoint.patients.forms import DateTimeInput

from . import rules

OBSERVED = (("yes", "Observed"), ("no", "Not observed"))


class ScreenForm(forms.Form):
    collected_at = forms.DateTimeField(label="Collected at", widget=DateTimeInput())
    observed = forms.ChoiceField(label="Collection", choices=OBSERVED, widget=forms.RadioSelect)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for analyte, label in rules.ANALYTES.items():
            self.fields[f"result_{analyte}"] = forms.ChoiceField(
                label=label,
                choices=list(rules.RESULTS.items()),
                initial="not_tested",
                required=False,
                widget=forms.RadioSelect,
            )

    def analyte_fields(self):
        return [self[f"result_{analyte}"] for analyte in rules.ANALYTES]

    def screen(self) -> dict:
        data = self.cleaned_data
        return {
            "collected_at": data["collected_at"],
            "observed": data["observed"] == "yes",
            "note": data["note"],
            "results": {a: data[f"result_{a}"] or "not_tested" for a in rules.ANALYTES},
        }


def field_of(key: str) -> str:
    return f"result_{key.split('.', 1)[1]}" if key.startswith("results.") else key
