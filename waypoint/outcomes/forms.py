from datetime import timedelta

from django import forms

MAX_DAYS = 731


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end must not be before the start.")
            elif (end - start).days >= MAX_DAYS:
                self.add_error("end", f"Choose at most {MAX_DAYS} days.")
        return data


def default_period(program) -> dict:
    """The last 90 days up to the program's day (its time zone: also for an API call, where none is active)."""
    today = program.today()
    return {"start": today - timedelta(days=89), "end": today}


def period_from(query, program) -> tuple[PeriodForm, dict | None]:
    """The period asked for in the query string (default: the last 90 days), or None with the form's errors."""
    form = PeriodForm(query if ("start" in query or "end" in query) else default_period(program))
    return form, (form.cleaned_data if form.is_valid() else None)
