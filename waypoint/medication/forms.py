from django import forms

from waypoint.patients.forms import DateTimeInput

from . import catalog
from .models import Administration, Phase

ROUTE_CHOICES = list(catalog.ROUTE_NAMES.items())


class OrderForm(forms.Form):
    medication = forms.ChoiceField(choices=catalog.CHOICES)
    dose = forms.DecimalField(
        label="Dose (mg)",
        min_value=0,
        max_digits=7,
        decimal_places=2,
        help_text="Buprenorphine-naloxone: the buprenorphine component.",
    )
    route = forms.ChoiceField(choices=ROUTE_CHOICES)
    times_per_day = forms.IntegerField(
        label="Doses per day (at most)", min_value=1, max_value=24, help_text="1 for once daily. Checked at each dose."
    )
    min_interval_hours = forms.DecimalField(
        label="At least this many hours between doses",
        required=False,
        min_value=0,
        max_digits=4,
        decimal_places=2,
        help_text="Optional, e.g. 2 for every 2 hours. Checked at each dose.",
    )
    frequency = forms.CharField(
        label="Added instruction", required=False, max_length=120, help_text="Optional, e.g. as needed for withdrawal"
    )
    phase = forms.ChoiceField(choices=Phase.choices, initial=Phase.MAINTENANCE)
    start_at = forms.DateTimeField(label="Start", widget=DateTimeInput())
    stop_at = forms.DateTimeField(label="Stop", required=False, widget=DateTimeInput())
    instructions = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    agonist_override_reason = forms.CharField(
        label="Reason for a second opioid agonist",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when the patient already has an active methadone or buprenorphine order.",
    )


class StopForm(forms.Form):
    stop_at = forms.DateTimeField(label="Stop at", widget=DateTimeInput())
    reason = forms.CharField(max_length=300)


class AdministrationForm(forms.Form):
    order = forms.ChoiceField(label="Order", required=False)
    status = forms.ChoiceField(choices=Administration.Status.choices, initial=Administration.Status.GIVEN)
    dose = forms.DecimalField(
        label="Dose given (mg)", required=False, max_digits=7, decimal_places=2, help_text="Only when given."
    )
    at = forms.DateTimeField(label="Time", widget=DateTimeInput())
    reason = forms.CharField(label="Reason held", required=False, max_length=300)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    cows_override_reason = forms.CharField(
        label="Reason to give an induction dose without a qualifying COWS",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when there is no recent COWS or it is below the program's induction threshold.",
    )

    def __init__(self, *args, orders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.orders = {str(order.pk): order for order in orders}
        self.fields["order"].choices = [("", "— choose the order —")] + [
            (key, f"{order.label}, {order.schedule}" + ("" if order.is_active() else " (not active now)"))
            for key, order in self.orders.items()
        ]

    def chosen_order(self):
        return self.orders.get(self.cleaned_data.get("order") or "")
