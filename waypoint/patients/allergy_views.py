"""The allergy page of a patient: the entries in force and those corrected, recording one (at intake or any
time), and marking a mistaken one entered in error."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from waypoint.accounts.roles import CHART_READ, PATIENT_EDIT

from . import allergies
from .access import access_patient, access_record, has_permission, require
from .allergy_models import Allergy
from .services import record_read
from .views import save_and_redirect


class AllergyForm(forms.Form):
    kind = forms.ChoiceField(label="What is recorded", choices=Allergy.Kind.choices, widget=forms.RadioSelect)
    substance = forms.CharField(
        label="Drug or class of drugs", required=False, max_length=120, help_text="e.g. ibuprofen, or NSAIDs"
    )
    reaction = forms.CharField(label="Reaction", required=False, max_length=200, help_text="e.g. hives, swelling")
    severity = forms.ChoiceField(
        label="Severity",
        required=False,
        choices=[("", "Choose (not for no known allergies)"), *Allergy.Severity.choices],
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class InErrorForm(forms.Form):
    reason = forms.CharField(label="Why this entry is in error", max_length=500)


@require_http_methods(["GET", "POST"])
def allergy_page(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    can_edit = has_permission(request.user, patient.program_id, PATIENT_EDIT)
    form = AllergyForm(request.POST or None)
    if request.method == "POST":
        require(request.user, patient.program_id, PATIENT_EDIT)
    if done := save_and_redirect(
        request,
        form,
        lambda data: allergies.record_allergy(acting_user=request.user, patient=patient, **data),
        success=lambda allergy: f"Recorded: {allergy}.",
        then=reverse("patients:allergies", args=[patient.pk]),
    ):
        return done
    state, _entries = allergies.allergy_state(patient)
    rows = list(Allergy.objects.filter(patient=patient).select_related("recorded_by").order_by("-recorded_at", "-id"))
    record_read(request.user, "patient.allergy.read", patient=patient)
    return render(
        request,
        "patients/allergies.html",
        {
            "patient": patient,
            "form": form,
            "rows": rows,
            "state": state,
            "can_edit": can_edit,
            "title": "Drug allergies",
            "error_form": InErrorForm(),
        },
    )


@require_POST
def allergy_in_error(request, pk, allergy_id):
    patient = access_patient(request.user, pk)
    allergy = access_record(patient, Allergy, allergy_id)
    form = InErrorForm(request.POST)
    reason = form.data.get("reason", "")
    try:
        allergies.mark_allergy_in_error(acting_user=request.user, allergy=allergy, reason=reason)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Marked entered in error: {allergy}.")
    return redirect("patients:allergies", pk=patient.pk)
