import re

from django import forms
from django.utils import timezone

from waypoint.patients.forms import DateTimeInput
from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS, STATUSES
from waypoint.screening_rules.overdose import CONDITIONS

from .models import FREQUENCIES, ROUTES, ROUTES_FOR, SUBSTANCES, History, NaloxoneKit, Refusal, UseEvent

STRENGTH = re.compile(r"\d+(?:\.\d+)? mg(?:/mL)?")  # as a formulation's name states it: "4 mg", "0.4 mg/mL"

YES_NO_UNKNOWN = (("", "—"), ("yes", "Yes"), ("no", "No"))
COLUMNS = {  # the history table's column heads, which name each cell of a substance's row
    "other_name": "which substance",
    "frequency": "frequency",
    "amount": "amount",
    "age_first_use": "age at first use",
    "last_use": "last use",
}


def _yes_no(value):
    return {"yes": True, "no": False}.get(value)


class HistoryForm(forms.Form):
    """One row per substance: used?, routes, frequency, amount, age at first use, last use."""

    fentanyl_xylazine = forms.ChoiceField(label="Fentanyl or xylazine in the supply", choices=History.Supply.choices)
    prior_overdoses = forms.IntegerField(min_value=0, initial=0)
    most_recent_overdose = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    naloxone_used = forms.ChoiceField(label="Naloxone used at an overdose", choices=YES_NO_UNKNOWN, required=False)
    uses_alone = forms.BooleanField(required=False)
    shared_equipment = forms.BooleanField(label="Shares injection equipment", required=False)
    prior_treatment = forms.CharField(
        label="Prior treatment episodes and medications", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    conditions = forms.MultipleChoiceField(
        label="Known conditions", choices=list(CONDITIONS.items()), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.substance_rows = []
        for code, label in SUBSTANCES:
            names = {}
            for name, field in (
                ("used", forms.BooleanField(label=label, required=False)),
                ("other_name", forms.CharField(label="Which", required=False)) if code == "other" else (None, None),
                (
                    "routes",
                    forms.MultipleChoiceField(
                        choices=[r for r in ROUTES if r[0] in ROUTES_FOR[code]],
                        required=False,
                        widget=forms.CheckboxSelectMultiple,
                    ),
                ),
                ("frequency", forms.ChoiceField(choices=FREQUENCIES, initial="unknown", required=False)),
                ("amount", forms.CharField(required=False)),
                ("age_first_use", forms.IntegerField(label="Age at first use", required=False)),
                ("last_use", forms.DateTimeField(label="Last use", required=False, widget=DateTimeInput())),
            ):
                if name is None:
                    continue
                if name not in ("used", "routes"):  # a cell of the row: named for its substance and column
                    field.widget.attrs["aria-label"] = f"{label}: {COLUMNS[name]}"
                self.fields[f"{code}_{name}"] = field
                names[name] = f"{code}_{name}"
            self.substance_rows.append((code, label, [self[n] for n in names.values()]))

    @property
    def general(self):
        return [
            self[name]
            for name in (
                "fentanyl_xylazine",
                "prior_overdoses",
                "most_recent_overdose",
                "naloxone_used",
                "uses_alone",
                "shared_equipment",
                "prior_treatment",
                "conditions",
            )
        ]

    def uses(self) -> list[dict]:
        data = self.cleaned_data
        uses = []
        for code, _ in SUBSTANCES:
            if not data.get(f"{code}_used"):
                continue
            use = {
                "substance": code,
                "routes": list(data[f"{code}_routes"]),
                "frequency": data[f"{code}_frequency"] or "unknown",
                "amount": data[f"{code}_amount"],
                "age_first_use": data[f"{code}_age_first_use"],
                "last_use": data[f"{code}_last_use"],
            }
            if code == "other":
                use["other_name"] = data["other_other_name"]
            uses.append(use)
        return uses

    def history_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "fentanyl_xylazine": data["fentanyl_xylazine"],
            "prior_overdoses": data["prior_overdoses"],
            "most_recent_overdose": data["most_recent_overdose"],
            "naloxone_used": _yes_no(data["naloxone_used"]),
            "uses_alone": data["uses_alone"],
            "shared_equipment": data["shared_equipment"],
            "prior_treatment": data["prior_treatment"],
            "conditions": list(data["conditions"]),
        }

    def add_service_errors(self, error) -> None:
        """Map `uses.<n>.<field>` keys back onto the substance rows."""
        uses = self.uses()
        for key, messages in error.message_dict.items():
            parts = key.split(".")
            if parts[0] == "uses" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(uses):
                name = f"{uses[int(parts[1])]['substance']}_{parts[2]}"
                self.add_error(name if name in self.fields else None, messages)
            else:
                self.add_error(key if key in self.fields else None, messages)


class ScreenForm(forms.Form):
    taken_at = forms.DateTimeField(label="Screened at", widget=DateTimeInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["taken_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.groups = []
        for group in HEROIN_COMPLICATIONS.groups:
            rows = []
            for item in group.items:
                self.fields[item.key] = forms.ChoiceField(
                    label=item.label, choices=STATUSES, initial="not_assessed", widget=forms.RadioSelect
                )
                self.fields[f"{item.key}__since"] = forms.DateField(
                    label="Since", required=False, widget=forms.DateInput(attrs={"type": "date"})
                )
                self.fields[f"{item.key}__note"] = forms.CharField(label="Note", required=False)
                rows.append((self[item.key], self[f"{item.key}__since"], self[f"{item.key}__note"]))
            self.groups.append((group.label, rows))

    def answers(self) -> dict:
        data = self.cleaned_data
        return {
            item.key: {"status": data[item.key], "since": data[f"{item.key}__since"], "note": data[f"{item.key}__note"]}
            for item in HEROIN_COMPLICATIONS.items
        }

    def add_service_errors(self, error) -> None:
        for key, messages in error.message_dict.items():
            parts = key.split(".")
            name = None
            if parts[0] == "answers" and len(parts) >= 2:
                name = parts[1] if len(parts) == 2 or parts[2] == "status" else f"{parts[1]}__{parts[2]}"
            elif key in self.fields:
                name = key
            self.add_error(name if name in self.fields else None, messages)


class FollowUpForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            ("ordered", "Ordered"),
            ("done", "Done"),
            ("declined", "Declined"),
            ("not_applicable", "Not applicable"),
        ]
    )
    result = forms.CharField(required=False)
    note = forms.CharField(required=False)


def strength_of(formulation: str) -> str:
    """The strength a formulation's own name states ("Nasal spray 4 mg" -> "4 mg"); "" when it states none."""
    found = STRENGTH.search(dict(NaloxoneKit.Formulation.choices).get(formulation, ""))
    return found.group(0) if found else ""


def now_to_the_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


class KitForm(forms.Form):
    dispensed_at = forms.DateTimeField(widget=DateTimeInput(), initial=now_to_the_minute)
    formulation = forms.ChoiceField(
        choices=NaloxoneKit.Formulation.choices, widget=forms.Select(attrs={"data-fills-strength": "id_kit-strength"})
    )
    strength = forms.CharField(
        max_length=40,
        required=False,
        help_text="Filled from the formulation when its name states the strength; give it for the others.",
    )
    quantity = forms.IntegerField(min_value=1, max_value=20, initial=1)
    recipient = forms.ChoiceField(choices=NaloxoneKit.Recipient.choices)
    recipient_name = forms.CharField(label="Family member's name", required=False)

    def clean(self):
        data = super().clean()
        if not (data.get("strength") or "").strip():
            data["strength"] = strength_of(data.get("formulation", ""))
            if not data["strength"]:
                self.add_error("strength", "Give the strength: this formulation's name does not state it.")
        return data


class EducationForm(forms.Form):
    given_at = forms.DateTimeField(label="Education given at", widget=DateTimeInput(), initial=now_to_the_minute)
    note = forms.CharField(required=False)


class RefusalForm(forms.Form):
    what = forms.ChoiceField(label="Patient refused", choices=Refusal.What.choices)
    refused_at = forms.DateTimeField(widget=DateTimeInput(), initial=now_to_the_minute)
    note = forms.CharField(required=False)


class EventForm(forms.Form):
    kind = forms.ChoiceField(choices=UseEvent.Kind.choices)
    occurred_at = forms.DateTimeField(widget=DateTimeInput())
    place = forms.CharField(required=False)
    naloxone_given = forms.ChoiceField(choices=YES_NO_UNKNOWN, required=False)
    outcome = forms.ChoiceField(choices=[("", "—"), *UseEvent.Outcome.choices], required=False)
    substance = forms.ChoiceField(choices=[("", "—"), *SUBSTANCES], required=False)
    how_known = forms.CharField(required=False)
    note = forms.CharField(required=False)

    def event(self) -> dict:
        data = dict(self.cleaned_data)
        data["naloxone_given"] = _yes_no(data["naloxone_given"])
        return data
