from django import forms

from .models import Consent, InformationKind, Purpose


class BreakGlassForm(forms.Form):
    mrn = forms.CharField(label="MRN", max_length=32)
    reason = forms.CharField(label="Emergency: why you need this chart now", widget=forms.Textarea(attrs={"rows": 3}))


class DateRangeForm(forms.Form):
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ConsentForm(forms.Form):
    information = forms.MultipleChoiceField(
        label="Kinds of information", choices=InformationKind.choices, widget=forms.CheckboxSelectMultiple
    )
    information_description = forms.CharField(
        label="How much and what kind of information", widget=forms.Textarea(attrs={"rows": 2})
    )
    disclosing_party = forms.CharField(label="Who may make the disclosure", max_length=200)
    recipients = forms.CharField(label="Recipients (one per line)", widget=forms.Textarea(attrs={"rows": 2}))
    general_designation = forms.BooleanField(required=False, label="Recipients named by a general designation (TPO)")
    purposes = forms.MultipleChoiceField(choices=Purpose.choices, widget=forms.CheckboxSelectMultiple)
    purpose_description = forms.CharField(required=False, label="Purpose, described")
    expiry = forms.ChoiceField(label="Expires", choices=Consent.Expiry.choices)
    expires_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    expiry_event = forms.CharField(required=False, max_length=200, label="Expiring event")
    signed_by = forms.CharField(max_length=200, label="Signed by")
    signer_is_patient = forms.BooleanField(required=False, initial=True, label="Signed by the patient")
    representative_authority = forms.CharField(
        required=False, max_length=200, label="Authority of the representative (if not the patient)"
    )
    signed_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    right_to_revoke_explained = forms.BooleanField(
        required=False, label="The form states the patient's right to revoke this consent in writing, and how"
    )

    def clean_recipients(self):
        return [line.strip() for line in self.cleaned_data["recipients"].splitlines() if line.strip()]


class RevokeForm(forms.Form):
    revoked_on = forms.DateField(label="Date of the written revocation", widget=forms.DateInput(attrs={"type": "date"}))
    revocation_note = forms.CharField(label="How it was revoked", widget=forms.Textarea(attrs={"rows": 2}))


class DiscloseForm(forms.Form):
    recipient = forms.CharField(max_length=200)
    purpose = forms.ChoiceField(choices=Purpose.choices)
    information = forms.MultipleChoiceField(choices=InformationKind.choices, widget=forms.CheckboxSelectMultiple)
