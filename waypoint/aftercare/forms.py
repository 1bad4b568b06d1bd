from django import forms

from waypoint.patients.forms import DateTimeInput

from .models import FollowUpContact
from .services import next_level_choices

AREA = {"rows": 2}


class DateInput(forms.DateInput):
    input_type = "date"


class ContinuingCarePlanFields(forms.Form):
    """The continuing-care plan's fields, shown on the discharge page under the discharge's own (the service says
    which are required for the discharge's reason)."""

    next_level = forms.ChoiceField(label="Next level of care", required=False)
    next_provider = forms.CharField(label="Next provider (this program or outside)", required=False, max_length=200)
    provider_in_program = forms.BooleanField(label="The next provider is this program", required=False)
    appointment_at = forms.DateTimeField(label="First appointment", required=False, widget=DateTimeInput())
    appointment_place = forms.CharField(label="Where", required=False, max_length=200)
    no_appointment_reason = forms.CharField(
        label="Why there is no appointment", required=False, widget=forms.Textarea(attrs=AREA)
    )
    moud_continued_by = forms.CharField(
        label="Who continues the medication for opioid use disorder", required=False, max_length=200
    )
    moud_next_due = forms.DateField(label="Next dose or prescription due", required=False, widget=DateInput())
    moud_supplied_through = forms.DateField(
        label="Medication in hand lasts through", required=False, widget=DateInput()
    )
    moud_bridge = forms.CharField(
        label="Bridge until then (when there is a gap)", required=False, widget=forms.Textarea(attrs=AREA)
    )
    no_moud_reason = forms.CharField(
        label="Why no one continues the medication", required=False, widget=forms.Textarea(attrs=AREA)
    )
    triggers = forms.CharField(
        label="Triggers, in the patient's words", required=False, widget=forms.Textarea(attrs=AREA)
    )
    coping_steps = forms.CharField(
        label="Coping steps, in the patient's words", required=False, widget=forms.Textarea(attrs=AREA)
    )
    people_to_call = forms.CharField(
        label="People the patient will call", required=False, widget=forms.Textarea(attrs=AREA)
    )
    offered = forms.CharField(
        label="Leaving against advice: what was offered, and the answer",
        required=False,
        widget=forms.Textarea(attrs=AREA),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        episode = getattr(self, "episode", None)
        edition = episode.program.asam_edition if episode is not None else 4
        self.fields["next_level"].choices = [("", "— choose —"), *next_level_choices(edition)]


ANSWERS = [("", "— not asked —"), *FollowUpContact.Answer.choices]


class ContactForm(forms.Form):
    at = forms.DateTimeField(label="When", widget=DateTimeInput())
    method = forms.ChoiceField(label="How", choices=[("", "— choose —"), *FollowUpContact.Method.choices])
    reached = forms.TypedChoiceField(
        label="Reached the patient",
        choices=[("", "— choose —"), ("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
    )
    attended_next = forms.ChoiceField(label="Went to the next appointment", choices=ANSWERS, required=False)
    moud_continued = forms.ChoiceField(label="Still takes the medication", choices=ANSWERS, required=False)
    used_since = forms.ChoiceField(label="Used since discharge", choices=ANSWERS, required=False)
    substance = forms.CharField(label="What was used", required=False, max_length=100)
    used_on = forms.DateField(label="When it was used", required=False, widget=DateInput())
    overdose = forms.ChoiceField(
        label="Overdose since discharge",
        choices=[("", "— not asked —"), *FollowUpContact.Overdose.choices],
        required=False,
    )
    naloxone_used = forms.ChoiceField(label="Naloxone given at the overdose", choices=ANSWERS, required=False)
    naloxone_by = forms.CharField(label="Naloxone given by", required=False, max_length=100)
    readmitted = forms.ChoiceField(label="Admitted anywhere since", choices=ANSWERS, required=False)
    died = forms.BooleanField(
        label="The patient has died (reported by family or another provider)",
        required=False,
        help_text="Closes the discharge's follow-up and flags a sentinel event for the director.",
    )
    concerns = forms.CharField(label="Housing or safety concerns", required=False, widget=forms.Textarea(attrs=AREA))
    wants_to_come_back = forms.ChoiceField(label="Wants to come back", choices=ANSWERS, required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs=AREA))


class TaskForm(forms.Form):
    outcome = forms.CharField(label="What was done", widget=forms.Textarea(attrs=AREA))


class SentinelReviewForm(forms.Form):
    review = forms.CharField(label="The review's finding", widget=forms.Textarea(attrs=AREA))
