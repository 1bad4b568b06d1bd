from django import forms

from .models import BreachNotice, DualEnrollment, TelemedicineEncounter


class SignTypedForm(forms.Form):
    shown_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    signer = forms.ChoiceField(
        label="Who is signing?",
        choices=[
            ("patient", "I am the patient"),
            ("representative", "I sign for the patient (guardian or representative)"),
        ],
        widget=forms.RadioSelect,
        initial="patient",
    )
    representative_name = forms.CharField(
        label="Your name (if you sign for the patient)", required=False, max_length=200
    )
    representative_authority = forms.CharField(
        label="What allows you to sign for the patient (for example: legal guardian)", required=False, max_length=200
    )
    typed_name = forms.CharField(label="Type your full name to sign", required=False, max_length=200)
    attested = forms.BooleanField(
        label="I have read this consent, and typing my name here is my signature.", required=False
    )
    witness_password = forms.CharField(
        required=False, max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, witness_name: str | None = None, **kwargs):
        """witness_name: the staff member who opened the kiosk, when the program asks for a witness (else none)."""
        super().__init__(*args, **kwargs)
        if witness_name is None:
            del self.fields["witness_password"]
        else:
            self.fields[
                "witness_password"
            ].label = f"Staff witness: {witness_name}, enter your password to confirm you saw this consent signed"


class SignDrawnForm(SignTypedForm):
    drawing = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["typed_name"], self.fields["attested"]


class ReviseTextForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(label="Plain-language explanation", widget=forms.Textarea(attrs={"rows": 8}))
    information_description = forms.CharField(
        label="How much and what kind of information", widget=forms.Textarea(attrs={"rows": 2})
    )
    recipients = forms.CharField(label="Recipients (one per line)", widget=forms.Textarea(attrs={"rows": 3}))
    change_note = forms.CharField(label="What changed and why", widget=forms.Textarea(attrs={"rows": 2}))


class BreachForm(forms.Form):
    title = forms.CharField(max_length=200)
    discovered_on = forms.DateField(
        label="Discovered on (the first day it was known, or would have been with reasonable diligence)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    description = forms.CharField(label="What happened", widget=forms.Textarea(attrs={"rows": 3}))
    information_involved = forms.CharField(
        label="What information was involved", widget=forms.Textarea(attrs={"rows": 2})
    )
    window_start = forms.DateTimeField(
        label="Records touched from", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    window_end = forms.DateTimeField(label="Until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    involved_users: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label="Staff whose access is involved (none: everyone's)",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["involved_users"].queryset = users


class RiskForm(forms.Form):
    risk_assessment = forms.CharField(
        label="Risk assessment (nature and extent of the information, who received it, whether it was actually "
        "acquired or viewed, extent of mitigation)",
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class NoticeForm(forms.Form):
    recipient = forms.ChoiceField(choices=BreachNotice.Recipient.choices)
    patient = forms.TypedChoiceField(
        label="Patient (for an individual notice)", required=False, coerce=int, empty_value=None
    )
    sent_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    how = forms.CharField(label="How it was sent", max_length=200)

    def __init__(self, *args, patients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].choices = [("", "—")] + [
            (p.pk, f"{p.family_name}, {p.given_name} (MRN {p.mrn})") for p in patients
        ]


class PdmpCheckForm(forms.Form):
    state = forms.CharField(label="State (two letters)", max_length=2)
    checked_at = forms.DateTimeField(label="Checked at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    findings = forms.CharField(label="Findings, summarised", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    report = forms.CharField(
        label="The PDMP's report (paste it, where provided)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    report_file = forms.FileField(
        label="The PDMP's report as a file (PDF, PNG or JPEG, up to 5 MB), where provided", required=False
    )
    not_done_reason = forms.CharField(
        label="Or: why the check could not be done", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DualEnrollmentForm(forms.Form):
    answer = forms.ChoiceField(
        label="Is the patient enrolled in another opioid treatment program?",
        choices=DualEnrollment.Answer.choices,
        widget=forms.RadioSelect,
    )
    other_program = forms.CharField(label="The other program (if enrolled)", required=False, max_length=200)
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class TelemedicineForm(forms.Form):
    at = forms.DateTimeField(
        label="Telemedicine encounter at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    modality = forms.ChoiceField(label="How", choices=TelemedicineEncounter.Modality.choices, widget=forms.RadioSelect)
    patient_location = forms.CharField(label="Where the patient was", required=False, max_length=200)
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))
