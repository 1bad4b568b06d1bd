from typing import cast

from django import forms

from waypoint.patients.forms import DateTimeInput

from .codes import DIAGNOSES
from .models import OBJECTIVE_STATUSES, Attendance, PlanTemplate, Session
from .settings import CATEGORIES, modalities


def _modality_choices(program):
    return [(m["code"], m["label"]) for m in modalities(program)]


def _staff_choices(staff: dict[int, str], blank="— choose —"):
    return [("", blank)] + sorted(staff.items(), key=lambda item: item[1])


class StartPlanForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=PlanTemplate.objects.none(),
        required=False,
        empty_label="— an empty plan —",
        label="Start from the program template",
    )
    responsible = forms.TypedChoiceField(
        label="Responsible staff for the template's interventions", required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, program, staff, level_code=None, **kwargs):
        super().__init__(*args, **kwargs)
        templates = PlanTemplate.objects.filter(program=program, active=True)
        self.fields["template"].queryset = templates
        matching = [t for t in templates if level_code in t.level_codes]
        if matching and not self.is_bound:
            self.initial.setdefault("template", matching[0].pk)
        self.fields["responsible"].choices = _staff_choices(staff, "— assign each later —")
        self.fields["template"].label_from_instance = lambda t: f"{t.name} ({', '.join(t.level_codes)})"


class ProblemForm(forms.Form):
    description = forms.CharField(label="Problem", widget=forms.Textarea(attrs={"rows": 2}))
    diagnosis = forms.ChoiceField(
        label="Diagnosis (ICD-10-CM)",
        required=False,
        choices=[("", "—")] + [(c, f"{c} {label}") for c, label in DIAGNOSES.items()],
    )
    screen_findings = forms.MultipleChoiceField(
        label="Screen findings (latest complication screen)", required=False, widget=forms.CheckboxSelectMultiple
    )
    goal = forms.CharField(
        label="Goal, in the patient's own words", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, findings: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["screen_findings"]).choices = list(findings.items())
        if not findings:
            self.fields["screen_findings"].help_text = "None present on the latest complication screen."


class GoalForm(forms.Form):
    problem = forms.ChoiceField(label="Problem")
    text = forms.CharField(label="Goal, in the patient's own words", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, problems, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problem"].choices = problems


class ObjectiveForm(forms.Form):
    goal = forms.ChoiceField(label="Goal")
    text = forms.CharField(label="Measurable objective", widget=forms.Textarea(attrs={"rows": 2}))
    target_date = forms.DateField(label="Target date", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, goals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goal"].choices = goals


class InterventionForm(forms.Form):
    problem = forms.ChoiceField(label="Problem")
    modality = forms.ChoiceField(label="Modality")
    frequency = forms.CharField(
        label="Frequency",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "e.g. 3 times a week, 60 minutes"}),
    )
    responsible = forms.TypedChoiceField(label="Responsible staff member", coerce=int, empty_value=None)

    def __init__(self, *args, problems, program, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problem"].choices = problems
        self.fields["modality"].choices = _modality_choices(program)
        self.fields["responsible"].choices = _staff_choices(staff)


class UpdateGoalForm(forms.Form):
    item = forms.CharField(widget=forms.HiddenInput)
    text = forms.CharField(  # a draft may keep a goal not written yet: signing names it
        label="Goal",
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "In the patient's own words"}),
    )


class UpdateInterventionForm(forms.Form):
    item = forms.CharField(widget=forms.HiddenInput)
    frequency = forms.CharField(label="Frequency", max_length=200)
    responsible = forms.TypedChoiceField(label="Responsible", coerce=int, empty_value=None, required=False)

    def __init__(self, *args, staff, intervention="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].choices = _staff_choices(staff)
        if intervention:  # each row's fields are named for their intervention (screen readers read no column head)
            self.fields["frequency"].widget.attrs["aria-label"] = f"Frequency of {intervention}"
            self.fields["responsible"].widget.attrs["aria-label"] = f"Staff member responsible for {intervention}"


class AcknowledgeForm(forms.Form):
    patient_name = forms.CharField(label="Patient types their name", max_length=200)
    attested = forms.BooleanField(
        label="I reviewed this plan, took part in writing it, and agree to it", required=False
    )


class AmendForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label="Why amend the plan", widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    note = forms.CharField(label="Review summary (plan continues unchanged)", widget=forms.Textarea(attrs={"rows": 2}))


class TemplateFromPlanForm(forms.Form):
    name = forms.CharField(label="Template name", max_length=120)
    level_codes = forms.MultipleChoiceField(label="For levels of care", widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level_codes"].choices = [(lv.code, lv.code) for lv in program.levels.filter(active=True)]


class ModalityForm(forms.Form):
    code = forms.SlugField(label="Code", max_length=60)
    label = forms.CharField(label="Label", max_length=120)
    category = forms.ChoiceField(label="Category", choices=CATEGORIES)


class SessionForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=Session.Kind.choices)
    modality = forms.ChoiceField(label="Modality")
    topic = forms.CharField(label="Topic", max_length=200)
    facilitator = forms.TypedChoiceField(label="Facilitator", coerce=int, empty_value=None)
    room = forms.CharField(label="Room", max_length=80, required=False)
    starts_at = forms.DateTimeField(label="Starts", widget=DateTimeInput())
    ends_at = forms.DateTimeField(label="Ends", widget=DateTimeInput())
    patient_mrn = forms.CharField(label="Patient MRN (individual sessions)", required=False, max_length=32)

    def __init__(self, *args, program, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["modality"].choices = _modality_choices(program)
        self.fields["facilitator"].choices = _staff_choices(staff)


class RosterForm(forms.Form):
    patient = forms.CharField(
        label="Add a patient by name or MRN",
        max_length=100,
        help_text="Family or given name, or the MRN; only patients you may see are found.",
    )


class AttendanceForm(forms.Form):
    patient = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label="Attendance", choices=Attendance.Status.choices)


class ProgressNoteForm(forms.Form):
    occurred_at = forms.DateTimeField(label="Session or contact time", widget=DateTimeInput())
    session = forms.TypedChoiceField(label="Individual or group session", required=False, coerce=int, empty_value=None)
    body = forms.CharField(label="Progress note", widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, sessions, objectives, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [("", "— none —")] + sessions
        self.objective_rows = []
        for objective in objectives:
            status = f"status_{objective['id']}"
            comment = f"comment_{objective['id']}"
            self.fields[status] = forms.ChoiceField(
                label=objective["text"], required=False, choices=[("", "— no report —"), *OBJECTIVE_STATUSES]
            )
            self.fields[comment] = forms.CharField(label="Comment", required=False, max_length=500)
            self.objective_rows.append((objective, status, comment))

    def objective_updates(self):
        data = self.cleaned_data
        return [
            {"objective": o["id"], "status": data[status], "comment": data[comment]}
            for o, status, comment in self.objective_rows
            if data.get(status)
        ]

    def bound_objectives(self):
        return [(o, self[status], self[comment]) for o, status, comment in self.objective_rows]


class CounselingNoteForm(forms.Form):
    occurred_at = forms.DateTimeField(label="Session time", widget=DateTimeInput())
    body = forms.CharField(label="Counseling note", widget=forms.Textarea(attrs={"rows": 6}))


def field_for(key: str) -> str:
    """A service error key as a form field name (`objective_updates.0.status` stays on top with its key)."""
    return {"occurred_at": "occurred_at"}.get(key, key)
