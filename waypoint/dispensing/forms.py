from django import forms

from .models import Hold, ReplacementDose, StockLot, TakeHomeBottle


class LotChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class DoseForm(forms.Form):
    amount = forms.DecimalField(label="Dose given (mg)", max_digits=9, decimal_places=2)
    lot = LotChoice(label="Stock lot", queryset=StockLot.objects.none())

    def __init__(self, *args, program=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = StockLot.objects.filter(program=program)


class HoldForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind of hold", choices=[(Hold.Kind.CLINICAL, "Clinical"), (Hold.Kind.ADMINISTRATIVE, "Administrative")]
    )
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}))


class LiftForm(forms.Form):
    note = forms.CharField(label="Why the hold is lifted", widget=forms.Textarea(attrs={"rows": 3}))


class CountForm(forms.Form):
    lot = LotChoice(label="Stock lot", queryset=StockLot.objects.none())
    counted_mg = forms.DecimalField(label="Counted (mg)", max_digits=12, decimal_places=2)
    second_username = forms.CharField(label="Second counter's user name")
    second_password = forms.CharField(label="Second counter's password", widget=forms.PasswordInput)

    def __init__(self, *args, program=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = StockLot.objects.filter(program=program)


YES_NO = [("yes", "Yes"), ("no", "No")]


class DecisionForm(forms.Form):
    days = forms.IntegerField(label="Take-home days", min_value=0)
    basis = forms.CharField(label="Basis of the decision", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, criteria=None, **kwargs):
        super().__init__(*args, **kwargs)
        for key, words in (criteria or {}).items():
            self.fields[key] = forms.ChoiceField(label=words, choices=YES_NO, widget=forms.RadioSelect)


class IssueForm(forms.Form):
    days = forms.IntegerField(label="Bottles for the next how many days", min_value=1, max_value=28)
    lot = LotChoice(label="Stock lot", queryset=StockLot.objects.none())

    def __init__(self, *args, program=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = StockLot.objects.filter(program=program)


class ReturnForm(forms.Form):
    empty = forms.ChoiceField(label="Returned", choices=[("yes", "Empty"), ("no", "Not empty")])
    note = forms.CharField(label="What was in it (when not empty)", required=False)


class ScanReturnForm(ReturnForm):
    code = forms.CharField(
        label="Bottle id (scan the label's QR code, or type the id)",
        max_length=40,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "spellcheck": "false"}),
    )
    field_order = ["code", "empty", "note"]


class ReceiptForm(forms.Form):
    medication = forms.ChoiceField(label="Medication")
    strength = forms.CharField(label="Strength as printed (e.g. 10 mg/mL)", max_length=40)
    lot_number = forms.CharField(label="Lot number", max_length=40)
    quantity_mg = forms.DecimalField(label="Received (mg)", max_digits=12, decimal_places=2)

    def __init__(self, *args, **kwargs):
        from waypoint.medication import catalog

        super().__init__(*args, **kwargs)
        self.fields["medication"].choices = [(code, m.name) for code, m in catalog.MEDICATIONS.items()]


class OutflowForm(forms.Form):
    lot = LotChoice(label="Stock lot", queryset=StockLot.objects.none())
    kind = forms.ChoiceField(
        label="Movement",
        choices=[
            ("waste", "Waste (witnessed)"),
            ("spill", "Spill (witnessed)"),
            ("transfer", "Transfer out"),
            ("adjustment", "Adjustment down"),
        ],
    )
    quantity_mg = forms.DecimalField(label="Amount (mg)", max_digits=12, decimal_places=2)
    note = forms.CharField(label="What happened", widget=forms.Textarea(attrs={"rows": 2}))
    witness_username = forms.CharField(label="Witness's user name (waste, spill)", required=False)
    witness_password = forms.CharField(label="Witness's password", required=False, widget=forms.PasswordInput)

    def __init__(self, *args, program=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = StockLot.objects.filter(program=program)


class GuestForm(forms.Form):
    sending_program = forms.CharField(label="Sending program", max_length=200)
    sending_contact = forms.CharField(label="Who confirmed the order there (name, telephone)", max_length=200)
    medication = forms.ChoiceField(label="Medication")
    dose = forms.DecimalField(label="Dose ordered by the sending program (mg)", max_digits=9, decimal_places=2)
    last_dose_on = forms.DateField(label="Last dose there", widget=forms.DateInput(attrs={"type": "date"}))
    first_day = forms.DateField(label="First day here", widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label="Last day here", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        from waypoint.medication import catalog

        super().__init__(*args, **kwargs)
        self.fields["medication"].choices = [(code, m.name) for code, m in catalog.MEDICATIONS.items()]


class ReplacementForm(forms.Form):
    reason = forms.ChoiceField(label="Why the dose is replaced", choices=ReplacementDose.Reason.choices)
    bottle: forms.ModelChoiceField = forms.ModelChoiceField(
        label="The lost bottle", queryset=TakeHomeBottle.objects.none(), required=False
    )
    note = forms.CharField(label="What happened", widget=forms.Textarea(attrs={"rows": 2}))
    amount = forms.DecimalField(label="Dose given (mg)", max_digits=9, decimal_places=2)
    lot = LotChoice(label="Stock lot", queryset=StockLot.objects.none())
    second_username = forms.CharField(label="Second signer's user name (where the program requires it)", required=False)
    second_password = forms.CharField(label="Second signer's password", required=False, widget=forms.PasswordInput)

    def __init__(self, *args, patient=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = StockLot.objects.filter(program_id=patient.program_id)
        self.fields["bottle"].queryset = TakeHomeBottle.objects.filter(patient=patient, returned_at__isnull=True)


class ClosedDayForm(forms.Form):
    day = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label="Kind", choices=[("holiday", "Holiday"), ("closure", "Program closure")])
    name = forms.CharField(label="Holiday or reason", max_length=120)


class ClosedDayBottlesForm(forms.Form):
    lots: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label="Stock lots to pour from (one per medication)", queryset=StockLot.objects.none()
    )

    def __init__(self, *args, program=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lots"].queryset = StockLot.objects.filter(program=program)


class RandomCallBackForm(forms.Form):
    due_on = forms.DateField(label="Call-back day", widget=forms.DateInput(attrs={"type": "date"}))
    count = forms.IntegerField(label="How many patients, drawn at random", min_value=1, max_value=100)


class CallBackResultForm(forms.Form):
    brought_back = forms.ChoiceField(
        label="Bottles", choices=[("yes", "Brought back as they should be"), ("no", "Not brought back")]
    )
    note = forms.CharField(label="What was found, or why not", required=False)


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label="Photo (JPEG or PNG, at most 2 MB)",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png", "capture": "user"}),
    )
