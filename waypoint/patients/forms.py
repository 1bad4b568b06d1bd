from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from waypoint.accounts.models import CareTeam, ProgramLevel

from . import queries
from .models import Episode, Patient
from .services import EDITABLE_FIELDS


class DateTimeInput(forms.DateTimeInput):
    """A local date and time, labelled with the program's time zone (the one the request works in)."""

    input_type = "datetime-local"
    template_name = "web/widgets/datetime_local.html"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        if widget["attrs"].get("id"):
            widget["attrs"]["aria-describedby"] = f"{widget['attrs']['id']}_tz"
        zone = timezone.get_current_timezone()
        widget["time_zone"] = f"{timezone.localtime().tzname()}, {zone.key}" if hasattr(zone, "key") else str(zone)
        return context


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = EDITABLE_FIELDS
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}),
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "alerts": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, program, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["care_team"].queryset = CareTeam.objects.filter(program=program)
        mine = CareTeam.objects.filter(program=program, members=user).first() if user is not None else None
        self.fields["care_team"].empty_label = (
            f"— my care team ({mine.name}) —" if mine else "— none yet: chosen at admission —"
        )
        if self.instance.pk is None:
            self.fields["mrn"].required = False
            self.fields["mrn"].help_text = "Leave empty: the next MRN in the program's format is given."

    def _post_clean(self):
        """Model rules are the service's to check, in its transaction (the form only parses)."""


def team_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label="Care team",
        queryset=CareTeam.objects.none(),
        required=False,
        empty_label="— the patient's care team —",
        help_text="The team that will look after the patient at this level. It must cover the level.",
    )


def level_choices(program):
    offered = ProgramLevel.objects.filter(program=program, active=True)
    levels = sorted((row.level for row in offered), key=lambda lvl: lvl.position)
    return [("", "— choose —")] + [(lvl.code, lvl.label) for lvl in levels]


class AdmitForm(forms.Form):
    admitted_at = forms.DateTimeField(label="Admitted at", widget=DateTimeInput())
    level_of_care = forms.ChoiceField(label="Level of care")
    reason = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    capacity_override_reason = forms.CharField(
        label="Over capacity: override reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when the level is full; program directors and administrators only.",
    )

    care_team = team_field()

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level_of_care"].choices = level_choices(program)
        self.fields["care_team"].queryset = CareTeam.objects.filter(program=program)


class TransferForm(forms.Form):
    at = forms.DateTimeField(label="Moved at", widget=DateTimeInput())
    level_of_care = forms.ChoiceField(label="New level of care")
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}))
    placement = forms.TypedChoiceField(
        label="Supporting placement assessment",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="The placement assessment this move rests on (optional).",
    )
    capacity_override_reason = forms.CharField(
        label="Over capacity: override reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when the level is full; program directors and administrators only.",
    )

    care_team = team_field()

    def __init__(self, *args, program, placements=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level_of_care"].choices = level_choices(program)
        self.fields["care_team"].queryset = CareTeam.objects.filter(program=program)
        self.fields["placement"].choices = [("", "— none —")] + [
            (
                p.pk,
                f"{timezone.localtime(p.at):%Y-%m-%d %H:%M}: recommended {p.recommended_level}, decided "
                f"{p.decided_level}",
            )
            for p in placements
        ]


class DischargeForm(forms.Form):
    discharged_at = forms.DateTimeField(label="Discharged at", widget=DateTimeInput())
    reason = forms.ChoiceField(choices=[("", "— choose —"), *Episode.DischargeReason.choices])
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, episode=None, **kwargs):
        self.episode = episode  # the parts other areas add (transition_checks.DISCHARGE_FORMS) read it
        super().__init__(*args, **kwargs)


class SearchForm(forms.Form):
    q = forms.CharField(required=False, label="Name, MRN or birth date", max_length=queries.SEARCH_MAX_LENGTH)

    def clean_q(self):
        try:
            queries.search_words(self.cleaned_data["q"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["q"]) from None
        return self.cleaned_data["q"]


class CensusRangeForm(forms.Form):
    """Only renders the range fields; `queries.census_range` parses and checks them (page and API alike)."""

    from_ = forms.CharField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    to = forms.CharField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = self.fields.pop("from_")
        self.fields["to"] = self.fields.pop("to")
